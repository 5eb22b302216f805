"""The 台账 as .xlsx and .csv: generation here, sending in the view, the columns in
``tracker.reports.ledger``.

The .xlsx is written by XlsxWriter in its constant-memory mode (rows go to disk as they come, so
100,000 rows take little memory): a title row with the plan and the date, the header frozen under
it, an autofilter, column widths, dates as date cells. Every text is written as a string, never a
formula, so text that looks like one (starting with = + - @ tab or CR) stays text; CSV puts an
apostrophe before it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import xlsxwriter
from flask_babel import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
#: rows above the data: the title row, then the header
TITLE_ROW, HEADER_ROW = 0, 1


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


def _title_cells(title: str, today: date, width: int) -> list[str]:
    """The title row as CSV cells: the title, and the date it was made in the last two columns."""
    cells = [title] + [""] * max(width - 3, 0) + [_("制表日期"), today.isoformat()]
    return cells[:max(width, 3)]


def csv_chunks(values: Iterable[list[Any]], headers: list[str], *, title: str, today: date,
               rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV (UTF-8 with a BOM so Excel reads the Chinese) as byte chunks: the title row, the
    header, the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([csv_safe(v) for v in _title_cells(title, today, len(headers))])
    writer.writerow(headers)
    for i, row in enumerate(values, start=1):
        writer.writerow([csv_safe(v) for v in row])
        if i % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(values: Iterable[list[Any]], headers: list[str], widths: list[int], kinds: list[str], *,
               title: str, today: date, out: Any, sheet_name: str | None = None) -> None:
    """The ledger workbook into ``out`` (a file object), one row at a time."""
    workbook = xlsxwriter.Workbook(out, {
        "constant_memory": True, "tmpdir": tempfile.gettempdir(),
        # text stays text: nothing is turned into a formula, a number or a link
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
    })
    workbook.set_properties({"title": title})
    sheet = workbook.add_worksheet((sheet_name or _("任务台账"))[:31])
    title_format = workbook.add_format({"bold": True, "font_size": 14, "valign": "vcenter"})
    date_format = workbook.add_format({"num_format": DATE_FORMAT})
    title_date_format = workbook.add_format({"num_format": DATE_FORMAT, "bold": True})
    header_format = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True,
                                         "valign": "vcenter"})
    last = len(headers) - 1
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width, date_format if kinds[col] == "date" else None)
    sheet.set_row(TITLE_ROW, 24)
    if last >= 3:
        sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last - 2, title, title_format)
        sheet.write_string(TITLE_ROW, last - 1, _("制表日期"), title_format)
        sheet.write_datetime(TITLE_ROW, last, datetime(today.year, today.month, today.day), title_date_format)
    else:
        sheet.write_string(TITLE_ROW, 0, title, title_format)
    for col, header in enumerate(headers):
        sheet.write_string(HEADER_ROW, col, header, header_format)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    row_number = HEADER_ROW
    for row_number, row in enumerate(values, start=HEADER_ROW + 1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                write_string(row_number, col, value)
            elif isinstance(value, bool):
                sheet.write_boolean(row_number, col, value)
            elif isinstance(value, (int, float)):
                write_number(row_number, col, value)
            elif isinstance(value, datetime):
                write_datetime(row_number, col, value.replace(tzinfo=None), date_format)
            elif isinstance(value, date):
                write_datetime(row_number, col, datetime(value.year, value.month, value.day), date_format)
            else:
                write_string(row_number, col, str(value))
    sheet.autofilter(HEADER_ROW, 0, max(row_number, HEADER_ROW), last)
    workbook.close()


def xlsx_chunks(values: Iterable[list[Any]], headers: list[str], widths: list[int], kinds: list[str], *,
                title: str, today: date, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """The workbook as a stream of bytes: written to a temporary file, then read out."""
    with tempfile.TemporaryFile() as out:
        write_xlsx(values, headers, widths, kinds, title=title, today=today, out=out)
        out.seek(0, os.SEEK_SET)
        while True:
            data = out.read(chunk)
            if not data:
                break
            yield data
