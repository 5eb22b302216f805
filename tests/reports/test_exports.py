"""The ledger written by XlsxWriter: read back with openpyxl (typed cells, the title row with the
plan and the date, the header frozen under it, the autofilter, no formulas), converted by
LibreOffice when it is installed; the same columns in CSV; 编号 as the full path in the plan's
own numbering."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from tracker.reports import exports, ledger

TODAY = date(2026, 7, 1)


def row(n, plan, path, text, unit, role, owner, original, extended, completed, state, light, progress, files,
        returns, acknowledged=""):
    return [n, plan, path, text, unit, role, owner, original, extended, completed, state, light, progress, files,
            returns, acknowledged]


ROWS = [
    row(1, "2026年重点工作方案", "一、1.", "成立工作专班，明确责任分工。", "东城区", "牵头", "张三", date(2026, 2, 15),
        None, date(2026, 2, 10), "已办结", "绿灯", "=HYPERLINK(\"http://example.cn\")", 2, 0, "2026-02-01 09:30"),
    row(2, "计划<二>&“引号”", "", "  前后有空格\n第二行  ", "西城区", "配合", "", date(2026, 3, 1), date(2026, 4, 30),
        None, "已退回", "黄灯（滞后）", "+1 -2 @x\tTab", 0, 3, "未签收"),
    row(3, "计划", "3", "-5", "西城区", "牵头", "", date(2026, 12, 31), None, None, "办理中", "黄灯（临期）", "", 0, 0),
]


def build(app, rows=ROWS, title="2026年重点工作方案任务台账") -> bytes:
    with app.test_request_context():
        return b"".join(exports.xlsx_chunks(iter([list(r) for r in rows]), ledger.headers(), ledger.widths(),
                                            ledger.kinds(), title=title, today=TODAY, chunk=4096))


def test_columns_are_listed_once(app):
    with app.test_request_context():
        assert ledger.headers() == ["序号", "计划", "编号", "工作任务", "责任单位", "牵头/配合", "责任人", "原定时限",
                                    "延期时限", "办结日期", "状态", "灯号", "最新进展", "佐证材料数", "退回次数",
                                    "签收时间"]
        assert len(ledger.widths()) == len(ledger.kinds()) == len(ledger.COLUMNS) == len(ROWS[0])


def test_title_row_header_types_freeze_and_autofilter(app):
    sheet = openpyxl.load_workbook(io.BytesIO(build(app))).worksheets[0]
    assert sheet.title == "任务台账"
    assert sheet["A1"].value == "2026年重点工作方案任务台账" and sheet["A1"].font.b
    assert "A1:N1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["O1"].value == "制表日期" and sheet["P1"].value == datetime(2026, 7, 1)
    assert [c.value for c in sheet[2]][:4] == ["序号", "计划", "编号", "工作任务"]
    assert sheet["A2"].font.b and sheet["A2"].fill.fgColor.rgb.endswith("F2F2F2")
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:P5"
    assert sheet.max_row == 5 and sheet.max_column == 16
    assert sheet.column_dimensions["D"].width >= 50
    first, second, third = (list(r) for r in sheet.iter_rows(min_row=3))
    assert first[0].value == 1 and first[0].data_type == "n"
    assert first[2].value == "一、1."
    assert isinstance(first[7].value, datetime) and first[7].value.date() == date(2026, 2, 15)
    assert first[7].number_format == "yyyy-mm-dd" and first[7].is_date
    assert first[9].value == datetime(2026, 2, 10) and first[9].is_date
    assert first[8].value is None and second[8].value == datetime(2026, 4, 30)
    # formula-like text stays text: a string cell, never a formula
    assert first[12].value == "=HYPERLINK(\"http://example.cn\")" and first[12].data_type == "s"
    assert second[12].value == "+1 -2 @x\tTab" and second[12].data_type == "s"
    assert third[3].value == "-5" and third[3].data_type == "s"
    assert second[1].value == "计划<二>&“引号”" and second[3].value == "  前后有空格\n第二行  "
    assert second[11].value == "黄灯（滞后）" and third[11].value == "黄灯（临期）"
    assert second[2].value is None and second[14].value == 3
    assert first[15].value == "2026-02-01 09:30" and second[15].value == "未签收"


def test_no_formula_anywhere_in_the_package(app):
    archive = zipfile.ZipFile(io.BytesIO(build(app)))
    assert archive.testzip() is None
    sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet


def test_many_rows(app):
    rows = [row(i, "计划", str(i), f"任务{i}", "单位", "牵头", "", date(2026, 1, 1), None, None, "办理中", "绿灯", "",
                0, 0) for i in range(1, 5001)]
    sheet = openpyxl.load_workbook(io.BytesIO(build(app, rows)), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(values) == 5000 and values[-1][3] == "任务5000" and values[-1][0] == 5000


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice (soffice) is not installed on this machine")
def test_libreoffice_converts_the_ledger(app, tmp_path):
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(build(app))
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "csv",
                    "--outdir", str(tmp_path), str(source)], check=True, timeout=180, capture_output=True)
    converted = (tmp_path / "ledger.csv").read_text(encoding="utf-8", errors="replace")
    assert "成立工作专班" in converted or os.path.getsize(tmp_path / "ledger.csv") > 0


def test_csv_has_the_title_row_and_the_same_columns(app):
    with app.test_request_context():
        data = b"".join(exports.csv_chunks(iter([list(r) for r in ROWS]), ledger.headers(), title="台账",
                                           today=TODAY))
    text = data.decode("utf-8-sig").splitlines()
    assert text[0].startswith("台账,") and text[0].endswith("制表日期,2026-07-01")
    assert text[1].startswith("序号,计划,编号,工作任务") and "办结日期" in text[1]
    assert "'=HYPERLINK" in text[2] and "2026-02-10" in text[2]


def test_paths_in_the_plans_own_numbering_four_levels(app, db, make):
    plan = make.plan(measures=[
        ("一", "总体要求", 1), ("二", "重点任务", 1), ("（一）", "加强基础设施", 2), ("1", "推进道路建设", 3),
        ("（1）", "完成县道改造", 4), ("（2）", "完成乡道硬化", 4), ("2", "推进水利建设", 3), ("（二）", "强化保障", 2),
        ("三", "组织实施", 1), ("1", "明确责任", 2),
    ])
    paths = ledger.measure_paths([plan.id])
    by_text = {m.text: paths[m.id] for m in plan.measures}
    assert by_text["总体要求"] == "一、"
    assert by_text["加强基础设施"] == "二、（一）"
    assert by_text["推进道路建设"] == "二、（一）1."
    assert by_text["完成县道改造"] == "二、（一）1.（1）"
    assert by_text["完成乡道硬化"] == "二、（一）1.（2）"
    assert by_text["推进水利建设"] == "二、（一）2."
    assert by_text["强化保障"] == "二、（二）"
    assert by_text["明确责任"] == "三、1."


#: values the ledger's own row writer must write as XlsxWriter's public methods do, or hand over
AWKWARD_ROWS = [
    [1, " 前导空格", "尾随空格 ", "\t制表符开头", "\r=cmd|' /C calc'!A0", "两行\n文字", "_x0041_ 像转义",
     "控\x01制\x1f符", "<&>\"'", "不是字符\ufffe\uffff", "\u00a0不换行空格",
     "全角空格\u3000", "表情😀", "=SUM(A1:A2)", -3],
    [2, 1.5, 1e20, 0, -0.25, 12345678901234567890, 2**53 + 1, 3.0, date(2026, 2, 28), date(1900, 3, 1),
     datetime(2026, 5, 4, 13, 30, 15), datetime(2026, 5, 4, tzinfo=UTC), None, "", 7],
    [],
    [3, None, None, date(1900, 1, 15), "日期在 1900 年 3 月前"],
    [4, True, False, "布尔值的行走 XlsxWriter 的公开方法", Decimal("1.10")],
    [5, "长" * 16000, "长" * 15999 + " ", "长" * 20000, "x"],
    [6, "比表头多出的列", *[None] * 14, "第十七列"],
    [7, "最后一行"],
]


def _package(rows, *, slow: bool, app, monkeypatch) -> dict[str, bytes]:
    if slow:
        def every_row_slowly(sheet, values, first_row, date_format):
            row_number = first_row - 1
            for row_number, values_row in enumerate(values, start=first_row):
                sheet._write_row_slowly(values_row, row_number, date_format)
            return row_number
        monkeypatch.setattr(exports.LedgerSheet, "write_plain_rows", every_row_slowly)
    with app.test_request_context():
        out = io.BytesIO()
        exports.write_xlsx(iter(rows), ledger.headers(), ledger.widths(), ledger.kinds(), title="台账",
                           today=TODAY, out=out)
    monkeypatch.undo()
    archive = zipfile.ZipFile(out)
    return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


@pytest.mark.parametrize("rows", [ROWS, AWKWARD_ROWS], ids=["ledger", "awkward"])
def test_own_row_writer_writes_what_xlsxwriter_writes(app, monkeypatch, rows):
    """The fast rows are byte for byte the XML of XlsxWriter's write_string/write_number/write_datetime
    (a newer XlsxWriter that writes cells differently fails here, not in a user's Excel)."""
    fast = _package(rows, slow=False, app=app, monkeypatch=monkeypatch)
    slow = _package(rows, slow=True, app=app, monkeypatch=monkeypatch)
    assert fast.keys() == slow.keys()
    for name in slow:
        assert fast[name] == slow[name], name
    assert b"<row" in fast["xl/worksheets/sheet1.xml"]


def test_awkward_values_read_back(app, monkeypatch):
    fast = _package(AWKWARD_ROWS, slow=False, app=app, monkeypatch=monkeypatch)
    sheet = openpyxl.load_workbook(io.BytesIO(_zip(fast))).worksheets[0]
    assert sheet["B3"].value == " 前导空格" and sheet["F3"].value == "两行\n文字"
    assert sheet["E3"].data_type == "s" and sheet["N3"].value == "=SUM(A1:A2)" and sheet["N3"].data_type == "s"
    assert sheet["I4"].value == datetime(2026, 2, 28) and sheet["I4"].number_format == "yyyy-mm-dd"
    assert sheet["Q9"].value == "第十七列" and sheet.max_row == 10


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_ledger_is_packed_at_its_level_and_other_workbooks_at_xlsxwriters(app, monkeypatch):
    import xlsxwriter.workbook

    levels = []
    open_zip = zipfile.ZipFile.__init__

    def spy(archive, *args, **kwargs):
        open_zip(archive, *args, **kwargs)
        levels.append(archive.compresslevel)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", spy)
    archive = zipfile.ZipFile(io.BytesIO(build(app)))
    assert levels[0] == exports.LEDGER_ZIP_LEVEL == 1
    assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    # any other workbook, and any workbook after the export, keeps zlib's default level
    levels.clear()
    other = xlsxwriter.Workbook(io.BytesIO())
    other.add_worksheet().write_string(0, 0, "其他工作簿")
    other.close()
    assert levels[0] is None and xlsxwriter.workbook.ZipFile(io.BytesIO(), "w").compresslevel is None


def test_rows_with_their_own_height_go_through_xlsxwriter(monkeypatch):
    import xlsxwriter

    def sheet_xml(slow: bool) -> bytes:
        out = io.BytesIO()
        workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
        sheet = workbook.add_worksheet("表", worksheet_class=exports.LedgerSheet)
        date_format = workbook.add_format({"num_format": exports.DATE_FORMAT})
        sheet.set_row(2, 30)
        rows = [["第一行", 1, date(2026, 1, 1)], ["高的一行", 2, date(2026, 1, 2)], ["第三行", 3, None]]
        if slow:
            for r, values_row in enumerate(rows, start=1):
                sheet._write_row_slowly(values_row, r, date_format)
        else:
            sheet.write_plain_rows(iter(rows), 1, date_format)
        workbook.close()
        return zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")

    fast = sheet_xml(slow=False)
    assert fast == sheet_xml(slow=True)
    assert b'<row r="3" ht="30" customHeight="1">' in fast
