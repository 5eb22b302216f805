"""Every API failure as ``{"error": {"code", "message"}}`` with the right status, in the caller's language.

Service errors map by type: PermissionDenied → 403, a concurrent change → 409, a UserError → its
own status and code (422 validation_error unless it says otherwise: 409 state_conflict, 413
payload_too_large, …). Nothing half-saved: the session is rolled back before the error is sent.
Anything else is a bug, left to the app's handler: logged with its traceback, 500.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from tracker.errors import PermissionDenied, UserError
from tracker.extensions import db


class ApiError(Exception):
    """An error the API reports as is."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class BadRequest(ApiError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(400, "bad_request", message or _("请求有误"))


class Invalid(ApiError):
    """The body parsed but a field is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "validation_error", message)


class NotFound(ApiError):
    """Missing, or not visible to the caller: the two look the same so nothing leaks."""

    def __init__(self) -> None:
        super().__init__(404, "not_found", _("对象不存在或您无权查看。"))


class Unauthorized(ApiError):
    def __init__(self) -> None:
        super().__init__(401, "unauthorized", _("缺少或无效的 API 令牌。"))


HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    429: "rate_limited",
}


def http_messages() -> dict[int, str]:
    return {
        400: _("请求有误"),
        401: _("缺少或无效的 API 令牌。"),
        403: _("您没有权限执行此操作。"),
        404: _("对象不存在或您无权查看。"),
        405: _("不支持此操作"),
        409: _("数据已被他人修改，请刷新后重试"),
        413: _("上传的文件过大"),
        415: _("不支持的内容类型"),
        422: _("提交的内容有误"),
        429: _("请求过于频繁，请稍后再试。"),
    }


def envelope(status: int, code: str, message: str) -> tuple[Response, int]:
    response = jsonify(error={"code": code, "message": message})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="duban"'
    return response, status


def from_exception(exc: BaseException) -> tuple[Response, int] | None:
    """The envelope for an exception a view let through, or None when it is not ours to map."""
    if isinstance(exc, ApiError):
        return envelope(exc.status, exc.code, exc.message)
    if isinstance(exc, PermissionDenied):
        return envelope(403, "forbidden", str(exc) or http_messages()[403])
    if isinstance(exc, StaleDataError):
        return envelope(409, "conflict", http_messages()[409])
    if isinstance(exc, UserError):
        return envelope(exc.status, exc.code, exc.message or http_messages().get(exc.status, ""))
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        if status >= 500:
            return None
        message = http_messages().get(status, exc.name)
        return envelope(status, HTTP_CODES.get(status, exc.name.lower().replace(" ", "_")), message)
    return None


def register(bp: Blueprint) -> None:
    """Error handlers for the API blueprint's own requests."""

    def handle(exc: Exception):
        db.session.rollback()
        result = from_exception(exc)
        if result is None:
            raise exc
        return result

    for kind in (ApiError, PermissionDenied, StaleDataError, UserError, HTTPException):
        bp.register_error_handler(kind, handle)
