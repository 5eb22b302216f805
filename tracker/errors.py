"""One error path: what users get wrong, what they may not do, and bugs.

- ``UserError`` (and the feature errors built on it: TaskError, PlanError, UnitError, …) carries a
  message in the user's language. One handler answers it: the transaction is rolled back; a page
  shows the message as a flash, on the form the view registered with ``show_again`` (with the
  error's status) or after a redirect back; the API answers ``{"error": {"code", "message"}}``
  with the error's status and code.
- ``PermissionDenied``: 403, rolled back.
- Anything else is a bug: logged with its traceback, rolled back, a 500 page or a 500 JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError

from tracker.db import utcnow
from tracker.extensions import db


class PermissionDenied(Exception):
    """A service refused an action for this user: 403, and nothing of the request is kept."""


class UserError(Exception):
    """Bad input or a step the data does not allow; the message is for the user, in their language.

    ``status`` and ``code`` are what the API answers (and the status of a page shown again).
    """

    status = 422
    code = "validation_error"

    def __init__(self, message: str = "", *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class Conflict(UserError):
    """The object is not in a state that allows the step (or changed meanwhile)."""

    status = 409
    code = "state_conflict"


class TooLarge(UserError):
    """An upload over its limit."""

    status = 413
    code = "payload_too_large"


@contextmanager
def cli_errors(*kinds: type[Exception]) -> Iterator[None]:
    """In a CLI command: an error of ``kinds`` (the command's expected refusals) rolls the session
    back and ends the command with its message and exit status 1."""
    try:
        yield
    except kinds as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc


def stale_message() -> str:
    return _("任务已被他人更新，请刷新后重试。")


def show_again(render: Callable[[], Any], status: int | None = None) -> None:
    """Tell the error handler how to show this request's form again if a UserError stops it:
    ``render()`` returns the page, answered with ``status`` or else the error's own (a redirect
    stays a redirect)."""
    g._show_again = (render, status)


def _back() -> str:
    """Where a refused page request goes: the page it came from (on this site), else home."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc in ("", request.host) and referrer.path.startswith("/") \
            and not referrer.path.startswith("//") and referrer.path != request.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("main.home")


def _messages() -> dict[int, str]:
    return {
        400: _("请求有误"),
        401: _("请先登录"),
        403: _("您没有权限访问此页面"),
        404: _("页面不存在"),
        405: _("不支持此操作"),
        409: _("数据已被他人修改，请刷新后重试"),
        413: _("上传的文件过大"),
        422: _("提交的内容有误"),
        429: _("操作过于频繁，请稍后再试"),
        500: _("服务器内部错误，请稍后重试"),
    }


def _acting_user():
    """The signed-in user, or the API token's user."""
    if getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()
    return g.get("api_user")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    @app.after_request
    def record_denial(response):
        """Every 403 to a signed-in user (page or API) is a security event in the audit log."""
        if response.status_code == 403:
            user = _acting_user()
            if user is not None:
                # imported here: the account services raise this module's errors
                from tracker.auth.services import record_permission_denied

                try:
                    db.session.rollback()
                    record_permission_denied(user, method=request.method, path=request.path,
                                             endpoint=request.endpoint, now=utcnow())
                    db.session.commit()
                except Exception:  # the refusal itself must still reach the user
                    db.session.rollback()
                    app.logger.exception("could not record a permission denial")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("表单已过期或来源不明，请刷新页面后重试。")
        if wants_json():
            return jsonify(error={"code": "csrf", "message": message}), 400
        return render_template("errors/error.html", code=400, title=_messages()[400], message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        title = _messages().get(code, error.name)
        if wants_json():
            return jsonify(error={"code": error.name.lower().replace(" ", "_"), "message": title}), code
        template = f"errors/{code}.html" if code in (403, 404, 500) else "errors/error.html"
        return render_template(template, code=code, title=title, message=None), code

    @app.errorhandler(PermissionDenied)
    def permission_denied(error: PermissionDenied):
        """A service refused the user (views need not catch it): nothing of the request is kept."""
        db.session.rollback()
        return http_error(Forbidden())

    @app.errorhandler(UserError)
    def user_error(error: UserError):
        """The one answer to a refused input: rolled back, the message shown, nothing kept."""
        db.session.rollback()
        if wants_json():
            return jsonify(error={"code": error.code, "message": error.message}), error.status
        for line in error.message.splitlines() or [_messages()[422]]:
            flash(line, "danger")
        again = g.pop("_show_again", None)
        if again is None:
            return redirect(_back())
        render, status = again
        page = render()
        body = page[0] if isinstance(page, tuple) else page
        if isinstance(body, Response) and 300 <= body.status_code < 400:
            return body
        return body, status or error.status

    @app.errorhandler(StaleDataError)
    def stale(error: StaleDataError):
        """Two people changed the same row: the second is told to reload."""
        return user_error(Conflict(stale_message(), code="conflict"))

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return http_error(InternalServerError())
