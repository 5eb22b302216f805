"""Sending a stored file after the view checked permission: by the app, or by nginx; and
sending a document made on request (a .docx or .pdf of a notice, a report, a bulletin).

With ``ACCEL_REDIRECT_PREFIX`` set (e.g. ``/_protected/evidence/``), the app answers with headers
only and an ``X-Accel-Redirect`` to an ``internal`` nginx location over the upload folder, so a
worker is not held for the length of a large download. Unset, the app sends the bytes itself.
"""

from __future__ import annotations

import os
import unicodedata
from io import BytesIO
from urllib.parse import quote

from flask import Response, current_app, send_file

#: the types of the documents the app makes
DOCUMENT_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "pdf": "application/pdf"}


def send_document(content: bytes, download_name: str, kind: str) -> Response:
    """A document made for this request (``kind`` "docx" or "pdf") as an attachment, never cached."""
    response = send_file(BytesIO(content), mimetype=DOCUMENT_TYPES[kind], as_attachment=True,
                         download_name=download_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_stored_file(path: str, *, mimetype: str | None, download_name: str) -> Response:
    """An attachment under ``download_name``; ``path`` lies in the upload folder (checked by the caller)."""
    prefix = current_app.config.get("ACCEL_REDIRECT_PREFIX")
    if not prefix:
        response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=download_name, max_age=0)
    else:
        response = Response(b"", mimetype=mimetype or "application/octet-stream")
        response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(os.path.basename(path))
        response.headers.set("Content-Disposition", "attachment", **_filename(download_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _filename(name: str) -> dict[str, str]:
    """As ``send_file`` writes it: an ASCII ``filename`` and, for Chinese names, ``filename*``."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        return {"filename": simple or "download", "filename*": "UTF-8''" + quote(name, safe="!#$&+^`|~")}
    return {"filename": name}
