"""Task tables as supervisors send them, good and bad: each is read, or refused with a clear
message (PlanInputError), never a crash."""

from __future__ import annotations

import io
import time

import openpyxl
import pytest

from tests.plans import table_shapes as shapes
from tracker.plans import PlanInputError, parse_document, parse_text
from tracker.plans.readers import read_document


def _xlsx(rows: list[list[object]], *, sheets: int = 0, merge: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    for n in range(sheets):
        workbook.create_sheet(f"空表{n + 1}", 0)
    sheet = workbook.worksheets[-1]
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]
ROW = [1, "推进老旧小区改造", "县住建局", "县财政局、各乡镇（街道）", "2026年12月底前"]


def test_a_table_with_no_task_column_is_refused_by_name() -> None:
    data = _xlsx([["姓名", "电话", "备注"], ["王建国", "13800000000", "无"]])
    with pytest.raises(PlanInputError) as info:
        read_document(data, "名单.xlsx")
    assert info.value.code == "no_table"
    assert "工作任务" in str(info.value)


@pytest.mark.parametrize("name", ["表.xlsx", "表.csv"])
def test_a_header_only_says_so(name: str) -> None:
    data = _xlsx([HEADER]) if name.endswith("xlsx") else ",".join(HEADER).encode("utf-8")
    with pytest.raises(PlanInputError) as info:
        read_document(data, name)
    assert info.value.code == "table_empty"
    assert "只有表头" in str(info.value)


def test_ten_thousand_rows_read_in_linear_time() -> None:
    rows = [HEADER] + [[n, f"第{n}项重点任务：推进老旧小区改造", "县住建局", "县财政局", "12月底前"]
                       for n in range(1, 10001)]
    data = _xlsx(rows)
    started = time.perf_counter()
    outline = parse_document(data, "万行.xlsx", plan_date=None)
    assert outline.item_count() == 10000
    assert time.perf_counter() - started < 60  # a sanity bound, not a speed target (see bench/)
    last = outline.plans[0].items[-1]
    assert (last.number, last.lead_units, last.support_units) == ("10000", ["县住建局"], ["县财政局"])


def test_merged_cells_everywhere_do_not_break_the_reader() -> None:
    data = _xlsx([HEADER, ROW, [2, "新建幼儿园2所", "县教育局", "县财政局", "9月底前"]], merge="A1:E3")
    with pytest.raises(PlanInputError) as info:
        read_document(data, "合并.xlsx")
    assert info.value.code in ("no_table", "table_empty")


def test_a_cell_of_100000_characters() -> None:
    long_text = "推进" + "加强管理" * 25000
    text = "\t".join(HEADER) + "\n" + "\t".join(["1", long_text, "县住建局", "", "6月底前"]) + "\n"
    item = parse_text(text).plans[0].items[0]
    assert len(item.text) == len(long_text) and item.lead_units == ["县住建局"]
    # Excel holds at most 32,767 characters a cell
    excel_text = long_text[:32767]
    item = parse_document(_xlsx([HEADER, [1, excel_text, "县住建局", "", "6月底前"]]), "长.xlsx").plans[0].items[0]
    assert item.text == excel_text and item.lead_units == ["县住建局"]


def test_a_csv_in_gbk() -> None:
    text = ",".join(HEADER) + "\n" + ",".join(str(c) for c in ROW[:3]) + ',"县财政局、各乡镇（街道）",2026年12月底前\n'
    outline = parse_document(text.encode("gbk"), "分解表.csv")
    item = outline.plans[0].items[0]
    assert (item.text, item.lead_units, item.support_units) == (
        "推进老旧小区改造", ["县住建局"], ["县财政局", "各乡镇（街道）"])
    assert item.deadline is not None and item.deadline.isoformat() == "2026-12-31"


def test_formulas_and_ten_empty_sheets() -> None:
    rows = [HEADER, ROW, [2, "新建幼儿园2所", "县教育局", "=C2", "9月底前"], ["=ROW()", "=B2&\"二期\"", "", "", ""]]
    outline = parse_document(_xlsx(rows, sheets=10), "公式.xlsx")
    items = outline.plans[0].items
    # a formula Excel never calculated has no value to read: the row keeps what it has, nothing is invented
    assert [item.number for item in items][:2] == ["1", "2"]
    assert items[1].support_units == []


def test_only_empty_sheets_are_refused() -> None:
    with pytest.raises(PlanInputError) as info:
        read_document(_xlsx([], sheets=10), "空.xlsx")
    assert info.value.code in ("no_table", "empty")


def test_an_outline_in_a_spreadsheet() -> None:
    """Numbers in column A (numeric cells), 一、 section rows, the text in column B, no header."""
    rows = [["2026年示范县重点工作计划"], ["一、", "保障和改善民生"], [1, "推进老旧小区改造，完成改造小区12个。"],
            [2, "新建改扩建公办幼儿园3所"], ["二、", "优化营商环境"], [3, "压缩企业开办时间至1个工作日"]]
    outline = parse_document(_xlsx(rows), "计划.xlsx")
    plan = outline.plans[0]
    assert plan.title == "2026年示范县重点工作计划"
    assert [(i.number, [c.number for c in i.children]) for i in plan.items] == [("一", ["1", "2"]), ("二", ["3"])]


def test_a_word_table_pasted_into_text_after_an_item_is_not_swallowed_by_it() -> None:
    text = ("示范县2026年重点工作方案\n一、重点任务\n请各单位按下表抓好落实。\n"
            + shapes.render_tabs(shapes.Table(["number", "text", "lead_units", "deadline_text"],
                                              ["序号", "工作任务", "牵头单位", "完成时限"],
                                              [shapes.Row("1", "推进老旧小区改造", {"lead_units": ["县住建局"],
                                                                                 "deadline_text": ["6月底前"]}),
                                               shapes.Row("2", "新建幼儿园2所", {"lead_units": ["县教育局"]})]))
            + "二、保障措施\n加强组织领导。\n")
    plan = parse_text(text).plans[0]
    first = plan.items[0]
    assert first.text.startswith("重点任务") and first.deadline_text is None
    assert [(c.number, c.text, c.lead_units) for c in first.children] == [
        ("1", "推进老旧小区改造", ["县住建局"]), ("2", "新建幼儿园2所", ["县教育局"])]
    assert plan.items[1].number == "二"


def test_a_section_heading_names_the_units_of_the_measures_under_it() -> None:
    text = ("示范县2026年重点工作方案\n一、推进城乡建设（牵头单位：县住建局；配合单位：县财政局）\n"
            "1.完成老旧小区改造12个。\n2.新建公园3个，县林业局负责。\n责任单位：县园林中心\n")
    section = parse_text(text).plans[0].items[0]
    first, second = section.children
    assert (first.lead_units, first.support_units) == (["县住建局"], ["县财政局"])
    assert second.lead_units == ["县林业局"] and second.units == ["县园林中心"]


def test_weak_suggestions_are_marked_doubtful() -> None:
    text = ("示范县2026年重点工作方案\n一、保障民生\n1.力争2026年7月1日建成县图书馆新馆。\n"
            "2.做好困难群众救助工作（县民政局、县财政局）\n3.完成老旧小区改造，6月底前完工（牵头单位：县住建局）\n")
    first, second, third = parse_text(text).plans[0].items[0].children
    assert first.deadline is not None and "deadline" in first.doubtful
    assert second.units == ["县民政局", "县财政局"] and "units" in second.doubtful
    assert third.doubtful == [] and third.confidence == 1.0
