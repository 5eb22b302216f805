"""Plan files: the source file kept with a saved plan, and the upload kept between preview and save.

A source file written during an import is removed again if the transaction rolls back, so an
import leaves all or nothing.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker import uploads
from tracker.errors import TooLarge
from tracker.extensions import db
from tracker.plans.models import Plan
from tracker.plans.validation import PlanError
from tracker.uploads import PendingUploads


class UploadTooLarge(PlanError, TooLarge):
    """The upload is over PLAN_MAX_MB; refused before it is read in full."""


def max_upload_mb() -> int:
    return int(current_app.config.get("PLAN_MAX_MB") or 20)


def max_upload_bytes() -> int:
    return max_upload_mb() * 1024 * 1024


def read_limited(stream: IO[bytes], limit: int | None = None) -> bytes:
    """Read an upload, stopping one chunk past the limit so a huge file is never held in memory."""
    try:
        return uploads.read_limited(stream, max_upload_bytes() if limit is None else limit)
    except uploads.UploadRefused as exc:
        raise UploadTooLarge(_("文件过大（上限 %(limit)s MB）。", limit=max_upload_mb())) from exc


# ---------------------------------------------------------------------------
# the source file store


def _source_folder() -> str:
    folder = current_app.config["PLAN_SOURCE_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def source_path(plan: Plan) -> str | None:
    if not plan.source_stored_name:
        return None
    return os.path.join(_source_folder(), plan.source_stored_name)


def store_source_file(data: bytes, filename: str) -> str:
    """Write the uploaded file under a generated name (the original name stays on the Plan)."""
    ext = os.path.splitext(filename or "")[1].lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", ext):
        ext = ""
    stored = uuid.uuid4().hex + ext
    path = os.path.join(_source_folder(), stored)
    with open(path, "xb") as handle:
        handle.write(data)
    return stored


def keep_source_file(data: bytes, filename: str) -> str:
    """Store the file for this transaction: it is removed again if the transaction rolls back."""
    stored = store_source_file(data, filename)
    db.session.info.setdefault(_PENDING_FILES, []).append(os.path.join(_source_folder(), stored))
    return stored


_PENDING_FILES = "plans.pending_source_files"


@sa.event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop(_PENDING_FILES, None)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_files(session: Session, previous_transaction: Any) -> None:
    """A rolled-back import leaves no file behind (all or nothing)."""
    if previous_transaction.parent is not None:
        return
    for path in session.info.pop(_PENDING_FILES, []):
        try:
            os.remove(path)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# the upload kept between preview and save


#: the uploaded file between preview and save
pending = PendingUploads("plan_uploads")


def stash_upload(data: bytes, filename: str) -> str:
    """Keep the uploaded bytes server-side; the form carries only a random token."""
    return pending.keep(data, filename)


def load_upload(token: str | None) -> tuple[bytes, str] | None:
    """The stashed upload for a token from the form, or None; a token is never a path."""
    return pending.load(token)


def drop_upload(token: str | None) -> None:
    pending.drop(token)
