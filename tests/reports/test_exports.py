"""The hand-written xlsx: a package Excel and WPS open (checked by reading it back with openpyxl
and by looking at its parts), typed cells, the header frozen, the autofilter, no formulas."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import openpyxl

from tracker.reports import exports

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}

ROWS = [
    [1, "2026年重点工作方案", "1", "成立工作专班，明确责任分工。", "东城区", "牵头", "张三", date(2026, 2, 15), None,
     "办理中", "绿灯", "=HYPERLINK(\"http://example.cn\")", 2, 0, "2026-02-01 09:30"],
    [2, "计划<二>&“引号”", "", "  前后有空格\n第二行  ", "西城区", "配合", "", date(2026, 3, 1), date(2026, 4, 30),
     "已退回", "黄灯", "+1 -2 @x\tTab", 0, 3, "未签收"],
    [3, "控制字符\x01\x0b被去掉", "3", "-5", "西城区", "牵头", "", date(2026, 12, 31), None, "已办结", "绿灯", "",
     0, 0, ""],
]


def build(app, rows=ROWS) -> bytes:
    with app.test_request_context():
        return b"".join(exports.xlsx_chunks(iter([list(r) for r in rows]), rows_per_chunk=2))


def test_values_types_freeze_widths_and_autofilter(app):
    data = build(app)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "任务台账"
    assert [c.value for c in sheet[1]] == ["序号", "计划", "编号", "工作任务", "责任单位", "牵头/配合", "责任人",
                                           "原定时限", "延期时限", "状态", "灯号", "最新进展", "佐证材料数", "退回次数",
                                           "签收时间"]
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("F2F2F2")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O4"
    assert sheet.max_row == 4 and sheet.max_column == 15
    assert sheet.column_dimensions["D"].width == 50
    first, second, third = (list(r) for r in sheet.iter_rows(min_row=2))
    assert first[0].value == 1 and first[0].data_type == "n"
    assert isinstance(first[7].value, datetime) and first[7].value.date() == date(2026, 2, 15)
    assert first[7].number_format == "yyyy-mm-dd" and first[7].is_date
    assert first[8].value is None and second[8].value == datetime(2026, 4, 30)
    # formula-like text stays text: a string cell, never a formula
    assert first[11].value == "=HYPERLINK(\"http://example.cn\")" and first[11].data_type == "s"
    assert second[11].value == "+1 -2 @x\tTab" and second[11].data_type == "s"
    assert third[3].value == "-5" and third[3].data_type == "s"
    # markup, quotes and whitespace survive; characters XML cannot carry are dropped
    assert second[1].value == "计划<二>&“引号”"
    assert second[3].value == "  前后有空格\n第二行  "
    assert third[1].value == "控制字符被去掉"
    assert second[2].value is None and second[13].value == 3
    assert first[14].value == "2026-02-01 09:30" and second[14].value == "未签收"


def test_package_parts_and_relationships(app):
    archive = zipfile.ZipFile(io.BytesIO(build(app)))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
            "xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/sharedStrings.xml", "docProps/core.xml",
            "docProps/app.xml"} == names
    types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    overrides = {o.get("PartName") for o in types.findall("ct:Override", NS)}
    assert overrides == {"/" + n for n in names if not n.endswith(".rels") and n != "[Content_Types].xml"}
    assert {d.get("Extension") for d in types.findall("ct:Default", NS)} == {"rels", "xml"}
    for rels_name, base in (("_rels/.rels", ""), ("xl/_rels/workbook.xml.rels", "xl/")):
        rels = ElementTree.fromstring(archive.read(rels_name))
        targets = [base + r.get("Target") for r in rels.findall("rel:Relationship", NS)]
        assert targets and all(t in names for t in targets), targets
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    assert workbook.find("m:sheets/m:sheet", NS).get("name") == "任务台账"
    sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    # no formula anywhere, and every text cell is a shared string
    assert sheet.findall(".//m:f", NS) == []
    assert {c.get("t") for c in sheet.iter(f"{{{NS['m']}}}c")} <= {None, "s"}
    strings = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    texts = [si.find("m:t", NS).text for si in strings.findall("m:si", NS)]
    assert len(texts) == len(set(texts)) and "西城区" in texts  # shared once, used twice


def test_many_rows_stream_in_chunks(app):
    rows = [[i, "计划", str(i), f"任务{i}", "单位", "牵头", "", date(2026, 1, 1), None, "办理中", "绿灯", "", 0, 0]
            for i in range(1, 5001)]
    with app.test_request_context():
        chunks = list(exports.xlsx_chunks(iter(rows), rows_per_chunk=1000))
    assert len(chunks) >= 5
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(chunks)), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 5000 and values[-1][3] == "任务5000" and values[-1][0] == 5000


def test_write_xlsx_gives_a_file(app):
    with app.test_request_context():
        out = exports.write_xlsx(iter([list(r) for r in ROWS]), title="台账")
    assert openpyxl.load_workbook(out).worksheets[0].title == "台账"
