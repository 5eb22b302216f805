"""Evidence files on disk: checked by content, streamed while hashing, named by us.

A file is first streamed to a temporary name in the upload folder (hashing and counting as it
goes, stopping past the size limit), its type is read from its first bytes, and only then is it
moved to a generated name. Files stored during a transaction that does not commit are deleted
again, so an upload that fails anywhere leaves neither a file nor a row; a file whose row is
deleted goes only when that transaction commits.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker import uploads
from tracker.errors import TooLarge, UserError

CHUNK = 64 * 1024
PENDING_KEY = "tasks.pending_evidence_files"
#: files whose rows this transaction deleted: removed from disk once it commits, kept if it does not
DOOMED_KEY = "tasks.doomed_evidence_files"

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "wps": "application/vnd.ms-works",
    "et": "application/vnd.ms-excel",
    "ofd": "application/ofd",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "zip": "application/zip",
}


class StorageError(UserError):
    """The file was refused; the message is for the user."""


class FileTooLarge(StorageError, TooLarge):
    """The file is over the per-file limit (EVIDENCE_MAX_MB); the API answers 413."""


@dataclass
class StoredFile:
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str
    extension: str


def upload_folder() -> str:
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def path_for(stored_name: str) -> str:
    """Where a stored file lives; the name is ours (uuid hex + suffix), never the user's."""
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{2,4}", stored_name or ""):
        raise StorageError(_("文件名无效。"))
    return os.path.join(upload_folder(), stored_name)


def existing_path(stored_name: str) -> str | None:
    """The stored file's path, or None when the name is not one of ours or the file is gone (a
    download answers 404 for both)."""
    try:
        path = path_for(stored_name)
    except StorageError:
        return None
    return path if os.path.exists(path) else None


def display_name(filename: str | None) -> str:
    """The user's file name for display (see ``tracker.uploads.display_name``)."""
    return uploads.display_name(filename, untitled=_("未命名"))


def allowed_extensions() -> set[str]:
    return {e.lower().lstrip(".") for e in current_app.config.get("EVIDENCE_EXTENSIONS", [])}


#: which detected kinds each extension accepts
ACCEPTS = {
    "pdf": {"pdf"}, "png": {"png"}, "jpg": {"jpg"}, "jpeg": {"jpg"},
    "doc": {"ole2"}, "xls": {"ole2"}, "wps": {"ole2", "docx"}, "et": {"ole2", "xlsx"},
    "docx": {"docx"}, "xlsx": {"xlsx"}, "ofd": {"ofd"},
    "zip": {"zip", "docx", "xlsx", "ofd"},
}


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def save(file: Any, session: Session | None = None) -> StoredFile:
    """Check and store one uploaded file (a werkzeug FileStorage or anything with .filename/.stream).

    Registers the stored file with ``session`` so that it is deleted again if the transaction
    does not commit.
    """
    original = display_name(getattr(file, "filename", None))
    allowed = allowed_extensions()
    try:
        ext = uploads.check_extension(original, allowed & set(ACCEPTS))
    except uploads.UploadRefused as exc:
        raise StorageError(_("不支持的文件类型：%(name)s。允许的类型：%(types)s",
                             name=original, types="、".join(sorted(allowed)))) from exc
    limit = int(current_app.config.get("EVIDENCE_MAX_MB", 50)) * 1024 * 1024
    folder = upload_folder()
    stream: BinaryIO = getattr(file, "stream", file)
    temp_path = os.path.join(folder, f".upload-{uuid.uuid4().hex}.part")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(temp_path, "wb") as out:
            while True:
                try:
                    chunk = stream.read(CHUNK)
                except Exception as exc:  # a client that went away, a broken proxy
                    raise StorageError(_("文件 %(name)s 上传中断，请重新上传。", name=original)) from exc
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(_("文件 %(name)s 超过 %(mb)d MB 的大小限制。", name=original,
                                         mb=limit // (1024 * 1024)))
                digest.update(chunk)
                out.write(chunk)
        try:
            uploads.check_content(temp_path, original, ext, ACCEPTS)
        except uploads.UploadRefused as exc:
            raise StorageError(uploads.refusal_message(exc)) from exc
        stored_name = f"{uuid.uuid4().hex}.{ext}"
        final_path = os.path.join(folder, stored_name)
        os.replace(temp_path, final_path)
    except BaseException:
        _remove(temp_path)
        raise
    if session is not None:
        session.info.setdefault(PENDING_KEY, []).append(final_path)
    return StoredFile(original_name=original, stored_name=stored_name, content_type=CONTENT_TYPES[ext],
                      size=size, sha256=digest.hexdigest(), extension=ext)


def remove_after_commit(stored_name: str, session: Session) -> None:
    """Delete a stored file once ``session``'s transaction commits; a rollback keeps it (no file is
    lost for a deletion that did not happen)."""
    session.info.setdefault(DOOMED_KEY, []).append(path_for(stored_name))


@sa.event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    for path in session.info.pop(DOOMED_KEY, []):
        _remove(path)


@sa.event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_files(session: Session, transaction: Any) -> None:
    """A root transaction ended without committing: delete the files it stored."""
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop(DOOMED_KEY, None)
    for path in session.info.pop(PENDING_KEY, []):
        _remove(path)
