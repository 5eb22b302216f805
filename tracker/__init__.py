"""Duban (督办): plans → tasks → evidence → review, reminders and 督办单.

The factory lives in ``tracker.app`` and is imported lazily, so that the pure
parts of the package (``python -m tracker.plans``) run without Flask.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the CLI's start is mostly imports
if TYPE_CHECKING:
    from typing import Any

    from flask import Flask


def create_app(config: Any = None) -> Flask:
    """Build the Flask application; see ``tracker.app.create_app``."""
    from tracker.app import create_app as _create_app

    return _create_app(config)
