"""The user's language: Chinese first; English when the user or the browser asks for it."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config.get("LANGUAGES", ["zh_CN", "en"])
    chosen = session.get("locale") if _has_request() else None
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if _has_request() else None
    if user_locale in languages:
        return user_locale
    if _has_request():
        header = request.headers.get("Accept-Language", "")
        # Chinese is the default; English only when the browser prefers it over Chinese
        best = request.accept_languages.best_match(["zh", "zh_CN", "en"]) if header else None
        if best == "en":
            return "en"
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")


def _has_request() -> bool:
    from flask import has_request_context

    return has_request_context()
