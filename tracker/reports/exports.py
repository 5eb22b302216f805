"""The 台账 as .xlsx and .csv: generation here, sending in the view.

Cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) are neutralised:
CSV gets a leading apostrophe, xlsx stores them as plain text cells (data type "s").
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tracker.tasks.models import TaskState, UnitRole

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"


def headers() -> list[str]:
    return [_("序号"), _("计划"), _("编号"), _("工作任务"), _("责任单位"), _("牵头/配合"), _("责任人"),
            _("原定时限"), _("延期时限"), _("状态"), _("灯号"), _("最新进展"), _("佐证材料数"), _("退回次数")]


#: widths in Excel character units; a Chinese character is about two
COLUMN_WIDTHS = [6, 24, 8, 50, 18, 10, 10, 12, 12, 10, 8, 40, 11, 9]


def state_label(state: TaskState) -> str:
    return {
        TaskState.assigned: _("已交办"), TaskState.in_progress: _("办理中"), TaskState.submitted: _("待审核"),
        TaskState.completed: _("已办结"), TaskState.returned: _("已退回"), TaskState.cancelled: _("已撤销"),
    }[state]


def light_label(light: str) -> str:
    return {"red": _("红灯"), "yellow": _("黄灯"), "green": _("绿灯"), "none": _("—")}.get(light, light)


def role_label(role: UnitRole) -> str:
    return _("牵头") if role is UnitRole.lead else _("配合")


def ledger_values(rows: Iterable[Any]) -> Iterator[list[Any]]:
    """Each ledger query row as the 14 cell values, dates kept as dates."""
    # labels translated once per export, not once per row
    states = {s: state_label(s) for s in TaskState}
    roles = {r: role_label(r) for r in UnitRole}
    lights = {k: light_label(k) for k in ("red", "yellow", "green", "none")}
    for n, row in enumerate(rows, start=1):
        yield [
            n, row.plan_title, row.number or "", row.text, row.unit_name, roles[row.role], row.owner_name or "",
            row.original_due_on, row.due_on if row.due_on != row.original_due_on else None,
            states[row.state], lights.get(row.light, row.light), row.last_progress_text or "", row.evidence_count,
            row.return_count,
        ]


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_safe(value: Any) -> str:
    """A CSV cell: dates as ISO text, formula-like text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        # numbers are numbers, a minus sign included
        return str(value)
    return "'" + value if is_formula_like(value) else value


def write_csv(values: Iterable[list[Any]], out: io.TextIOBase) -> None:
    """UTF-8 with a BOM so Excel opens Chinese text correctly."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers())
    for row in values:
        writer.writerow([csv_safe(v) for v in row])


def csv_chunks(values: Iterable[list[Any]], rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV as a stream of byte chunks, for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers())
    for i, row in enumerate(values, start=1):
        writer.writerow([csv_safe(v) for v in row])
        if i % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(values: Iterable[list[Any]], title: str | None = None) -> tempfile.SpooledTemporaryFile:
    """The ledger workbook in write-only mode (constant memory), built into a temporary file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or _("任务台账"))[:31])
    sheet.freeze_panes = "A2"
    for i, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="F2F2F2")
    header_cells = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = header_font
        cell.fill = header_fill
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in values:
        count += 1
        # plain values let openpyxl pick the type (dates get yyyy-mm-dd); only text that looks like
        # a formula needs a cell of its own, forced to the string type
        cells = list(row)
        for i, value in enumerate(cells):
            if is_formula_like(value):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells[i] = cell
        sheet.append(cells)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMN_WIDTHS))}{count + 1}"
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return out
