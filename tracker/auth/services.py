"""Account actions: each checks its input, records an audit entry, and leaves the commit to the caller."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker import access, audit
from tracker.access import UNIT_ROLES
from tracker.auth.models import Role, User
from tracker.errors import UserError
from tracker.extensions import db
from tracker.tabular import Preview, PreviewRow, TableError, read_table
from tracker.units.models import Unit
from tracker.uploads import PendingUploads

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
    if is_self and access.is_admin(user) and data.role is not Role.admin:
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


# --------------------------------------------------------------------------- bulk import of users

MAX_IMPORT_ROWS = 5000
USER_COLUMNS = {
    "email": ("邮箱", "电子邮箱", "email"),
    "name": ("姓名", "name"),
    "phone": ("电话", "手机", "联系电话", "phone"),
    "unit_code": ("单位代码", "unit_code", "unit"),
    "role": ("角色", "role"),
}
REQUIRED_USER_COLUMNS = ("email", "name", "role")
USER_PREVIEW_COLUMNS = ("email", "name", "phone", "unit_code", "role")
ROLE_WORDS = {
    "督办人": Role.supervisor, "督查员": Role.supervisor,
    "责任单位负责人": Role.unit_lead, "单位负责人": Role.unit_lead,
    "责任单位成员": Role.unit_member, "单位成员": Role.unit_member,
    "领导": Role.viewer, "领导（只读）": Role.viewer, "领导(只读)": Role.viewer,
    "管理员": Role.admin, "系统管理员": Role.admin,
}

#: an uploaded units or users file between its preview and its confirmation
pending_imports = PendingUploads("imports")


def read_user_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a users file as dicts keyed by the canonical column names."""
    try:
        raw = read_table(data, filename, max_rows=MAX_IMPORT_ROWS)
    except TableError as exc:
        raise AccountError(str(exc)) from exc
    header = raw[0]
    index: dict[str, int] = {}
    for key, names in USER_COLUMNS.items():
        for i, cell in enumerate(header):
            if cell in names:
                index[key] = i
    missing = [USER_COLUMNS[k][0] for k in REQUIRED_USER_COLUMNS if k not in index]
    if missing:
        raise AccountError(_("缺少必需的列：%(cols)s", cols="、".join(missing)))
    return [{k: (row[i] if i < len(row) else "") for k, i in index.items()} for row in raw[1:]]


def parse_role(text: str) -> Role | None:
    text = (text or "").strip()
    if text in ROLE_WORDS:
        return ROLE_WORDS[text]
    try:
        return Role(text.lower())
    except ValueError:
        return None


def check_user_rows(rows: list[dict[str, str]]) -> list[PreviewRow]:
    """Every row's problems: bad or duplicate emails (in the file and in the database), missing
    names, bad roles, unknown units, unit people without a unit."""
    emails = [normalize_email(r.get("email", "")) for r in rows]
    taken = set(db.session.scalars(sa.select(User.email).where(User.email.in_([e for e in emails if e]))))
    codes = {r.get("unit_code", "") for r in rows if r.get("unit_code")}
    known_units = set(db.session.scalars(sa.select(Unit.code).where(Unit.code.in_(codes)))) if codes else set()
    seen: dict[str, int] = {}
    result = []
    for number, (row, email) in enumerate(zip(rows, emails, strict=True), start=2):
        errors: list[str] = []
        if not EMAIL_RE.match(email) or len(email) > 254:
            errors.append(_("邮箱 %(email)s 无效。", email=row.get("email", "")))
        elif email in seen:
            errors.append(_("邮箱 %(email)s 与第 %(m)d 行重复。", email=email, m=seen[email]))
        elif email in taken:
            errors.append(_("邮箱 %(email)s 已被其他用户使用。", email=email))
        if email and email not in seen:
            seen[email] = number
        name = (row.get("name") or "").strip()
        if not name:
            errors.append(_("姓名为空。"))
        elif len(name) > 64:
            errors.append(_("姓名不能超过 64 个字符。"))
        if len(row.get("phone") or "") > 32:
            errors.append(_("电话不能超过 32 个字符。"))
        role = parse_role(row.get("role", ""))
        if role is None:
            errors.append(_("未知的角色：%(role)s（可填 督办人、责任单位负责人、责任单位成员、领导、管理员）。",
                            role=row.get("role", "")))
        code = row.get("unit_code") or ""
        if code and code not in known_units:
            errors.append(_("单位代码 %(code)s 不存在。", code=code))
        if role in UNIT_ROLES and not code:
            errors.append(_("责任单位的用户必须填写单位代码。"))
        result.append(PreviewRow(number=number, values=row, errors=errors))
    return result


def preview_users(data: bytes, filename: str) -> Preview:
    """Read and check a users file without saving anything."""
    columns = [(k, USER_COLUMNS[k][0]) for k in USER_PREVIEW_COLUMNS]
    try:
        rows = read_user_rows(data, filename)
    except AccountError as exc:
        return Preview("users", columns, [], [str(exc)])
    out = Preview("users", columns, check_user_rows(rows))
    if not rows:
        out.general_errors.append(_("文件中没有数据行。"))
    return out


def new_password() -> str:
    """An initial password a person can type: 12 characters without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _i in range(12))


def import_users(rows: list[dict[str, str]], *, actor: User | None, now: datetime) -> list[tuple[User, str]]:
    """Create every user of the file through create_user, or none: any row error raises AccountError
    with all of them. Returns each user with the generated initial password, to show once."""
    checked = check_user_rows(rows)
    errors = [_("第 %(n)d 行：%(msg)s", n=r.number, msg=e) for r in checked for e in r.errors]
    if not rows:
        errors.append(_("文件中没有数据行。"))
    if errors:
        raise AccountError("\n".join(errors))
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    created = []
    for row in rows:
        password = new_password()
        unit = units.get(row.get("unit_code") or "")
        data = UserData(email=row["email"], name=row["name"], role=parse_role(row["role"]),
                        unit_id=unit.id if unit else None, phone=row.get("phone") or None)
        created.append((create_user(data, password, actor=actor, now=now), password))
    audit.record(actor, "user.imported", None, {"count": len(created)}, now=now, object_type="user")
    return created
