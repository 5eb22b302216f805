"""Duban (督办): plans → tasks → evidence → review, reminders and 督办单.

The factory lives in ``tracker.app`` and is imported lazily, so that the pure
parts of the package (``python -m tracker.plans``) run without Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Any = None) -> Flask:
    """Build the Flask application; see ``tracker.app.create_app``."""
    from tracker.app import create_app as _create_app

    return _create_app(config)
