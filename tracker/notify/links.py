"""Absolute links in messages, also outside a request (the scheduler, the command line)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, request


def base_url() -> str:
    """BASE_URL when set; else the address the app is served at (``make run`` passes it to the
    server and its scheduler as SERVED_URL); else the current request's; else the default port."""
    config = current_app.config
    configured = config.get("BASE_URL") or config.get("SERVED_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


def task_url(task: Any, recipient: Any = None, now: datetime | None = None) -> str:
    """The one link to a task that every message uses, for ``recipient`` at ``now``: today the
    signed-in task page (a per-recipient link can take its place here)."""
    task_id = task if isinstance(task, int) else task.id
    return base_url() + _task_path(current_app.url_map).format(int(task_id))


_PLACEHOLDER = 987654321


@functools.lru_cache(maxsize=8)
def _task_path(url_map: Any) -> str:
    """The task page's path with ``{}`` for the id, built once per URL map: a sweep or a digest
    links thousands of tasks, and building each through the router costs more than the rest."""
    return url_map.bind("").build("tasks.view_task", {"task_id": _PLACEHOLDER}).replace(str(_PLACEHOLDER), "{}")


def notice_url(notice_id: int) -> str:
    return f"{base_url()}/notices/{notice_id}"
