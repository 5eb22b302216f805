"""Rows of a spreadsheet an admin uploads (units, users): the first sheet of an .xlsx, or a CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from tracker import uploads
from tracker.errors import UserError

ROW_RE = re.compile(r"^第 (\d+) 行：(.*)$")


@dataclass
class PreviewRow:
    number: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class Preview:
    """An imported file as checked before saving: its rows with their problems."""

    kind: str
    columns: list[tuple[str, str]]
    rows: list[PreviewRow]
    general_errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.general_errors and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.general_errors) + sum(len(r.errors) for r in self.rows)

    def add_errors(self, message: str) -> None:
        """Sort an import's refusal ("第 N 行：…" lines) onto its rows."""
        by_number = {r.number: r for r in self.rows}
        for line in message.splitlines():
            match = ROW_RE.match(line)
            if match and int(match.group(1)) in by_number:
                by_number[int(match.group(1))].errors.append(match.group(2))
            else:
                self.general_errors.append(line)


class TableError(UserError):
    """A file that cannot be read as a table; the message is for the user."""


def read_upload(upload: Any) -> bytes:
    """The bytes of an uploaded table, refused past IMPORT_MAX_MB before it is all read."""
    limit = int(current_app.config.get("IMPORT_MAX_MB", 20)) * 1024 * 1024
    name = uploads.display_name(getattr(upload, "filename", None))
    try:
        return uploads.read_limited(getattr(upload, "stream", upload), limit, name)
    except uploads.UploadRefused as exc:
        raise TableError(uploads.refusal_message(exc), status=413, code="payload_too_large") from exc


def read_table(data: bytes, filename: str, *, max_rows: int | None = None) -> list[list[str]]:
    """Non-empty rows as stripped strings; .xlsx, or CSV in UTF-8 (with or without BOM) or GB18030."""
    lower = (filename or "").lower()
    try:
        uploads.check_bytes(data, uploads.display_name(filename), uploads.extension_of(lower))
    except uploads.UploadRefused as exc:
        raise TableError(uploads.refusal_message(exc)) from exc
    if lower.endswith(".xlsx"):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            raw = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise TableError(_("无法读取 Excel 文件。")) from exc
    elif lower.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise TableError(_("无法识别文件编码，请使用 UTF-8 或 GB18030。"))
        raw = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise TableError(_("只支持 .xlsx 或 .csv 文件。"))
    raw = [row for row in raw if any(row)]
    if not raw:
        raise TableError(_("文件为空。"))
    if max_rows is not None and len(raw) > max_rows + 1:
        raise TableError(_("一次最多导入 %(n)d 行。", n=max_rows))
    return raw
