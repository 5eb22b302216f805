"""Error pages in the user's language; JSON errors under /api/; never a stack trace."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError

from tracker.auth.permissions import PermissionDenied
from tracker.auth.services import record_permission_denied
from tracker.db import utcnow
from tracker.extensions import db


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

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return http_error(InternalServerError())
