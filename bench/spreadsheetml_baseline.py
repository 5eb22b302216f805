"""The ledger's .xlsx as the app wrote it by hand (SpreadsheetML, before XlsxWriter): kept only as
the baseline the ledger bench measures the XlsxWriter export against, in the same run."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

DATE_FORMAT = "yyyy-mm-dd"


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


def xlsx_chunks(values: Iterable[list[Any]], headers: list[str], widths: list[int], title: str = "ledger",
                rows_per_chunk: int = 2000, now: datetime | None = None) -> Iterator[bytes]:
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
    letters = [get_column_letter(i) for i in range(1, len(widths) + 1)]
    strings: dict[str, int] = {}
    count = 0

    def string_cell(ref: str, text: str, style: str = "") -> str:
        index = strings.get(text)
        if index is None:
            index = strings[text] = len(strings)
        return f'<c r="{ref}"{style} t="s"><v>{index}</v></c>'

    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
        sheet.write((_XML_HEAD + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                     '<sheetViews><sheetView workbookViewId="0">'
                     '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                     '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                     f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
                     '<row r="1">' + "".join(string_cell(f"{c}1", h, ' s="2"') for c, h in zip(letters, headers,
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
    sheet_name = _xml_text(title[:31])
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


