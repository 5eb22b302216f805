"""Personal API tokens: create, revoke, and authenticate a request's ``Authorization: Bearer``.

A token carries exactly its user's rights; the check runs on every request against the database
(no cache), so revoking a token or deactivating its user takes effect on the next call.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import g, request
from flask_babel import gettext as _

from tracker import access, audit
from tracker.api.models import ApiToken
from tracker.auth.models import User
from tracker.auth.permissions import PermissionDenied
from tracker.db import utcnow
from tracker.errors import UserError
from tracker.extensions import db

#: secrets start with this, so a leaked token is recognisable in logs and scanners
SECRET_PREFIX = "dbn_"
PREFIX_LENGTH = 8
MAX_TOKENS_PER_USER = 20


class TokenError(UserError):
    """Bad input for a token; the message is for the user."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, *, actor: User | None, now: datetime,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret, which is never retrievable again."""
    if actor is not None and not access.may_manage_token(actor, user.id):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise TokenError(_("请填写令牌名称。"))
    if len(name) > 64:
        raise TokenError(_("令牌名称不能超过 64 个字符。"))
    if expires_at is not None and expires_at <= now:
        raise TokenError(_("有效期必须晚于当前时间。"))
    active = db.session.scalar(
        sa.select(sa.func.count()).select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_TOKENS_PER_USER:
        raise TokenError(_("有效令牌已达上限（%(n)d 个），请先吊销不用的令牌。", n=MAX_TOKENS_PER_USER))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_secret(secret),
                     prefix=secret[:PREFIX_LENGTH], created_at=now, expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, {"user_id": user.id, "name": name}, now=now)
    return token, secret


def revoke_token(token: ApiToken, *, actor: User | None, now: datetime) -> ApiToken:
    """Revoke at once; only the owner or an admin may (actor None: an operator at the console)."""
    if actor is not None and not access.may_manage_token(actor, token.user_id):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.flush()
        audit.record(actor, "api_token.revoked", token, {"user_id": token.user_id}, now=now)
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ))


def find_token(secret: str, now: datetime) -> ApiToken | None:
    """The usable token for a secret, or None; compares hashes, never secrets."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.is_usable(now):
        return None
    return token


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def request_token(now: datetime) -> ApiToken | None:
    """The token of this request, looked up once per request (the rate limit key needs it early)."""
    if "api_token_checked" not in g:
        secret = bearer_secret()
        g.api_token = find_token(secret, now) if secret else None
        g.api_token_checked = True
    return g.api_token


def touch(token: ApiToken, now: datetime) -> None:
    """Record use, at most once a minute per token, to keep reads from writing on every call."""
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()


def rate_limit_key() -> str:
    """Per token when there is a valid one; otherwise per client address."""
    token = request_token(utcnow())
    if token is not None:
        return f"api-token:{token.id}"
    return f"api-anon:{request.remote_addr or '-'}"
