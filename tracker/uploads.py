"""Every uploaded file passes here: one check of size, name, type by content and archives.

Evidence (pages and API), plan import and the unit/user import call the same functions, so a
zip bomb named .docx is refused wherever it is sent. The checks are pure Python (the plan
parser, which runs without Flask, can call ``check_archive`` too): a refusal is an
``UploadRefused`` carrying a code and the message as a catalogue id, which the app shows in the
user's language (``refusal_message``).

Uploads kept between a preview and its confirmation live here too: the form carries only a
random token; the bytes and the original file name stay in a folder of the instance, so no path
ever comes from the browser. Files never confirmed go after a day.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import time
import unicodedata
import zipfile
from typing import IO, Any

TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE_SECONDS = 24 * 3600
CHUNK = 64 * 1024

# Zip-bomb limits for .docx/.xlsx/.zip, checked on the central directory before anything is
# inflated (the plan reader's limits: a real document is far below each).
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_TOTAL = 10 * 1024 * 1024
ZIP_MAX_ENTRIES = 5000

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def N_(text: str) -> str:
    """Mark a message for the catalogue; it is translated when shown (``refusal_message``)."""
    return text


MESSAGES = {
    "zip_bomb": N_("文件 %(name)s 解压后过大或内含文件过多，已拒绝。"),
    "corrupt_archive": N_("文件 %(name)s 已损坏，无法打开。"),
    "too_large": N_("文件 %(name)s 超过 %(mb)d MB 的大小限制。"),
    "empty": N_("文件 %(name)s 是空文件。"),
    "type": N_("不支持的文件类型：%(name)s。允许的类型：%(types)s"),
    "mismatch": N_("文件 %(name)s 的内容与扩展名不符，或不是允许的文件类型。"),
}


class UploadRefused(ValueError):
    """A file refused by the upload check; ``code`` says why, ``params`` fill the message."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        self.template = MESSAGES.get(code, code)
        super().__init__(self.template % params if params else self.template)


def refusal_message(exc: UploadRefused) -> str:
    """The refusal in the current user's language (needs the app; the checks themselves do not)."""
    from flask_babel import gettext  # kept out of the module's imports: the checks stay Flask-free

    return gettext(exc.template, **exc.params)


# --------------------------------------------------------------------------- names

def display_name(filename: str | None, untitled: str = "未命名") -> str:
    """The user's file name for display: no folders, no control characters, at most 255 characters.

    Names like CON.pdf are fine here: they are never used on disk.
    """
    name = (filename or "").replace("\\", "/").split("/")[-1]
    name = _CONTROL.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = name.strip().rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem, ext = stem.strip(" ."), ext.strip()
    if not stem:
        stem = untitled
    suffix = f".{ext}" if ext else ""
    if len(stem) + len(suffix) > 255:
        suffix = suffix[:20]
        stem = stem[: 255 - len(suffix)]
    return stem + suffix


def extension_of(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


def check_extension(name: str, allowed: set[str]) -> str:
    """The file's extension, if it is one of ``allowed``."""
    ext = extension_of(name)
    if not ext or ext not in allowed:
        raise UploadRefused("type", name=name, types="、".join(sorted(allowed)))
    return ext


# --------------------------------------------------------------------------- size

def read_limited(stream: IO[bytes], limit: int, name: str = "") -> bytes:
    """Read an upload, stopping one chunk past ``limit`` so a huge file is never held in memory."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(1024 * 1024, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise UploadRefused("too_large", name=name, mb=max(1, limit // (1024 * 1024)))
    return b"".join(chunks)


# --------------------------------------------------------------------------- archives and content

def check_archive(archive: zipfile.ZipFile, compressed_size: int, name: str = "") -> None:
    """Refuse archives that would inflate far beyond any real document (read from the central
    directory only: nothing is inflated)."""
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        raise UploadRefused("zip_bomb", name=name)
    total = sum(info.file_size for info in infos)
    if total > ZIP_MAX_TOTAL:
        raise UploadRefused("zip_bomb", name=name)
    if total > ZIP_RATIO_MIN_TOTAL and total > ZIP_MAX_RATIO * max(compressed_size, 1):
        raise UploadRefused("zip_bomb", name=name)


def open_archive(source: str | bytes, name: str = "") -> zipfile.ZipFile:
    """A checked zip archive from a path or bytes; the caller closes it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        size = len(source) if isinstance(source, bytes) else os.path.getsize(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError) as exc:
        raise UploadRefused("corrupt_archive", name=name) from exc
    try:
        check_archive(archive, size, name)
    except UploadRefused:
        archive.close()
        raise
    return archive


def detect_kind(path: str, name: str = "") -> str | None:
    """What the file is, from its content: pdf, png, jpg, ole2, docx, xlsx, ofd, zip, or None.

    Archives are checked against zip bombs on the way.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(OLE2):
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        try:
            with open_archive(path, name) as archive:
                names = archive.namelist()
        except UploadRefused as exc:
            if exc.code == "corrupt_archive":
                return None
            raise
        has_types = "[Content_Types].xml" in names
        if has_types and any(n.startswith("word/") for n in names):
            return "docx"
        if has_types and any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.lower() == "ofd.xml" for n in names):
            return "ofd"
        return "zip"
    return None


def check_content(path: str, name: str, ext: str, accepts: dict[str, set[str]]) -> str:
    """The file's kind read from its content, if its extension ``ext`` accepts that kind."""
    if os.path.getsize(path) == 0:
        raise UploadRefused("empty", name=name)
    kind = detect_kind(path, name)
    if kind is None or kind not in accepts.get(ext, set()):
        raise UploadRefused("mismatch", name=name)
    return kind


def check_bytes(data: bytes, name: str, ext: str) -> None:
    """Bytes already read (a table to import): not empty, and an Office archive must be a safe zip."""
    if not data:
        raise UploadRefused("empty", name=name)
    if ext in ("xlsx", "docx") and data[:4] == b"PK\x03\x04":
        open_archive(data, name).close()


# --------------------------------------------------------------------------- kept between two requests


class PendingUploads:
    def __init__(self, folder_name: str) -> None:
        self.folder_name = folder_name

    def _folder(self) -> str:
        from flask import current_app  # kept out of the module's imports: the checks stay Flask-free

        folder = os.path.join(current_app.instance_path, self.folder_name)
        os.makedirs(folder, exist_ok=True)
        return folder

    def keep(self, data: bytes, filename: str) -> str:
        """Store the upload; returns the token that names it."""
        folder = self._folder()
        self._drop_stale(folder)
        token = secrets.token_hex(16)
        with open(os.path.join(folder, token + ".bin"), "xb") as handle:
            handle.write(data)
        with open(os.path.join(folder, token + ".json"), "x", encoding="utf-8") as handle:
            json.dump({"filename": filename}, handle, ensure_ascii=False)
        return token

    def load(self, token: str | None) -> tuple[bytes, str] | None:
        """The upload behind a token from a form, or None when it is unknown, expired or malformed."""
        if not token or not TOKEN_RE.match(token):
            return None
        folder = self._folder()
        try:
            with open(os.path.join(folder, token + ".bin"), "rb") as handle:
                data = handle.read()
            with open(os.path.join(folder, token + ".json"), encoding="utf-8") as handle:
                filename = str(json.load(handle).get("filename") or "")
        except (OSError, ValueError):
            return None
        return data, filename

    def drop(self, token: str | None) -> None:
        if not token or not TOKEN_RE.match(token):
            return
        folder = self._folder()
        for suffix in (".bin", ".json"):
            try:
                os.remove(os.path.join(folder, token + suffix))
            except OSError:
                pass

    @staticmethod
    def _drop_stale(folder: str) -> None:
        cutoff = time.time() - MAX_AGE_SECONDS
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            try:
                if os.path.getmtime(path) < cutoff:
                    os.remove(path)
            except OSError:
                pass
