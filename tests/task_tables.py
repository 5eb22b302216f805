"""Task-breakdown tables (重点工作任务分解表) built in tests, in the shapes plans arrive in.

One table, written out as an .xlsx file or as text pasted from Word (tab-separated cells), so page
and browser tests can import the same rows in each shape and check the tasks they lead to.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import openpyxl

HEADER = ("序号", "重点任务", "牵头单位", "配合单位", "完成时限")


@dataclass(frozen=True)
class Row:
    number: str
    task: str
    lead: str
    support: str
    deadline: str


def rows(year: int) -> list[Row]:
    """Three tasks due in ``year`` (choose one in the future): one lead and two supporting units with a
    half-yearly rhythm, one shared by every county, one led by a department with a fixed date."""
    return [
        Row("1", "建成城乡一体化供水工程，每半年报送一次进展。", "东城区", "西城区、市水务局", f"{year}年12月底前"),
        Row("2", "完成老旧小区改造任务，各县区按月报送进度。", "各县区", "", f"{year}年10月底前"),
        Row("3", "新建普惠性幼儿园3所。", "市教育局", "", f"{year}年9月30日"),
    ]


def expected_deadlines(year: int) -> dict[str, date]:
    """The deadline each row's text means."""
    return {"1": date(year, 12, 31), "2": date(year, 10, 31), "3": date(year, 9, 30)}


def xlsx_bytes(table: list[Row], title: str = "2026年重点工作任务分解表") -> bytes:
    """The table as one sheet: a title row, the header, the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "任务分解表"
    sheet.append([title])
    sheet.append(list(HEADER))
    for row in table:
        sheet.append([row.number, row.task, row.lead, row.support, row.deadline])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def tab_text(table: list[Row], title: str = "2026年重点工作任务分解表") -> str:
    """The table as Word or Excel put it on the clipboard: cells separated by tabs, a row a line."""
    lines = [title, "\t".join(HEADER)]
    lines += ["\t".join((r.number, r.task, r.lead, r.support, r.deadline)) for r in table]
    return "\n".join(lines) + "\n"


def flat_text(table: list[Row], title: str = "2026年重点工作任务分解表") -> str:
    """The table copied off a web page: every cell on a line of its own, blank lines between, and
    several units one per line; an empty cell leaves nothing behind."""
    cells = [title, *HEADER]
    for r in table:
        cells += [r.number, r.task, *r.lead.split("、"), *[u for u in r.support.split("、") if u], r.deadline]
    return "\n\n".join(cells) + "\n"
