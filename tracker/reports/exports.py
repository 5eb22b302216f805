"""The 台账 as .xlsx and .csv: generation here, sending in the view.

Cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) are neutralised:
CSV gets a leading apostrophe; the xlsx is written as SpreadsheetML by hand and never contains a
formula, every text is a shared-string cell (data type "s").
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from openpyxl.utils import get_column_letter

from tracker.tasks.labels import light_label, role_label, state_label
from tracker.tasks.models import OPEN_STATES, TaskState, UnitRole
from tracker.timeutil import to_local

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"


def headers() -> list[str]:
    return [_("序号"), _("计划"), _("编号"), _("工作任务"), _("责任单位"), _("牵头/配合"), _("责任人"),
            _("原定时限"), _("延期时限"), _("状态"), _("灯号"), _("最新进展"), _("佐证材料数"), _("退回次数"),
            _("签收时间")]


#: widths in Excel character units; a Chinese character is about two
COLUMN_WIDTHS = [6, 24, 8, 50, 18, 10, 10, 12, 12, 10, 8, 40, 11, 9, 17]


def ledger_values(rows: Iterable[Any]) -> Iterator[list[Any]]:
    """Each ledger query row (``queries.ledger_query``'s columns, in order) as the 15 cell values,
    dates kept as dates; the 签收 time as local text, 未签收 for an open task not acknowledged."""
    # labels translated once per export, not once per row
    waiting = _("未签收")
    open_states = set(OPEN_STATES)
    states = {s: state_label(s) for s in TaskState}
    roles = {r: role_label(r) for r in UnitRole}
    lights = {k: light_label(k) for k in ("red", "yellow", "green", "none")}
    # unpacked by position: a Row's attribute lookups cost more than the rest of the row
    for n, (_id, plan_title, number, text, unit_name, role, owner_name, original_due_on, due_on, state, light,
            progress, evidence_count, return_count, acknowledged_at) in enumerate(rows, start=1):
        if acknowledged_at is not None:
            acknowledged = to_local(acknowledged_at).strftime("%Y-%m-%d %H:%M")
        else:
            acknowledged = waiting if state in open_states else ""
        yield [
            n, plan_title, number or "", text, unit_name, roles[role], owner_name or "", original_due_on,
            due_on if due_on != original_due_on else None, states[state], lights.get(light, light),
            progress or "", evidence_count, return_count, acknowledged,
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


# --------------------------------------------------------------------------- xlsx

#: the day Excel counts dates from (its 1900 date system, past the phantom 1900-02-29)
EXCEL_EPOCH = date(1899, 12, 30).toordinal()
#: characters XML 1.0 cannot carry at all (a spreadsheet cell cannot hold them either)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = _XML_HEAD + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    '</Types>')
ROOT_RELS = _XML_HEAD + (
    f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    '</Relationships>')
WORKBOOK_RELS = _XML_HEAD + (
    f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
    '</Relationships>')
#: cell styles: 0 plain, 1 date (yyyy-mm-dd), 2 header (bold on a light grey fill)
STYLES = _XML_HEAD + (
    f'<styleSheet xmlns="{_MAIN_NS}">'
    f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
APP_PROPS = _XML_HEAD + (
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    '<Application>Microsoft Excel</Application></Properties>')


def _xml_text(value: str) -> str:
    return escape(_ILLEGAL_XML.sub("", value), {'"': "&quot;"})


def _core_props(now: datetime) -> str:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return _XML_HEAD + (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        '</cp:coreProperties>')


class _Sink:
    """A write-only file for ZipFile that hands out what was written so far (streaming: ZipFile
    writes data descriptors when it cannot seek)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def xlsx_chunks(values: Iterable[list[Any]], title: str | None = None, rows_per_chunk: int = 2000,
                now: datetime | None = None) -> Iterator[bytes]:
    """The ledger workbook as a stream of bytes, written as SpreadsheetML directly.

    One sheet with the Chinese headers (bold, grey), the header row frozen, column widths, an
    autofilter over every row, dates as Excel date serials with one shared yyyy-mm-dd style, and
    every text in the shared-strings table: no cell is ever a formula, so text that looks like one
    stays text. A cell object per value (openpyxl) cost about 0.2 ms a row; this costs a string
    format per cell.
    """
    now = now or datetime.now(UTC)
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                       ("docProps/app.xml", APP_PROPS), ("docProps/core.xml", _core_props(now)),
                       ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS), ("xl/styles.xml", STYLES)):
        archive.writestr(name, text)
    letters = [get_column_letter(i) for i in range(1, len(COLUMN_WIDTHS) + 1)]
    strings: dict[str, int] = {}
    count = 0

    def string_cell(ref: str, text: str, style: str = "") -> str:
        index = strings.get(text)
        if index is None:
            index = strings[text] = len(strings)
        return f'<c r="{ref}"{style} t="s"><v>{index}</v></c>'

    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(COLUMN_WIDTHS, start=1))
    with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
        sheet.write((_XML_HEAD + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                     '<sheetViews><sheetView workbookViewId="0">'
                     '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                     '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                     f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
                     '<row r="1">' + "".join(string_cell(f"{c}1", h, ' s="2"') for c, h in zip(letters, headers(),
                                                                                            strict=True))
                     + "</row>").encode())
        parts: list[str] = []
        for count, row in enumerate(values, start=1):
            r = count + 1
            cells = [f'<row r="{r}">']
            for letter, value in zip(letters, row, strict=False):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    cells.append(string_cell(f"{letter}{r}", value))
                elif isinstance(value, bool):
                    cells.append(f'<c r="{letter}{r}" t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, (int, float)):
                    cells.append(f'<c r="{letter}{r}"><v>{value}</v></c>')
                elif isinstance(value, date):
                    serial = (value.date() if isinstance(value, datetime) else value).toordinal() - EXCEL_EPOCH
                    cells.append(f'<c r="{letter}{r}" s="1"><v>{serial}</v></c>')
                else:
                    cells.append(string_cell(f"{letter}{r}", str(value)))
            cells.append("</row>")
            parts.append("".join(cells))
            if count % rows_per_chunk == 0:
                sheet.write("".join(parts).encode())
                parts.clear()
                yield sink.take()
        last = letters[-1]
        sheet.write(("".join(parts) + f'</sheetData><autoFilter ref="A1:{last}{count + 1}"/>'
                     '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                     '</worksheet>').encode())
    yield sink.take()
    sheet_name = _xml_text((title or _("任务台账"))[:31])
    archive.writestr("xl/workbook.xml", _XML_HEAD + (
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets>'
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"&apos;{sheet_name.replace(chr(39), chr(39) * 2)}&apos;!$A$1:${last}${count + 1}</definedName></definedNames>"
        '</workbook>'))
    with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
        table.write((_XML_HEAD + f'<sst xmlns="{_MAIN_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                     ).encode())
        batch: list[str] = []
        for text in strings:
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() or "\n" in text else ""
            batch.append(f"<si><t{space}>{_xml_text(text)}</t></si>")
            if len(batch) >= 5000:
                table.write("".join(batch).encode())
                batch.clear()
        table.write(("".join(batch) + "</sst>").encode())
    archive.close()
    yield sink.take()


def write_xlsx(values: Iterable[list[Any]], title: str | None = None) -> tempfile.SpooledTemporaryFile:
    """The ledger workbook in a temporary file (for callers that want a file, not a stream)."""
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    for chunk in xlsx_chunks(values, title):
        out.write(chunk)
    out.seek(0)
    return out
