"""Turn a plan source (bytes + file name) into blocks the parser reads.

Every reader returns a flat list of :class:`Block` in document order. Text
and Markdown give one block per source line (blank lines kept as empty
blocks, so a block's index is its line number); Word gives one block per
non-empty paragraph, with automatic numbers rendered in front of the text as
Word displays them; task-breakdown tables (Word or Excel) give one block per
row with the row's cells in ``Block.row``.

Bad input is refused with :class:`PlanInputError` and nothing else: the
readers never guess at an encoding they cannot verify and never unpack an
archive that is larger than its declared limits.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import functools
import io
import logging
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import PlanInputError

__all__ = ["Block", "decode_text", "read_document", "split_units"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Zip-bomb limits for .docx/.xlsx, checked on the central directory before anything is inflated.
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_TOTAL = 10 * 1024 * 1024
ZIP_MAX_ENTRIES = 5000

TEXT_EXTENSIONS = {".txt", ".text"}
MARKDOWN_EXTENSIONS = {".md", ".markdown"}
DOCX_EXTENSIONS = {".docx"}
XLSX_EXTENSIONS = {".xlsx"}

#: how many leading rows of a sheet may hold titles before the header row
XLSX_HEADER_SEARCH_ROWS = 10
#: a Word table's header row is one of its first rows
DOCX_HEADER_SEARCH_ROWS = 3


@dataclass
class Block:
    """One line or paragraph of a source, or one row of a task table."""

    text: str
    heading_level: int | None = None  # from Word Heading 1..9 / Markdown #
    row: dict | None = None  # a task-table row: number, text, lead_units, units, support_units, deadline_text
    #: Word numbers this paragraph itself (automatic numbering): its number is certain, whatever its value
    numbered: bool = False


# ---------------------------------------------------------------------------
# entry point


def read_document(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Block]:
    """Read an uploaded plan; refuse anything that is not a readable plan with PlanInputError.

    The extension picks the reader, and the content must agree with it: a
    ``.txt`` that is really a zip or an image is refused as binary rather
    than decoded into nonsense.
    """
    ext = _extension(filename)
    if ext not in TEXT_EXTENSIONS | MARKDOWN_EXTENSIONS | DOCX_EXTENSIONS | XLSX_EXTENSIONS:
        raise PlanInputError("unsupported_type", ext=ext or filename or "?")
    if len(data) > max_bytes:
        raise PlanInputError("too_large", limit_mb=_format_mb(max_bytes))
    if not data.strip():
        raise PlanInputError("empty")

    if ext in TEXT_EXTENSIONS:
        return _text_blocks(decode_text(data))
    if ext in MARKDOWN_EXTENSIONS:
        return _markdown_blocks(decode_text(data))

    kind = "docx" if ext in DOCX_EXTENSIONS else "xlsx"
    corrupt = "corrupt_" + kind
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # an OLE compound file: a Word 97-2003 .doc/.xls renamed, or a password-protected file
        raise PlanInputError("legacy_office", ext=ext)
    if not data.startswith(b"PK"):
        raise PlanInputError(corrupt)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _BAD_FILE_ERRORS as exc:  # includes NotImplementedError for unknown zip versions
        raise PlanInputError(corrupt) from exc
    with archive:
        _check_zip(archive, len(data))
        names = set(archive.namelist())
    # Trust the content over the name when a Word file was saved as .xlsx or vice versa.
    if "word/document.xml" in names:
        kind = "docx"
    elif "xl/workbook.xml" in names:
        kind = "xlsx"
    else:
        raise PlanInputError(corrupt)

    try:
        blocks = _read_docx(data) if kind == "docx" else _read_xlsx(data)
    except PlanInputError:
        raise
    except MemoryError:
        raise
    except _BAD_FILE_ERRORS as exc:
        raise PlanInputError("corrupt_" + kind) from exc
    except Exception as exc:
        # Untrusted bytes can trip python-docx/openpyxl in ways they do not document; the cause
        # is logged and chained so a real bug still shows up in the log and in tests.
        logger.warning("unexpected error reading %s as %s", filename, kind, exc_info=True)
        raise PlanInputError("corrupt_" + kind) from exc
    if not any(block.text.strip() for block in blocks):
        raise PlanInputError("empty")
    return blocks


def _bad_file_errors() -> tuple[type[BaseException], ...]:
    from lxml import etree

    errors: list[type[BaseException]] = [
        zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, IndexError, EOFError, OSError,
        zlib.error, struct.error, NotImplementedError, etree.LxmlError, UnicodeError,
    ]
    try:
        from docx.opc.exceptions import OpcError

        errors.append(OpcError)
    except ImportError:  # pragma: no cover - python-docx is a dependency
        pass
    return tuple(errors)


_BAD_FILE_ERRORS = _bad_file_errors()


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower().replace("\\", "/").rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[1] if "." in name else ""


def _format_mb(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return str(int(mb)) if mb == int(mb) else f"{mb:.1f}"


def _check_zip(archive: zipfile.ZipFile, compressed_size: int) -> None:
    """Refuse archives that would inflate far beyond any real document."""
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        raise PlanInputError("zip_bomb")
    total = sum(info.file_size for info in infos)
    if total > ZIP_MAX_TOTAL:
        raise PlanInputError("zip_bomb")
    if total > ZIP_RATIO_MIN_TOTAL and total > ZIP_MAX_RATIO * max(compressed_size, 1):
        raise PlanInputError("zip_bomb")


# ---------------------------------------------------------------------------
# text: encoding detection and normalisation

_BINARY_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"MZ",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"wOFF",
    b"\x00asm",
)
# Controls that never occur in text; \t \n \r \f \v are handled by normalisation.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_NEWLINE_RE = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_ZERO_WIDTH_RE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")
_SPACE_RE = re.compile("[\u00a0\u3000\u2002-\u200a\u202f\u205f]")
_NORMALIZE_NEEDED_RE = re.compile(
    "[\r\x0b\x0c\x85\u2028\u2029\ufeff\u200b-\u200d\u2060\u00ad\x00-\x08\x0e-\x1f\x7f-\x9f"
    "\ufffe\uffff\u00a0\u3000\u2002-\u200a\u202f\u205f]"
)
#: decoded characters we look at to judge a legacy-encoding guess
_SAMPLE_CHARS = 20000


def decode_text(data: bytes) -> str:
    """Decode a text upload (UTF-8, UTF-16, GB18030/GBK, Big5) and normalise line ends and spaces.

    Only encodings whose result can be verified are accepted: strict UTF-8
    first, UTF-16 when the BOM or the NUL pattern says so, then GB18030 and
    Big5, each when the result reads like common Chinese in that encoding.
    Anything else is refused with ``unknown_encoding`` (or ``binary``)
    instead of being decoded to mojibake.
    """
    if not data.strip():
        raise PlanInputError("empty")
    text = _decode(data)
    text = normalize_text(text)
    if not text.strip():
        raise PlanInputError("empty")
    return text


def normalize_text(text: str) -> str:
    """LF line ends, no control or zero-width characters, ideographic/no-break spaces as spaces."""
    if _NORMALIZE_NEEDED_RE.search(text) is None:
        return text
    text = _NEWLINE_RE.sub("\n", text)
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _CONTROL_RE.sub("", text)
    return _SPACE_RE.sub(" ", text)


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanInputError("unknown_encoding") from exc
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return _decode_wide(data, "utf-32")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_wide(data, "utf-16")
    if data.startswith(_BINARY_MAGIC):
        raise PlanInputError("binary")

    if b"\x00" in data:
        for encoding in _utf16_by_nuls(data):
            try:
                return _decode_wide(data, encoding)
            except PlanInputError:
                continue
        raise PlanInputError("binary")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _control_share(text) > 0.02:
            raise PlanInputError("binary")
        return text

    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if _control_share(text) > 0.02:
            raise PlanInputError("binary")
        if _reads_like(text, _gb_class):
            return text
    # Traditional Chinese from Taiwan or Hong Kong: Big5 as Windows writes it (cp950)
    try:
        text = data.decode("cp950")
    except UnicodeDecodeError as exc:
        raise PlanInputError("unknown_encoding") from exc
    if _control_share(text) > 0.02:
        raise PlanInputError("binary")
    if not _reads_like(text, _big5_class):
        raise PlanInputError("unknown_encoding")
    return text


def _decode_wide(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PlanInputError("unknown_encoding") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if not _reads_like_unicode_text(text):
        raise PlanInputError("unknown_encoding")
    return text


def _utf16_by_nuls(data: bytes) -> list[str]:
    """UTF-16 guesses for text without a BOM, most likely first.

    ASCII characters put their NUL byte on one side; CJK characters such as
    一 (U+4E00) put a few on the other, so a text with little ASCII can have
    NULs on both sides. Each guess is verified by decoding.
    """
    if len(data) % 2:
        return []
    sample = data[:65536]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    return ["utf-16-le", "utf-16-be"] if odd >= even else ["utf-16-be", "utf-16-le"]


def _control_share(text: str) -> float:
    """Share of characters no text file holds; a stray one or two in a short file is tolerated."""
    sample = text[:_SAMPLE_CHARS]
    count = len(_CONTROL_RE.findall(sample))
    if count <= 2:
        return 0.0
    return count / len(sample)


_UNICODE_TEXT_RE = re.compile(
    "[\t\n\r\x0b\x0c\x20-\x7e\u00a0-\u024f\u2000-\u206f\u2100-\u218f\u2190-\u21ff\u2460-\u24ff"
    "\u2500-\u257f\u25a0-\u25ff\u2600-\u26ff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\ufeff]"
)


def _reads_like_unicode_text(text: str) -> bool:
    """A UTF-16 guess is right when nearly every character is in a block that plans use."""
    sample = text[:_SAMPLE_CHARS]
    if not sample:
        return True
    common = len(_UNICODE_TEXT_RE.findall(sample))
    return common >= 0.95 * len(sample)


_GOOD, _RARE, _BAD = 0, 1, 2


@functools.cache
def _gb_class(char: str) -> int:
    """Classify a non-ASCII character by where it sits in GB2312."""
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return _BAD  # GBK/GB18030 extension: rare characters, or a wrong guess
    if 0xB0 <= lead <= 0xD7 or lead in (0xA1, 0xA3):
        return _GOOD  # level-1 hanzi, CJK punctuation, full-width forms
    if 0xD8 <= lead <= 0xF7 or lead == 0xA2:
        return _RARE  # level-2 hanzi, enclosed numbers
    return _BAD  # kana, Greek, Cyrillic, pinyin, box drawing


@functools.cache
def _big5_class(char: str) -> int:
    """Classify a non-ASCII character by where it sits in Big5 (as Windows writes it, cp950)."""
    try:
        encoded = char.encode("cp950")
    except UnicodeEncodeError:
        return _BAD  # Microsoft's or HKSCS additions: rare characters, or a wrong guess
    code = int.from_bytes(encoded, "big") if len(encoded) == 2 else 0
    if 0xA140 <= code <= 0xC67E:
        return _GOOD  # punctuation, full-width forms, the frequently used hanzi (常用字)
    if 0xC940 <= code <= 0xF9FE:
        return _RARE  # the less frequently used hanzi (次常用字)
    return _BAD  # kana, Cyrillic and other symbols


def _reads_like(text: str, classify: Callable[[str], int]) -> bool:
    """Tell real Chinese in a legacy encoding from other bytes that happen to decode in it.

    Real Chinese text is dominated by the encoding's common characters (GB2312 level 1, Big5's
    frequently used hanzi); other encodings read this way land mostly on rare hanzi, extension
    characters, kana or Cyrillic.
    """
    sample = text[:_SAMPLE_CHARS]
    counts = [0, 0, 0]
    for char in sample:
        if char > "\x7f":
            counts[classify(char)] += 1
    non_ascii = sum(counts)
    if non_ascii == 0:
        return True
    return counts[_BAD] + 0.5 * counts[_RARE] <= 0.08 * non_ascii


# ---------------------------------------------------------------------------
# text and Markdown blocks


def _text_blocks(text: str) -> list[Block]:
    return [Block(line.strip()) for line in text.split("\n")]


_MD_HEADING_RE = re.compile(r"^(#{1,9})\s+(.*?)\s*#*\s*$")
_MD_BULLET_RE = re.compile(r"^[-*+]\s+")
_MD_EMPHASIS_RE = re.compile(r"\*\*|__")
_MD_TABLE_SEP_RE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


def _markdown_blocks(text: str) -> list[Block]:
    """Markdown: one block per line; # headings get a level, emphasis and bullets are dropped."""
    lines = text.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|") and i + 1 < len(lines) and _MD_TABLE_SEP_RE.match(lines[i + 1].strip()):
            j = i
            rows: list[list[str]] = []
            while j < len(lines) and lines[j].strip().startswith("|"):
                cells = lines[j].strip().strip("|").split("|")
                rows.append([_MD_EMPHASIS_RE.sub("", cell).strip() for cell in cells])
                j += 1
            rows = [row for n, row in enumerate(rows) if n != 1]  # the |---| line
            grid = [[((r, c), cell) for c, cell in enumerate(row)] for r, row in enumerate(rows)]
            table_blocks = _table_rows_to_blocks(grid, DOCX_HEADER_SEARCH_ROWS)
            if table_blocks is not None:
                # keep one block per source line: the separator line and dropped rows become blanks
                table_blocks += [Block("")] * (j - i - len(table_blocks))
                blocks.extend(table_blocks)
                i = j
                continue
        heading = _MD_HEADING_RE.match(line)
        level = None
        if heading:
            level = len(heading.group(1))
            line = heading.group(2)
        else:
            line = _MD_BULLET_RE.sub("", line)
        line = _MD_EMPHASIS_RE.sub("", line).strip()
        blocks.append(Block(line, heading_level=level))
        i += 1
    return blocks


# ---------------------------------------------------------------------------
# task tables (Word, Excel and Markdown share this)

_HEADER_ROLES: list[tuple[str, tuple[str, ...]]] = [
    ("number", ("序号", "编号", "序", "No", "No.")),
    ("lead_units", ("牵头单位", "牵头部门", "主责单位", "主责部门", "牵头责任单位", "牵头")),
    (
        "support_units",
        ("配合单位", "配合部门", "协办单位", "协办部门", "协助单位", "参与单位", "协同单位", "配合"),
    ),
    (
        "units",
        ("责任单位", "责任部门", "承办单位", "主办单位", "实施单位", "落实单位", "责任主体", "单位"),
    ),
    ("owners", ("责任人", "具体责任人", "联系人", "经办人")),
    (
        "deadline_text",
        (
            "完成时限", "完成时间", "时间节点", "时限要求", "完成期限", "时限", "截止时间",
            "完成时间节点", "办结时限", "进度安排", "时间安排",
        ),
    ),
]
# the task column, most specific first: when a table has two, the other is a section column
_TASK_HEADERS = (
    "具体措施", "工作措施", "主要措施", "推进措施", "具体任务", "任务内容", "工作内容", "具体工作",
    "工作任务", "主要任务", "重点任务", "重点工作", "任务名称", "工作事项", "任务事项", "工作要点",
    "目标任务", "任务", "措施", "事项",
)
_HEADER_SPACE_RE = re.compile(r"[\s\u3000]+")


def _header_role(cell: str) -> tuple[str, int] | None:
    """The role a header cell names, with a rank for task columns (lower is more specific)."""
    name = _HEADER_SPACE_RE.sub("", cell).strip("：:*＊")
    if not name or len(name) > 16:
        return None
    for role, words in _HEADER_ROLES:
        if name in words:
            return role, 0
    for rank, word in enumerate(_TASK_HEADERS):
        if name == word:
            return "text", rank
    for role, words in _HEADER_ROLES:
        if role != "number" and any(len(word) >= 4 and word in name for word in words):
            return role, 0
    for rank, word in enumerate(_TASK_HEADERS):
        if len(word) >= 2 and word in name:
            return "text", rank + len(_TASK_HEADERS)
    return None


def _header_map(cells: list[str]) -> dict[str, Any] | None:
    """Map roles to column indexes if this row is a task-table header."""
    roles: dict[str, int] = {}
    task_columns: list[tuple[int, int]] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        if not cell or cell in seen:
            continue  # horizontally merged header cells repeat
        seen.add(cell)
        found = _header_role(cell)
        if found is None:
            continue
        role, rank = found
        if role == "text":
            task_columns.append((rank, index))
        elif role not in roles:
            roles[role] = index
    if not task_columns:
        return None
    others = [r for r in roles if r != "owners"]
    if not others:
        return None
    task_columns.sort()
    text_col = task_columns[0][1]
    sections = sorted(index for _, index in task_columns[1:] if index < text_col)
    return {"roles": roles, "text": text_col, "sections": sections}


def _table_rows_to_blocks(grid: list[list[tuple[Any, str]]], search_rows: int) -> list[Block] | None:
    """Blocks for a task table, or None when no header row names a task column.

    ``grid`` holds, per row, one ``(identity, text)`` per grid column; a
    merged cell repeats its identity across the columns (and rows) it spans,
    so a title row spanning the width is recognised and units repeat down a
    vertical merge.
    """
    header_at = None
    header = None
    for index, row in enumerate(grid[:search_rows]):
        header = _header_map([text for _, text in row])
        if header is not None:
            header_at = index
            break
    if header is None or header_at is None:
        return None

    blocks: list[Block] = []
    for row in grid[:header_at]:
        texts = _distinct_texts(row)
        if texts:
            blocks.append(Block(" ".join(texts)))

    start = header_at + 1
    # a second header row (责任单位 split into 牵头单位 | 配合单位 under it)
    if start < len(grid):
        sub = [text for _, text in grid[start]]
        sub_roles = {i: _header_role(t) for i, t in enumerate(sub) if t}
        if sub_roles and all(found is not None for found in sub_roles.values()):
            for i, found in sub_roles.items():
                if found and found[0] != "text":
                    for role, col in list(header["roles"].items()):
                        if col == i:
                            del header["roles"][role]
                    header["roles"][found[0]] = i
            start += 1

    header_texts = [text for _, text in grid[header_at]]
    roles = header["roles"]
    text_col = header["text"]
    last_sections: dict[int, str] = {}
    for row in grid[start:]:
        texts = [text for _, text in row]
        if not any(texts):
            continue
        if texts == header_texts:
            continue  # a header repeated on every page of a spreadsheet
        distinct = _distinct_texts(row)
        if len(distinct) == 1 and _is_title_row(row, text_col):
            blocks.append(Block(distinct[0]))  # a section title merged across the table
            last_sections.clear()
            continue
        for col in header["sections"]:
            value = _cell(texts, col)
            if value and value != last_sections.get(col) and value != _cell(texts, text_col):
                blocks.append(Block(value))
                last_sections[col] = value
        text = _cell(texts, text_col)
        number = _cell(texts, roles.get("number"))
        if not text:
            if number and len(distinct) == 1:
                blocks.append(Block(number))
            continue
        record: dict[str, Any] = {
            "number": number,
            "text": text,
            "lead_units": [],
            "units": [],
            "support_units": [],
            "owners": [],
            "deadline_text": _cell(texts, roles.get("deadline_text")) or None,
        }
        for role in ("lead_units", "units", "support_units"):
            for name, hint in split_units(_cell(texts, roles.get(role))):
                target = hint or role
                if name not in record[target]:
                    record[target].append(name)
        record["owners"] = [name for name, _ in split_units(_cell(texts, roles.get("owners")))]
        blocks.append(Block(text, row=record))
    return blocks


def _cell(texts: list[str], col: int | None) -> str:
    if col is None or col >= len(texts):
        return ""
    return texts[col].strip()


def _distinct_texts(row: list[tuple[Any, str]]) -> list[str]:
    seen: set[Any] = set()
    out: list[str] = []
    for identity, text in row:
        if identity in seen or not text.strip():
            continue
        seen.add(identity)
        out.append(text.strip())
    return out


def _is_title_row(row: list[tuple[Any, str]], text_col: int) -> bool:
    """A row with one value is a section title when it is merged across, or sits outside the task column.

    A lone value in the task column is a measure with nothing else filled in.
    """
    columns = [index for index, (_, text) in enumerate(row) if text.strip()]
    return len(columns) > 1 or (len(columns) == 1 and columns[0] != text_col)


_UNIT_SPLIT_RE = re.compile(r"[、，,；;/／\n\t]+|\s{1,}")
_UNIT_ROLE_RE = re.compile(r"^(.*?)[（(]\s*(牵头|负责|主责|配合|协办|协助)\s*[)）]$|^(.*?)(牵头|配合)$")
_UNIT_LABEL_RE = re.compile(r"^(牵头单位|牵头|主责单位|责任单位|配合单位|配合|协办单位)[：:]")
_ROLE_BY_WORD = {
    "牵头": "lead_units",
    "负责": "lead_units",
    "主责": "lead_units",
    "牵头单位": "lead_units",
    "主责单位": "lead_units",
    "责任单位": "units",
    "配合": "support_units",
    "协办": "support_units",
    "协助": "support_units",
    "配合单位": "support_units",
    "协办单位": "support_units",
}


def split_units(cell: str) -> list[tuple[str, str | None]]:
    """Split a unit cell into names, each with a role when the cell marks one (X（牵头）, 配合：Y)."""
    if not cell:
        return []
    out: list[tuple[str, str | None]] = []
    current: str | None = None
    for part in re.split(r"[；;\n]+", cell):
        part = part.strip()
        label = _UNIT_LABEL_RE.match(part)
        if label:
            current = _ROLE_BY_WORD[label.group(1)]
            part = part[label.end():]
        for name in _UNIT_SPLIT_RE.split(part):
            name = name.strip(" 。.：:")
            if not name:
                continue
            hint = current
            marked = _UNIT_ROLE_RE.match(name)
            if marked:
                if marked.group(1) is not None:
                    name, word = marked.group(1).strip(), marked.group(2)
                else:
                    name, word = marked.group(3).strip(), marked.group(4)
                if name:
                    hint = _ROLE_BY_WORD[word]
            if name.endswith("等") and len(name) > 2:
                name = name[:-1]
            if name and name not in ("无", "—", "-", "/"):
                out.append((name, hint))
    return out


# ---------------------------------------------------------------------------
# Word (.docx)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


@functools.cache
def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


W_P, W_TBL, W_TR, W_TC, W_SDT, W_SDTCONTENT = (_w(t) for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent"))
W_VAL = _w("val")
_TEXT_SKIP = {
    _w("pPr"), _w("rPr"), _w("del"), _w("moveFrom"), _w("drawing"), _w("pict"), _w("object"),
    _w("instrText"), _w("delText"), _w("footnoteReference"), _w("endnoteReference"),
    _w("commentReference"), _w("txbxContent"), f"{{{MC_NS}}}AlternateContent",
}
_HEADING_NAME_RE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TOC_NAME_RE = re.compile(r"^(?:toc|目录)\s*\d", re.IGNORECASE)


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    suffix: str = "tab"
    restart: int | None = None  # lvlRestart: 0 = never restart
    legal: bool = False
    style: str | None = None


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    num_id: str | None = None
    ilvl: int | None = None
    outline: int | None = None


class _Numbering:
    """Word's automatic numbering: list definitions from numbering.xml and the running counters."""

    def __init__(self, numbering_el: Any | None, styles: dict[str, _Style]) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.abstract_style_link: dict[str, str] = {}
        self.nums: dict[str, tuple[str, dict[int, _Level | None], dict[int, int]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        self.styles = styles
        if numbering_el is None:
            return
        for abstract in numbering_el.iterchildren(_w("abstractNum")):
            aid = abstract.get(_w("abstractNumId"))
            levels = {}
            for lvl in abstract.iterchildren(_w("lvl")):
                level = _parse_level(lvl)
                levels[int(lvl.get(_w("ilvl"), "0"))] = level
            self.abstract[aid] = levels
            link = abstract.find(_w("numStyleLink"))
            if link is not None and link.get(W_VAL):
                self.abstract_style_link[aid] = link.get(W_VAL)
        for num in numbering_el.iterchildren(_w("num")):
            num_id = num.get(_w("numId"))
            aid_el = num.find(_w("abstractNumId"))
            if num_id is None or aid_el is None:
                continue
            level_overrides: dict[int, _Level | None] = {}
            start_overrides: dict[int, int] = {}
            for override in num.iterchildren(_w("lvlOverride")):
                ilvl = int(override.get(_w("ilvl"), "0"))
                start = override.find(_w("startOverride"))
                if start is not None and _int(start.get(W_VAL)) is not None:
                    start_overrides[ilvl] = _int(start.get(W_VAL)) or 0
                lvl = override.find(_w("lvl"))
                level_overrides[ilvl] = _parse_level(lvl) if lvl is not None else None
            self.nums[num_id] = (aid_el.get(W_VAL), level_overrides, start_overrides)

    def _levels(self, num_id: str) -> tuple[str, dict[int, _Level]] | None:
        entry = self.nums.get(num_id)
        if entry is None:
            return None
        aid, level_overrides, start_overrides = entry
        linked = self.abstract_style_link.get(aid)
        if linked and linked in self.styles and self.styles[linked].num_id not in (None, num_id):
            linked_num = self.nums.get(self.styles[linked].num_id or "")
            if linked_num:
                aid = linked_num[0]
        levels = dict(self.abstract.get(aid, {}))
        for ilvl, level in level_overrides.items():
            if level is not None:
                levels[ilvl] = level
        for ilvl, start in start_overrides.items():
            base = levels.get(ilvl, _Level())
            levels[ilvl] = _Level(
                start, base.fmt, base.text, base.suffix, base.restart, base.legal, base.style
            )
        # Lists that only point at the same definition continue one another, as in Word;
        # a num with overrides is a list of its own (Word's "restart numbering").
        key = f"num:{num_id}" if (level_overrides or start_overrides) else f"abstract:{aid}"
        return key, levels

    def render(self, num_id: str | None, ilvl: int | None, style_id: str | None) -> str:
        """Advance the list counter for one paragraph and return its number as Word shows it."""
        if not num_id or num_id == "0":
            return ""
        resolved = self._levels(num_id)
        if resolved is None:
            return ""
        key, levels = resolved
        if ilvl is None:
            ilvl = 0
            for index, level in levels.items():
                if style_id and level.style == style_id:
                    ilvl = index
                    break
        ilvl = max(0, min(ilvl, 8))
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self.counters.setdefault(key, [None] * 9)
        counters[ilvl] = level.start if counters[ilvl] is None else (counters[ilvl] or 0) + 1
        for deeper in range(ilvl + 1, 9):
            deeper_level = levels.get(deeper)
            if deeper_level is None or deeper_level.restart != 0:
                counters[deeper] = None
        if level.fmt in ("bullet", "none") or not level.text:
            return ""

        def substitute(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            ref = levels.get(index, _Level())
            value = counters[index] if counters[index] is not None else ref.start
            fmt = "decimal" if level.legal and index < ilvl else ref.fmt
            return format_number(value or 0, fmt)

        rendered = re.sub(r"%([1-9])", substitute, level.text)
        if not rendered.strip():
            return ""
        return rendered + ("" if level.suffix == "nothing" else " ")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _parse_level(lvl: Any) -> _Level:
    def val(tag: str) -> str | None:
        el = lvl.find(_w(tag))
        return el.get(W_VAL) if el is not None else None

    start = _int(val("start"))
    legal_el = lvl.find(_w("isLgl"))
    return _Level(
        start=1 if start is None else start,
        fmt=val("numFmt") or "decimal",
        text=val("lvlText") or "",
        suffix=val("suff") or "tab",
        restart=_int(val("lvlRestart")),
        legal=legal_el is not None and legal_el.get(W_VAL, "1") not in ("0", "false", "off"),
        style=val("pStyle"),
    )


_CN_DIGITS = "〇一二三四五六七八九"
_CN_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _chinese_count(n: int, digits: str = _CN_DIGITS, units: str = "十百千") -> str:
    """1..9999 in Chinese counting: 十, 十一, 二十, 一百〇一 (Word's chineseCountingThousand)."""
    if n <= 0 or n >= 10000:
        return str(n)
    if n < 10:
        return digits[n]
    if n < 20 and digits is _CN_DIGITS:
        return units[0] + (digits[n % 10] if n % 10 else "")
    parts: list[str] = []
    zero = False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        digit = n // power % 10
        if digit:
            if zero and parts:
                parts.append(digits[0])
            parts.append(digits[digit] + unit)
            zero = False
        elif parts:
            zero = True
    return "".join(parts)


def format_number(n: int, fmt: str) -> str:
    """Render a list counter in one of Word's number formats (ST_NumberFormat)."""
    if fmt in ("decimal", "decimalHalfWidth", "ordinal", "cardinalText", "ordinalText"):
        return str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "koreanCounting", "japaneseDigitalTenThousand"):
        return _chinese_count(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional", "japaneseLegal"):
        return _chinese_count(n, _CN_LEGAL_DIGITS, "拾佰仟")
    if fmt in ("ideographDigital", "taiwaneseDigital", "koreanDigital"):
        return "".join(_CN_DIGITS[int(d)] for d in str(n))
    if fmt == "ideographTraditional":
        return _STEMS[n - 1] if 1 <= n <= 10 else str(n)
    if fmt == "ideographZodiac":
        return _BRANCHES[n - 1] if 1 <= n <= 12 else str(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle"):
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalEnclosedParen":
        return chr(0x2474 + n - 1) if 1 <= n <= 20 else f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return chr(0x2488 + n - 1) if 1 <= n <= 20 else f"{n}."
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt in ("upperLetter", "lowerLetter"):
        if n <= 0:
            return str(n)
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        if n <= 0 or n >= 4000:
            return str(n)
        out = ""
        for value, numeral in _ROMAN:
            while n >= value:
                out += numeral
                n -= value
        return out if fmt == "upperRoman" else out.lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


def _read_styles(document: Any) -> dict[str, _Style]:
    try:
        styles_el = document.part._styles_part.element  # noqa: SLF001 - python-docx has no public accessor
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    styles: dict[str, _Style] = {}
    for style in styles_el.iterchildren(_w("style")):
        if style.get(_w("type")) not in (None, "paragraph", "numbering"):
            continue
        style_id = style.get(_w("styleId"))
        if not style_id:
            continue
        name_el = style.find(_w("name"))
        based = style.find(_w("basedOn"))
        entry = _Style(
            name=(name_el.get(W_VAL) if name_el is not None else "") or "",
            based_on=based.get(W_VAL) if based is not None else None,
        )
        ppr = style.find(_w("pPr"))
        if ppr is not None:
            num_pr = ppr.find(_w("numPr"))
            if num_pr is not None:
                num_el, ilvl_el = num_pr.find(_w("numId")), num_pr.find(_w("ilvl"))
                entry.num_id = num_el.get(W_VAL) if num_el is not None else None
                entry.ilvl = _int(ilvl_el.get(W_VAL)) if ilvl_el is not None else None
            outline = ppr.find(_w("outlineLvl"))
            if outline is not None:
                entry.outline = _int(outline.get(W_VAL))
        styles[style_id] = entry
    return styles


class _DocxReader:
    def __init__(self, document: Any) -> None:
        self.styles = _read_styles(document)
        try:
            numbering_el = document.part.part_related_by(_RT_NUMBERING).element
        except (KeyError, AttributeError):
            numbering_el = None
        self.numbering = _Numbering(numbering_el, self.styles)
        # python-docx wraps every element in a proxy class; walking a plain lxml copy of the body
        # is several times faster and reads the same XML
        from lxml import etree

        plain = etree.XMLParser(resolve_entities=False, huge_tree=True, remove_blank_text=False)
        self.body = etree.fromstring(etree.tostring(document.element.body), plain)
        self._resolved: dict[str, tuple[str, int | None, str | None, int | None, bool]] = {}

    def _style_info(self, style_id: str) -> tuple[str, int | None, str | None, int | None, bool]:
        """(name, heading level, numId, ilvl, is toc) for a paragraph style, following basedOn."""
        cached = self._resolved.get(style_id)
        if cached is not None:
            return cached
        name, heading, num_id, ilvl = "", None, None, None
        seen: set[str] = set()
        current: str | None = style_id
        while current and current not in seen and current in self.styles:
            seen.add(current)
            style = self.styles[current]
            if not name:
                name = style.name
            match = _HEADING_NAME_RE.match(style.name.strip())
            if heading is None and match:
                heading = int(match.group(1))
            if heading is None and style.outline is not None and 0 <= style.outline <= 8:
                heading = style.outline + 1
            if num_id is None and style.num_id is not None:
                num_id, ilvl = style.num_id, style.ilvl
            current = style.based_on
        result = (name, heading, num_id, ilvl, bool(_TOC_NAME_RE.match(name.strip())))
        self._resolved[style_id] = result
        return result

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        for child in _body_children(self.body):
            if child.tag == W_P:
                out.extend(self.paragraph_blocks(child))
            elif child.tag == W_TBL:
                out.extend(self.table_blocks(child))
        return out

    def paragraph_blocks(self, p: Any, *, keep_empty_number: bool = False) -> list[Block]:
        ppr = p.find(_w("pPr"))
        style_id = None
        num_id = ilvl = None
        outline = None
        if ppr is not None:
            style_el = ppr.find(_w("pStyle"))
            style_id = style_el.get(W_VAL) if style_el is not None else None
            num_pr = ppr.find(_w("numPr"))
            if num_pr is not None:
                num_el, ilvl_el = num_pr.find(_w("numId")), num_pr.find(_w("ilvl"))
                num_id = num_el.get(W_VAL) if num_el is not None else None
                ilvl = _int(ilvl_el.get(W_VAL)) if ilvl_el is not None else None
                if num_id is None:
                    num_id = ""  # ilvl only: the list comes from the style
            outline_el = ppr.find(_w("outlineLvl"))
            if outline_el is not None:
                outline = _int(outline_el.get(W_VAL))
        name, heading, style_num, style_ilvl, is_toc = self._style_info(style_id) if style_id else (
            "", None, None, None, False)
        if is_toc:
            return []
        if outline is not None and 0 <= outline <= 8:
            heading = outline + 1
        if num_id is None or num_id == "":
            if style_num is not None:
                num_id = style_num
                ilvl = style_ilvl if ilvl is None else ilvl
        text = normalize_text(_paragraph_text(p))
        if not text.strip() and not keep_empty_number:
            # Word skips nothing here: an empty numbered paragraph still takes a number
            if num_id:
                self.numbering.render(num_id, ilvl, style_id)
            return []
        number = self.numbering.render(num_id, ilvl, style_id) if num_id else ""
        lines = [line.strip() for line in text.split("\n")]
        lines = [line for line in lines if line]
        numbered = bool(number.strip())
        if not lines:
            return [Block(number.strip(), heading_level=heading, numbered=True)] if numbered else []
        blocks = [Block(number + lines[0], heading_level=heading, numbered=numbered)]
        blocks.extend(Block(line, heading_level=None) for line in lines[1:])
        return blocks

    def cell_text(self, tc: Any) -> str:
        lines: list[str] = []
        for child in tc.iterchildren():
            if child.tag == W_P:
                lines.extend(block.text for block in self.paragraph_blocks(child, keep_empty_number=True))
            elif child.tag == W_TBL:
                for tr in child.iter(W_TR):
                    for inner in tr.iterchildren(W_TC):
                        value = self.cell_text(inner)
                        if value:
                            lines.append(value)
            elif child.tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    lines.append(self.cell_text(content))
        return "\n".join(line for line in lines if line)

    def table_blocks(self, tbl: Any) -> list[Block]:
        grid: list[list[tuple[Any, str]]] = []
        above: dict[int, tuple[Any, str]] = {}
        for tr in _table_rows(tbl):
            row: list[tuple[Any, str]] = []
            col = 0
            grid_before = tr.find(f"{_w('trPr')}/{_w('gridBefore')}")
            if grid_before is not None:
                col += _int(grid_before.get(W_VAL)) or 0
                row.extend((("skip", id(tr), i), "") for i in range(col))
            for tc in _row_cells(tr):
                tcpr = tc.find(_w("tcPr"))
                span = 1
                merge = None
                if tcpr is not None:
                    span_el = tcpr.find(_w("gridSpan"))
                    span = max(1, _int(span_el.get(W_VAL)) if span_el is not None else 1) or 1
                    vmerge = tcpr.find(_w("vMerge"))
                    if vmerge is not None:
                        merge = vmerge.get(W_VAL) or "continue"
                if merge == "continue" and col in above:
                    cell = above[col]
                else:
                    cell = (id(tc), self.cell_text(tc))
                for offset in range(span):
                    above[col + offset] = cell
                    row.append(cell)
                col += span
            grid.append(row)

        blocks = _table_rows_to_blocks(grid, DOCX_HEADER_SEARCH_ROWS)
        if blocks is not None:
            return blocks
        # not a task table: read it as text, each distinct cell once, paragraph by paragraph
        out: list[Block] = []
        seen: set[Any] = set()
        for row in grid:
            for identity, text in row:
                if identity in seen or not text:
                    continue
                seen.add(identity)
                out.extend(Block(line) for line in text.split("\n") if line.strip())
        return out


_RT_NUMBERING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"


def _body_children(body: Any) -> Iterator[Any]:
    """Paragraphs and tables of the body in order, looking inside content controls."""
    for child in body.iterchildren():
        if child.tag in (W_P, W_TBL):
            yield child
        elif child.tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                yield from _body_children(content)
        elif child.tag in (_w("customXml"), _w("ins"), _w("moveTo")):
            yield from _body_children(child)


def _table_rows(tbl: Any) -> Iterator[Any]:
    for child in tbl.iterchildren():
        if child.tag == W_TR:
            yield child
        elif child.tag in (W_SDT, _w("customXml")):
            content = child.find(W_SDTCONTENT) if child.tag == W_SDT else child
            if content is not None:
                yield from _table_rows(content)


def _row_cells(tr: Any) -> Iterator[Any]:
    for child in tr.iterchildren():
        if child.tag == W_TC:
            yield child
        elif child.tag in (W_SDT, _w("customXml")):
            content = child.find(W_SDTCONTENT) if child.tag == W_SDT else child
            if content is not None:
                yield from _row_cells(content)


def _paragraph_text(p: Any) -> str:
    parts: list[str] = []
    _collect_text(p, parts)
    return "".join(parts)


_T, _TAB, _BR, _CR, _NBH = _w("t"), _w("tab"), _w("br"), _w("cr"), _w("noBreakHyphen")
_R, _RPR, _VANISH = _w("r"), _w("rPr"), _w("vanish")


def _is_hidden(run: Any) -> bool:
    rpr = run.find(_RPR)
    if rpr is None:
        return False
    vanish = rpr.find(_VANISH)
    return vanish is not None and vanish.get(W_VAL, "true") not in ("0", "false", "off")


def _collect_text(element: Any, parts: list[str]) -> None:
    for child in element.iterchildren():
        tag = child.tag
        if tag == _R and _is_hidden(child):
            continue  # hidden text (w:vanish) is not displayed
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NBH:
            parts.append("-")
        elif tag in _TEXT_SKIP or not isinstance(tag, str):
            continue
        else:
            _collect_text(child, parts)


def _read_docx(data: bytes) -> list[Block]:
    import docx  # python-docx; imported here so text uploads never pay for it

    document = docx.Document(io.BytesIO(data))
    return _DocxReader(document).blocks()


# ---------------------------------------------------------------------------
# Excel (.xlsx)


def _xlsx_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        if value.hour or value.minute or value.second:
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, _dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return normalize_text(str(value)).strip()


def _merged_ranges(archive: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of one sheet (read-only openpyxl does not expose them)."""
    from lxml import etree
    from openpyxl.utils.cell import range_boundaries

    ranges: list[tuple[int, int, int, int]] = []
    name = sheet_path.lstrip("/")
    if name not in archive.namelist():
        return ranges
    with archive.open(name) as stream:
        for _, element in etree.iterparse(stream, events=("end",), resolve_entities=False, huge_tree=False):
            if element.tag.endswith("}mergeCell"):
                ref = element.get("ref")
                if ref:
                    try:
                        min_col, min_row, max_col, max_row = range_boundaries(ref)
                    except (TypeError, ValueError):
                        continue
                    ranges.append((min_row, min_col, max_row, max_col))
            elif element.tag.endswith("}row"):
                element.clear()
    return ranges


def _read_xlsx(data: bytes) -> list[Block]:
    import openpyxl

    with warnings.catch_warnings():
        # openpyxl warns about every feature it drops (data validation, conditional formats)
        warnings.simplefilter("ignore")
        return _read_workbook(openpyxl, data)


def _read_workbook(openpyxl: Any, data: bytes) -> list[Block]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    blocks: list[Block] = []
    found_table = False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for sheet in workbook.worksheets:
                if not hasattr(sheet, "iter_rows"):
                    continue  # a chart sheet
                path = getattr(sheet, "_worksheet_path", "")
                merged = _merged_ranges(archive, path) if path else []
                grid = _sheet_grid(sheet.iter_rows(values_only=True), merged)
                sheet_blocks = _table_rows_to_blocks(grid, XLSX_HEADER_SEARCH_ROWS)
                if sheet_blocks is None:
                    continue
                found_table = True
                blocks.extend(sheet_blocks)
    finally:
        workbook.close()
    if not found_table:
        raise PlanInputError("no_table")
    return blocks


def _sheet_grid(
    rows: Iterable[tuple[Any, ...]], merged: list[tuple[int, int, int, int]]
) -> list[list[tuple[Any, str]]]:
    """Rows of (identity, text); a merged range gives every cell it covers the top-left value."""
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for min_row, min_col, max_row, max_col in merged:
        if (max_row - min_row + 1) * (max_col - min_col + 1) > 100000:
            continue
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                owner[(r, c)] = (min_row, min_col)
    values: dict[tuple[int, int], str] = {}
    grid: list[list[tuple[Any, str]]] = []
    blank_run = 0
    for r, row in enumerate(rows, start=1):
        cells: list[tuple[Any, str]] = []
        for c, value in enumerate(row, start=1):
            text = _xlsx_value(value)
            key = owner.get((r, c), (r, c))
            if key == (r, c):
                values[key] = text
            else:
                text = values.get(key, "")
            cells.append((key, text))
        while cells and not cells[-1][1] and cells[-1][0] == (r, len(cells)):
            cells.pop()
        if any(text for _, text in cells):
            blank_run = 0
        else:
            blank_run += 1
            if blank_run > 1000:
                break  # formatting applied to a million empty rows
        grid.append(cells)
    width = max((len(row) for row in grid), default=0)
    for r, row in enumerate(grid, start=1):
        row.extend(((r, c), "") for c in range(len(row) + 1, width + 1))
    return grid
