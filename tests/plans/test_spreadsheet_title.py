"""A plan from a spreadsheet takes its title from the title row above the header and its date from
a date cell near it: below the title, beside it, or behind a label (印发日期：…)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from tracker.plans import parse_document

TITLE = "2026年全县重点工作任务分解表"


def workbook(rows: list[list], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"]
TASKS = [[1, "完成县城污水管网改造12公里。", "县住建局", "县财政局", "2026年6月底前"],
         [2, "新建农村公路30公里。", "县交通运输局", "", "2026年10月底前"]]


@pytest.mark.parametrize("above,merge", [
    ([[TITLE], [dt.date(2026, 3, 5)]], "A1:E1"),
    ([[TITLE], ["2026年3月5日"]], "A1:E1"),
    ([[TITLE], ["印发日期：2026年3月5日"]], "A1:E1"),
    ([[TITLE, None, None, None, dt.datetime(2026, 3, 5)]], None),
    ([[TITLE, None, None, "制表日期", "2026-03-05"]], None),
])
def test_title_row_and_a_date_cell_near_it(above, merge):
    outline = parse_document(workbook(above + [HEADER] + TASKS, merge), "分解表.xlsx")
    plan = outline.plans[0].to_dict()
    assert plan["title"] == TITLE
    assert plan["date"] == "2026-03-05" or str(plan["date"]) == "2026-03-05"
    texts = [item["text"] for item in plan["items"]]
    assert any("污水管网" in t for t in texts) and any("农村公路" in t for t in texts)


def test_a_sheet_without_a_title_row_has_no_title_from_it():
    plan = parse_document(workbook([HEADER] + TASKS), "分解表.xlsx").plans[0].to_dict()
    assert not plan.get("title") and not plan.get("date")
