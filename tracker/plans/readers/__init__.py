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

import functools
import io

from ..errors import PlanInputError
from .blocks import Block
from .tables import split_units
from .text import decode_text, markdown_blocks, normalize_text, text_blocks

__all__ = ["Block", "decode_text", "format_number", "normalize_text", "read_document", "split_units"]


def __getattr__(name: str) -> object:
    # the Word reader's module loads when a Word file is read, or when its number formats are asked for
    if name == "format_number":
        from .word import format_number

        return format_number
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

TEXT_EXTENSIONS = {".txt", ".text"}
MARKDOWN_EXTENSIONS = {".md", ".markdown"}
DOCX_EXTENSIONS = {".docx"}
XLSX_EXTENSIONS = {".xlsx"}
CSV_EXTENSIONS = {".csv"}

# ---------------------------------------------------------------------------
# entry point


def read_document(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Block]:
    """Read an uploaded plan; refuse anything that is not a readable plan with PlanInputError.

    The extension picks the reader, and the content must agree with it: a
    ``.txt`` that is really a zip or an image is refused as binary rather
    than decoded into nonsense.
    """
    ext = _extension(filename)
    if ext not in TEXT_EXTENSIONS | MARKDOWN_EXTENSIONS | DOCX_EXTENSIONS | XLSX_EXTENSIONS | CSV_EXTENSIONS:
        raise PlanInputError("unsupported_type", ext=ext or filename or "?")
    if len(data) > max_bytes:
        raise PlanInputError("too_large", limit_mb=_format_mb(max_bytes))
    if not data.strip():
        raise PlanInputError("empty")

    if ext in TEXT_EXTENSIONS:
        return text_blocks(decode_text(data))
    if ext in MARKDOWN_EXTENSIONS:
        return markdown_blocks(decode_text(data))
    if ext in CSV_EXTENSIONS:
        from .spreadsheet import read_csv

        return read_csv(data)

    # the zip, upload and logging modules, like the office libraries, load only for an office file
    import zipfile

    from tracker import uploads

    kind = "docx" if ext in DOCX_EXTENSIONS else "xlsx"
    corrupt = "corrupt_" + kind
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # an OLE compound file: a Word 97-2003 .doc/.xls renamed, or a password-protected file
        raise PlanInputError("legacy_office", ext=ext)
    if not data.startswith(b"PK"):
        raise PlanInputError(corrupt)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _bad_file_errors() as exc:  # includes NotImplementedError for unknown zip versions
        raise PlanInputError(corrupt) from exc
    with archive:
        try:
            uploads.check_archive(archive, len(data))
        except uploads.UploadRefused as exc:
            raise PlanInputError("zip_bomb") from exc
        names = set(archive.namelist())
    # Trust the content over the name when a Word file was saved as .xlsx or vice versa.
    if "word/document.xml" in names:
        kind = "docx"
    elif "xl/workbook.xml" in names:
        kind = "xlsx"
    else:
        raise PlanInputError(corrupt)

    try:
        blocks = _read_office(data, kind)
    except PlanInputError:
        raise
    except MemoryError:
        raise
    except _bad_file_errors() as exc:
        raise PlanInputError("corrupt_" + kind) from exc
    except Exception as exc:
        # Untrusted bytes can trip python-docx/openpyxl in ways they do not document; the cause
        # is logged and chained so a real bug still shows up in the log and in tests.
        import logging

        logging.getLogger(__name__).warning("unexpected error reading %s as %s", filename, kind, exc_info=True)
        raise PlanInputError("corrupt_" + kind) from exc
    if not any(block.text.strip() for block in blocks):
        raise PlanInputError("empty")
    return blocks


@functools.cache
def _bad_file_errors() -> tuple[type[BaseException], ...]:
    """What python-docx, openpyxl and lxml raise on a broken file (looked up when one is read)."""
    import struct
    import zipfile
    import zlib

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


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower().replace("\\", "/").rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[1] if "." in name else ""


def _format_mb(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return str(int(mb)) if mb == int(mb) else f"{mb:.1f}"


def _read_office(data: bytes, kind: str) -> list[Block]:
    # imported on demand: a text upload (and the CLI on a .txt) never loads python-docx or openpyxl
    if kind == "docx":
        from .word import read_docx

        return read_docx(data)
    from .spreadsheet import read_xlsx

    return read_xlsx(data)
