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
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

import xlsxwriter
import xlsxwriter.workbook
from flask_babel import gettext as _
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
#: rows above the data: the title row, then the header
TITLE_ROW, HEADER_ROW = 0, 1
#: text XlsxWriter would not write as it is: control characters, its own _xHHHH_ escapes, XML
#: specials (the quote and newline only send it to its escaping function, which keeps them),
#: outer white space (kept by an attribute) and length (very long text is cut)
_NEEDS_CARE = re.compile('[\x00-\x08\x0b-\x1f\ufffe\uffff"&<>\n]|_x[0-9a-fA-F]{4}_|^\\s|\\s\\Z|^.{16000}',
                         re.DOTALL)
#: the Excel serial of a date is its ordinal less this (true from 1900-03-01 on, past Excel's 1900-02-29)
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_FIRST_PLAIN_DATE = date(1900, 3, 1)
#: how many short texts the row writer keeps written out (a bound on its memory)
_CACHED_TEXTS, _CACHED_LENGTH = 20_000, 64


#: the deflate level of the workbook being packed (None: zlib's default, XlsxWriter's own choice)
_ZIP_LEVEL: ContextVar[int | None] = ContextVar("xlsx_zip_level", default=None)
#: the ledger's level: deflating its inline-string XML at zlib's default level 6 took half the time
#: of a 100,000-row export; level 1 takes a third of that for a file about a third larger
LEDGER_ZIP_LEVEL = 1


class _LevelledZipFile(zipfile.ZipFile):
    """The ZipFile XlsxWriter packs workbooks into, at the level ``_ZIP_LEVEL`` names.

    XlsxWriter has no option for the level; outside ``write_xlsx`` nothing changes (level None)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", _ZIP_LEVEL.get())
        super().__init__(*args, **kwargs)


if xlsxwriter.workbook.ZipFile is zipfile.ZipFile:
    xlsxwriter.workbook.ZipFile = _LevelledZipFile  # type: ignore[misc]


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


class LedgerSheet(Worksheet):
    """A constant-memory worksheet that writes whole rows of plain values itself.

    XlsxWriter spends about 7 µs a cell on its general path (argument checks, a cell tuple, the
    row table, attribute lists, three regular expressions a string). A ledger row holds only text,
    numbers and dates with no format of their own, so this writes each row's XML in one string,
    byte for byte what ``write_string``/``write_number``/``write_datetime`` would have written
    (tests compare the two). A row with anything else (a bool, NaN, text over 16,000 characters,
    a row past the sheet's end, a row given a height or format by ``set_row``) goes through the
    public methods.
    """

    def write_plain_rows(self, rows: Iterable[list[Any]], first_row: int, date_format: Any) -> int:
        """Write ``rows`` from ``first_row`` down; returns the last row written."""
        #: per column, the start of a cell's tag up to its row number
        openings: list[str] = []
        #: per column, the rest of a text cell's tag by text (plan titles, units and states repeat)
        tails: list[dict[str, str | None]] = []
        #: per column, its style attribute, looked up on first use (XlsxWriter numbers formats in the
        #: order it meets them, so this keeps styles.xml as it would be)
        styles: list[str | None] = []
        date_style = None
        cached = 0
        fh_write = self.fh.write
        row_number = first_row - 1
        for row_number, row in enumerate(rows, start=first_row):
            while len(openings) < len(row):
                openings.append(f'<c r="{xl_col_to_name(len(openings))}')
                tails.append({"": ""})
                styles.append(None)
            if self.table or self.previous_row in self.row_info:
                self._write_single_row(row_number)
            if row_number >= self.xls_rowmax or row_number in self.row_info:
                # past the sheet's end, or a row with its own height or format
                self._write_row_slowly(row, row_number, date_format)
                continue
            n = str(row_number + 1)
            parts = [f'<row r="{n}">']
            append = parts.append
            for col, value in enumerate(row):
                kind = type(value)
                if kind is str:
                    tail = tails[col].get(value)
                    if tail is None:
                        style = styles[col]
                        if style is None:
                            style = styles[col] = self._style(col)
                        tail = self._text_tail(value, style)
                        if tail is None:
                            break
                        if cached < _CACHED_TEXTS and len(value) <= _CACHED_LENGTH:
                            tails[col][value] = tail
                            cached += 1
                    if tail:
                        append(f"{openings[col]}{n}{tail}")
                elif value is None:
                    continue
                elif kind is date and value >= _FIRST_PLAIN_DATE:
                    if date_style is None:
                        date_style = f' s="{date_format._get_xf_index()}"'
                    append(f'{openings[col]}{n}"{date_style}><v>{value.toordinal() - _EXCEL_EPOCH}</v></c>')
                elif kind is int or (kind is float and math.isfinite(value)):
                    style = styles[col]
                    if style is None:
                        style = styles[col] = self._style(col)
                    append(f'{openings[col]}{n}"{style}><v>{value:.16G}</v></c>')
                elif kind is datetime:
                    if date_style is None:
                        date_style = f' s="{date_format._get_xf_index()}"'
                    serial = self._convert_date_time(value.replace(tzinfo=None))
                    append(f'{openings[col]}{n}"{date_style}><v>{serial:.16G}</v></c>')
                else:
                    break
            else:
                self.previous_row = row_number
                if len(parts) > 1:
                    append("</row>")
                    fh_write("".join(parts))
                    self.dim_rowmax = row_number if self.dim_rowmax is None else max(self.dim_rowmax, row_number)
                    if self.dim_rowmin is None or row_number < self.dim_rowmin:
                        self.dim_rowmin = row_number
                    self._widen_columns(row)
                continue
            # a value the loop above does not write (a bool, NaN, very long text, another type)
            self._write_row_slowly(row, row_number, date_format)
        return row_number

    def _style(self, col: int) -> str:
        info = self.col_info.get(col)
        column_format = info.column_format if info is not None else None
        return f' s="{column_format._get_xf_index()}"' if column_format is not None else ""

    def _text_tail(self, value: str, style: str) -> str | None:
        """A text cell's tag after its row number, as XlsxWriter writes it; None for text it would cut."""
        if _NEEDS_CARE.search(value):
            if len(value) > 16000:
                return None
            value = self._escape_data(self._escape_control_characters(value))
            if value[:1].isspace() or value[-1:].isspace():
                return f'"{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
        return f'"{style} t="inlineStr"><is><t>{value}</t></is></c>'

    def _write_row_slowly(self, row: list[Any], r: int, date_format: Any) -> None:
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                self.write_string(r, col, value)
            elif isinstance(value, bool):
                self.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                self.write_number(r, col, value)
            elif isinstance(value, datetime):
                self.write_datetime(r, col, value.replace(tzinfo=None), date_format)
            elif isinstance(value, date):
                self.write_datetime(r, col, datetime(value.year, value.month, value.day), date_format)
            else:
                self.write_string(r, col, str(value))

    def _widen_columns(self, row: list[Any]) -> None:
        """The sheet's dimensions take in the row's first and last cells (usually already inside)."""
        last = len(row) - 1
        if self.dim_colmax is not None and last <= self.dim_colmax and self.dim_colmin == 0:
            return
        filled = [col for col, value in enumerate(row) if value is not None and value != ""]
        if filled:
            self.dim_colmin = filled[0] if self.dim_colmin is None else min(self.dim_colmin, filled[0])
            self.dim_colmax = filled[-1] if self.dim_colmax is None else max(self.dim_colmax, filled[-1])


def write_xlsx(values: Iterable[list[Any]], headers: list[str], widths: list[int], kinds: list[str], *,
               title: str, today: date, out: Any, sheet_name: str | None = None) -> None:
    """The ledger workbook into ``out`` (a file object), one row at a time."""
    workbook = xlsxwriter.Workbook(out, {
        "constant_memory": True, "tmpdir": tempfile.gettempdir(),
        # text stays text: nothing is turned into a formula, a number or a link
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
    })
    workbook.set_properties({"title": title})
    sheet = workbook.add_worksheet((sheet_name or _("任务台账"))[:31], worksheet_class=LedgerSheet)
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
    row_number = sheet.write_plain_rows(values, HEADER_ROW + 1, date_format)
    sheet.autofilter(HEADER_ROW, 0, max(row_number, HEADER_ROW), last)
    level = _ZIP_LEVEL.set(LEDGER_ZIP_LEVEL)
    try:
        workbook.close()
    finally:
        _ZIP_LEVEL.reset(level)


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
