"""Bulk import of units and users from .xlsx/.csv: preview with row-by-row errors, then all or nothing.

The uploaded file waits between preview and confirm in the instance folder under a random token;
the confirm form sends the token back, never a path.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker import audit
from tracker.access import UNIT_ROLES
from tracker.auth.models import Role, User
from tracker.auth.services import EMAIL_RE, normalize_email
from tracker.errors import UserError
from tracker.extensions import db
from tracker.tabular import TableError, read_table
from tracker.units import services as unit_services
from tracker.units.models import Unit
from tracker.uploads import PendingUploads

KINDS = ("units", "users")
MAX_ROWS = 5000

USER_COLUMNS = {
    "email": ("邮箱", "电子邮箱", "email"),
    "name": ("姓名", "name"),
    "phone": ("电话", "手机", "联系电话", "phone"),
    "unit_code": ("单位代码", "unit_code", "unit"),
    "role": ("角色", "role"),
}
REQUIRED_USER_COLUMNS = ("email", "name", "role")
ROLE_WORDS = {
    "督办人": Role.supervisor, "督查员": Role.supervisor,
    "责任单位负责人": Role.unit_lead, "单位负责人": Role.unit_lead,
    "责任单位成员": Role.unit_member, "单位成员": Role.unit_member,
    "领导": Role.viewer, "领导（只读）": Role.viewer, "领导(只读)": Role.viewer,
    "管理员": Role.admin, "系统管理员": Role.admin,
}


class ImportError_(UserError):
    """A file that cannot be imported; the message is for the user."""


# --------------------------------------------------------------------------- the waiting file

#: the uploaded file between preview and confirm
pending = PendingUploads("imports")


def stash_upload(data: bytes, filename: str) -> str:
    """Keep an uploaded file until the user confirms; returns the token that names it."""
    return pending.keep(data, filename)


def load_stash(token: str) -> tuple[bytes, str]:
    found = pending.load(token)
    if found is None:
        raise ImportError_(_("上传的文件已失效，请重新上传。"))
    return found


def drop_stash(token: str) -> None:
    pending.drop(token)


# --------------------------------------------------------------------------- reading

def read_user_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    try:
        raw = read_table(data, filename, max_rows=MAX_ROWS)
    except TableError as exc:
        raise ImportError_(str(exc)) from exc
    header = raw[0]
    index: dict[str, int] = {}
    for key, names in USER_COLUMNS.items():
        for i, cell in enumerate(header):
            if cell in names:
                index[key] = i
    missing = [USER_COLUMNS[k][0] for k in REQUIRED_USER_COLUMNS if k not in index]
    if missing:
        raise ImportError_(_("缺少必需的列：%(cols)s", cols="、".join(missing)))
    return [{k: (row[i] if i < len(row) else "") for k, i in index.items()} for row in raw[1:]]


# --------------------------------------------------------------------------- the preview

@dataclass
class PreviewRow:
    number: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class Preview:
    kind: str
    columns: list[tuple[str, str]]
    rows: list[PreviewRow]
    general_errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.general_errors and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.general_errors) + sum(len(r.errors) for r in self.rows)


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


UNIT_PREVIEW_COLUMNS = ("code", "name", "parent", "kind", "contact_email")
USER_PREVIEW_COLUMNS = ("email", "name", "phone", "unit_code", "role")
ROW_RE = re.compile(r"^第 (\d+) 行：(.*)$")


def preview(kind: str, data: bytes, filename: str, *, actor: User | None, now: datetime) -> Preview:
    """Read and check a file without saving anything; units go through the units import itself in
    a transaction the caller rolls back, so the preview and the import can never disagree."""
    if kind == "units":
        columns = [(k, unit_services.IMPORT_COLUMNS[k][0]) for k in UNIT_PREVIEW_COLUMNS]
        try:
            rows = unit_services.read_rows(data, filename)
        except unit_services.UnitError as exc:
            return Preview(kind, columns, [], [str(exc)])
        out = Preview(kind, columns, [PreviewRow(n, r) for n, r in enumerate(rows, start=2)])
        if not rows:
            out.general_errors.append(_("文件中没有数据行。"))
            return out
        try:
            unit_services.import_units(rows, actor=actor, now=now)
        except unit_services.UnitError as exc:
            by_number = {r.number: r for r in out.rows}
            for line in str(exc).splitlines():
                match = ROW_RE.match(line)
                if match and int(match.group(1)) in by_number:
                    by_number[int(match.group(1))].errors.append(match.group(2))
                else:
                    out.general_errors.append(line)
        return out
    if kind == "users":
        columns = [(k, USER_COLUMNS[k][0]) for k in USER_PREVIEW_COLUMNS]
        try:
            rows = read_user_rows(data, filename)
        except ImportError_ as exc:
            return Preview(kind, columns, [], [str(exc)])
        out = Preview(kind, columns, check_user_rows(rows))
        if not rows:
            out.general_errors.append(_("文件中没有数据行。"))
        return out
    raise ImportError_(_("未知的导入类型。"))


# --------------------------------------------------------------------------- saving

def new_password() -> str:
    """An initial password a person can type: 12 characters without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _i in range(12))


def import_users(rows: list[dict[str, str]], *, actor: User | None, now: datetime) -> list[tuple[User, str]]:
    """Create every user of the file, or none: any row error raises ImportError_ with all of them.
    Returns each user with the generated initial password, to show once."""
    checked = check_user_rows(rows)
    errors = [_("第 %(n)d 行：%(msg)s", n=r.number, msg=e) for r in checked for e in r.errors]
    if not rows:
        errors.append(_("文件中没有数据行。"))
    if errors:
        raise ImportError_("\n".join(errors))
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    created = []
    for row in rows:
        password = new_password()
        unit = units.get(row.get("unit_code") or "")
        user = User(email=normalize_email(row["email"]), name=row["name"].strip(), role=parse_role(row["role"]),
                    phone=(row.get("phone") or "").strip() or None, unit_id=unit.id if unit else None)
        user.set_password(password)
        db.session.add(user)
        created.append((user, password))
    db.session.flush()
    for user, _password in created:
        audit.record(actor, "user.created", user, {"email": user.email, "role": user.role, "source": "import"},
                     now=now)
    audit.record(actor, "user.imported", None, {"count": len(created)}, now=now, object_type="user")
    return created


def run_import(kind: str, data: bytes, filename: str, *, actor: User | None, now: datetime) -> list[tuple[str, str]]:
    """Import a confirmed file; returns (label, initial password or "") per saved row."""
    if kind == "units":
        try:
            rows = unit_services.read_rows(data, filename)
            units = unit_services.import_units(rows, actor=actor, now=now)
        except unit_services.UnitError as exc:
            raise ImportError_(str(exc)) from exc
        return [(f"{u.code} {u.name}", "") for u in units]
    if kind == "users":
        users = import_users(read_user_rows(data, filename), actor=actor, now=now)
        return [(f"{u.name} <{u.email}>", password) for u, password in users]
    raise ImportError_(_("未知的导入类型。"))
