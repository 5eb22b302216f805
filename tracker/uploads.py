"""Uploads kept on the server between a preview and its confirmation.

The form carries only a random token; the bytes and the original file name stay in a folder of
the instance, so no path ever comes from the browser. Files never confirmed go after a day.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time

from flask import current_app

TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE_SECONDS = 24 * 3600


class PendingUploads:
    def __init__(self, folder_name: str) -> None:
        self.folder_name = folder_name

    def _folder(self) -> str:
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
