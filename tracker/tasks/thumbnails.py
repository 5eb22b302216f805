"""Thumbnails of evidence files for the review queue, drawn on the server.

An image is scaled down with Pillow; a PDF's first page is rendered with pdfium (pypdfium2, which
pdfplumber already brings). Anything else, or a file that cannot be drawn, gets an icon naming its
type (and a PDF's page count when it can be read). The picture is sent through the same access
rule as the download; nothing is kept on disk.
"""

from __future__ import annotations

import io
import os
from xml.sax.saxutils import escape

from flask import Response

from tracker.tasks import storage
from tracker.tasks.models import Evidence

#: the longest side of a thumbnail, in pixels
SIZE = 160


def _image(path: str) -> bytes:
    from PIL import Image

    with Image.open(path) as picture:
        picture.thumbnail((SIZE, SIZE))
        out = io.BytesIO()
        picture.convert("RGB").save(out, "PNG", optimize=True)
        return out.getvalue()


def _pdf(path: str) -> tuple[bytes | None, int | None]:
    """The first page as a PNG, and the page count; (None, count) when the page cannot be drawn."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        pages = len(document)
        if not pages:
            return None, 0
        page = document[0]
        width, height = page.get_size()
        scale = SIZE / max(width, height, 1)
        picture = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        picture.convert("RGB").save(out, "PNG", optimize=True)
        return out.getvalue(), pages
    finally:
        document.close()


def icon(extension: str, pages: int | None = None) -> bytes:
    """A plain file icon with the type written on it (and the page count of a PDF)."""
    label = escape(extension.upper()[:4])
    extra = f'<text x="40" y="78" font-size="11" text-anchor="middle" fill="#555">{pages} p</text>' if pages else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="80" height="100" viewBox="0 0 80 100">'
            '<path d="M8 4h44l20 20v72H8z" fill="#f4f6f8" stroke="#8a96a3" stroke-width="2"/>'
            '<path d="M52 4v20h20" fill="none" stroke="#8a96a3" stroke-width="2"/>'
            f'<text x="40" y="58" font-size="16" font-weight="bold" text-anchor="middle" fill="#33475b">{label}</text>'
            f'{extra}</svg>').encode()


def render(item: Evidence) -> tuple[bytes, str]:
    """The thumbnail's bytes and type: a PNG when the file can be drawn, else an SVG icon."""
    extension = item.stored_name.rsplit(".", 1)[-1]
    try:
        path = storage.path_for(item.stored_name)
    except storage.StorageError:
        return icon(extension), "image/svg+xml"
    pages = None
    if os.path.exists(path):
        try:
            if item.content_type.startswith("image/"):
                return _image(path), "image/png"
            if item.content_type == "application/pdf":
                picture, pages = _pdf(path)
                if picture is not None:
                    return picture, "image/png"
        except Exception:  # a damaged or odd file: the icon says what it is
            pass
    return icon(extension, pages), "image/svg+xml"


def response(item: Evidence) -> Response:
    content, mimetype = render(item)
    result = Response(content, mimetype=mimetype)
    result.headers["Cache-Control"] = "private, max-age=3600"
    result.headers["X-Content-Type-Options"] = "nosniff"
    result.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return result
