"""Account actions: each checks its input, records an audit entry, and leaves the commit to the caller."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker import access, audit
from tracker.access import UNIT_ROLES
from tracker.auth.models import Role, User
from tracker.errors import UserError
from tracker.extensions import db
from tracker.units.models import Unit

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}$")
MIN_PASSWORD = 8


class AccountError(UserError):
    """Bad input for an account action; the message is for the user."""


@dataclass
class UserData:
    email: str
    name: str
    role: Role
    unit_id: int | None = None
    phone: str | None = None
    is_active: bool = True


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def authenticate(email: str, password: str, *, now: datetime) -> User:
    """The user with this email and password, or AccountError with one message for every failure
    except a deactivated account (so the person knows to ask the admin)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.check_password(password or ""):
        raise AccountError(_("邮箱或密码不正确。"), status=401, code="unauthorized")
    if not user.is_active:
        raise AccountError(_("该账号已停用，请联系系统管理员。"), status=401, code="unauthorized")
    user.last_login_at = now
    return user


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(_("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD))
    if len(password) > 128:
        raise AccountError(_("密码不能超过 128 个字符。"))


def _validate(data: UserData, user: User | None) -> str:
    email = normalize_email(data.email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError(_("请输入有效的邮箱地址。"))
    name = (data.name or "").strip()
    if not name:
        raise AccountError(_("姓名不能为空。"))
    if len(name) > 64:
        raise AccountError(_("姓名不能超过 64 个字符。"))
    if data.phone and len(data.phone) > 32:
        raise AccountError(_("电话不能超过 32 个字符。"))
    clash = db.session.scalar(sa.select(User).where(User.email == email))
    if clash is not None and clash is not user:
        raise AccountError(_("邮箱 %(email)s 已被其他用户使用。", email=email))
    if data.role in UNIT_ROLES and data.unit_id is None:
        raise AccountError(_("责任单位的用户必须选择所属单位。"))
    if data.unit_id is not None and db.session.get(Unit, data.unit_id) is None:
        raise AccountError(_("所选单位不存在。"))
    return email


def create_user(data: UserData, password: str, *, actor: User | None, now: datetime) -> User:
    """A new account (``actor`` None: the operator's command line)."""
    access.check(actor is None or access.may_manage_user(actor))
    email = _validate(data, None)
    validate_password(password)
    user = User(email=email, name=data.name.strip(), role=data.role, unit_id=data.unit_id,
                phone=(data.phone or "").strip() or None, is_active=data.is_active)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", user, {"email": email, "role": data.role}, now=now)
    return user


def update_user(user: User, data: UserData, *, actor: User | None, now: datetime) -> User:
    access.check(actor is None or access.may_manage_user(actor, user))
    email = _validate(data, user)
    is_self = actor is not None and getattr(actor, "id", None) == user.id
    if is_self and data.role is not Role.admin and user.role is Role.admin:
        raise AccountError(_("不能取消自己的管理员角色。"))
    if is_self and not data.is_active:
        raise AccountError(_("不能停用自己的账号。"))
    changes = {}
    for field, value in (("email", email), ("name", data.name.strip()), ("role", data.role),
                         ("unit_id", data.unit_id), ("phone", (data.phone or "").strip() or None),
                         ("is_active", data.is_active)):
        if getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    if "is_active" in changes and not data.is_active:
        user.end_sessions()
    if changes:
        audit.record(actor, "user.updated", user, changes, now=now)
    return user


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Change one's own password; every other session of the user ends."""
    if not user.check_password(current or ""):
        raise AccountError(_("当前密码不正确。"))
    validate_password(new)
    user.set_password(new)
    user.end_sessions()
    audit.record(user, "user.password_changed", user, now=now)


def set_password(user: User, new: str, *, actor: User | None, now: datetime) -> None:
    """An admin resets a password; the user's sessions end."""
    access.check(actor is None or access.may_manage_user(actor, user))
    validate_password(new)
    user.set_password(new)
    user.end_sessions()
    audit.record(actor, "user.password_reset", user, now=now)


def sign_out_everywhere(user: User) -> None:
    user.end_sessions()
