"""Account actions: each checks its input, records an audit entry, and leaves the commit to the caller."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from tracker import access, audit, timeutil
from tracker.access import UNIT_ROLES
from tracker.auth.models import LoginEvent, PasswordHistory, RecoveryCode, Role, User
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


def password_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    return sum(bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))


def validate_password(password: str, user: User | None = None, *, email: str | None = None,
                      name: str | None = None) -> None:
    """The configured rules: length, character classes, not the user's name, not a recent password."""
    config = current_app.config
    minimum = int(config.get("PASSWORD_MIN_LENGTH", MIN_PASSWORD))
    if len(password or "") < minimum:
        raise AccountError(_("密码至少需要 %(n)d 个字符。", n=minimum))
    if len(password) > 128:
        raise AccountError(_("密码不能超过 128 个字符。"))
    classes = int(config.get("PASSWORD_MIN_CLASSES", 1))
    if password_classes(password) < classes:
        raise AccountError(_("密码需包含小写字母、大写字母、数字、其他字符中的至少 %(n)d 类。", n=classes))
    lowered = password.lower()
    email = email or (user.email if user else "")
    name = name or (user.name if user else "")
    for part in (email.split("@")[0], email, name):
        if part and len(part) >= 3 and part.lower() in lowered:
            raise AccountError(_("密码不能包含用户名、邮箱或姓名。"))
    if user is not None and _recently_used(user, password):
        raise AccountError(_("新密码不能与最近 %(n)d 次使用过的密码相同。", n=int(config.get("PASSWORD_HISTORY", 5))))


def _recently_used(user: User, password: str) -> bool:
    keep = int(current_app.config.get("PASSWORD_HISTORY", 5))
    if keep <= 0:
        return False
    hashes = list(db.session.scalars(sa.select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
                                     .order_by(PasswordHistory.id.desc()).limit(keep)))
    if user.password_hash and user.password_hash not in hashes:
        hashes = [user.password_hash, *hashes][:keep]
    return any(check_password_hash(h, password) for h in hashes if h)


def _store_password(user: User, password: str, now: datetime, *, by_someone_else: bool) -> None:
    """Set the password, keep its hash for the history check, and say whether it must be changed."""
    user.set_password(password)
    user.password_changed_at = now
    user.must_change_password = by_someone_else and bool(current_app.config.get("FORCE_FIRST_PASSWORD_CHANGE"))
    if user.id is not None:
        db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
        keep = int(current_app.config.get("PASSWORD_HISTORY", 5))
        old = db.session.scalars(sa.select(PasswordHistory.id).where(PasswordHistory.user_id == user.id)
                                 .order_by(PasswordHistory.id.desc()).offset(max(keep, 1))).all()
        if old:
            db.session.execute(sa.delete(PasswordHistory).where(PasswordHistory.id.in_(old)))


def password_expired(user: User, now: datetime) -> bool:
    days = int(current_app.config.get("PASSWORD_MAX_AGE_DAYS", 0) or 0)
    changed = user.password_changed_at or user.created_at
    return bool(days and changed and now - changed > timedelta(days=days))


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
    validate_password(password, email=email, name=data.name.strip())
    user = User(email=email, name=data.name.strip(), role=data.role, unit_id=data.unit_id,
                phone=(data.phone or "").strip() or None, is_active=data.is_active)
    db.session.add(user)
    db.session.flush()
    _store_password(user, password, now, by_someone_else=True)
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
    if "role" in changes:
        audit.record(actor, "user.role_changed", user, {"from": changes["role"][0], "to": changes["role"][1]},
                     now=now)
    return user


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Change one's own password; every other session of the user ends."""
    if not user.check_password(current or ""):
        raise AccountError(_("当前密码不正确。"))
    validate_password(new, user)
    _store_password(user, new, now, by_someone_else=False)
    user.end_sessions()
    audit.record(user, "user.password_changed", user, now=now)


def set_password(user: User, new: str, *, actor: User | None, now: datetime) -> None:
    """An admin resets a password; the user's sessions end (and, by setting, the user must change it)."""
    access.check(actor is None or access.may_manage_user(actor, user))
    validate_password(new, user)
    _store_password(user, new, now, by_someone_else=getattr(actor, "id", None) != user.id)
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


# -- sign-in with history, lockout and the second factor (等保 level 3) ------------------------------

@dataclass
class Client:
    """Where an attempt came from, for the sign-in history."""

    address: str | None = None
    user_agent: str | None = None


@dataclass
class SignIn:
    user: User
    #: the password was right; a TOTP or recovery code must follow before the session starts
    needs_second_factor: bool


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _event(user: User | None, email: str, result: str, now: datetime, client: Client) -> None:
    db.session.add(LoginEvent(user_id=user.id if user else None, email=(email or "")[:254], at=now,
                              address=(client.address or "")[:64] or None,
                              user_agent=(client.user_agent or "")[:200] or None, result=result))


def _locked_error(user: User) -> AccountError:
    until = timeutil.to_local(user.locked_until).strftime("%Y-%m-%d %H:%M")
    return AccountError(_("登录失败次数过多，账号已锁定至 %(until)s。如需提前解锁，请联系系统管理员。", until=until))


def _failed(user: User, result: str, now: datetime, client: Client) -> AccountError | None:
    """Count a failure; lock the account at the configured number. The lock's message, if it locked."""
    _event(user, user.email, result, now, client)
    config = current_app.config
    attempts = int(config.get("LOCKOUT_ATTEMPTS", 5) or 0)
    window = timedelta(minutes=int(config.get("LOCKOUT_WINDOW_MINUTES", 15)))
    if user.first_failed_at is None or now - user.first_failed_at > window:
        user.failed_logins, user.first_failed_at = 1, now
    else:
        user.failed_logins = (user.failed_logins or 0) + 1
    if attempts and user.failed_logins >= attempts:
        user.locked_until = now + timedelta(minutes=int(config.get("LOCKOUT_MINUTES", 30)))
        audit.record(None, "user.locked", user, {"failures": user.failed_logins, "until": user.locked_until,
                                                  "address": client.address}, now=now)
        user.failed_logins, user.first_failed_at = 0, None
        return _locked_error(user)
    return None


def _succeeded(user: User, now: datetime, client: Client) -> None:
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    user.last_login_at = now
    _event(user, user.email, "success", now, client)


def second_factor_enabled(user: User) -> bool:
    return bool(user.totp_secret)


def second_factor_required(user: User) -> bool:
    """TOTP_REQUIRED switches the second factor on for admins and supervisors."""
    return bool(current_app.config.get("TOTP_REQUIRED")) and access.may_supervise(user)  # the privileged roles


def sign_in(email: str, password: str, *, now: datetime, client: Client) -> SignIn:
    """The password step of the web sign-in. Every attempt is in the history; failures count toward
    the lockout; the caller commits either way (a refused attempt is recorded, too)."""
    email = normalize_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        _event(None, email, "unknown", now, client)
        raise AccountError(_("邮箱或密码不正确。"))
    if is_locked(user, now):
        _event(user, email, "locked", now, client)
        raise _locked_error(user)
    if not user.check_password(password or ""):
        raise _failed(user, "bad_password", now, client) or AccountError(_("邮箱或密码不正确。"))
    if not user.is_active:
        _event(user, email, "inactive", now, client)
        raise AccountError(_("该账号已停用，请联系系统管理员。"))
    if second_factor_enabled(user):
        return SignIn(user, True)
    _succeeded(user, now, client)
    return SignIn(user, False)


def _recovery_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def _normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def sign_in_second_factor(user: User, code: str, *, now: datetime, client: Client) -> None:
    """The TOTP (or a single-use recovery code) after the password; a wrong one counts as a failure."""
    if is_locked(user, now):
        _event(user, user.email, "locked", now, client)
        raise _locked_error(user)
    if not user.is_active:
        raise AccountError(_("该账号已停用，请联系系统管理员。"))
    given = _normalize_code(code)
    if re.fullmatch(r"\d{6}", given):
        step = _totp_step(user.totp_secret, given, now)
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            _succeeded(user, now, client)
            return
        raise _failed(user, "bad_code", now, client) or AccountError(
            _("验证码不正确或已使用，请输入验证器上的最新验证码。"))
    if re.fullmatch(r"[0-9a-f]{10}", given):
        row = db.session.scalar(sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                              RecoveryCode.code_hash == _recovery_hash(user.id, given)))
        if row is not None and row.used_at is None:
            row.used_at = now
            left = db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
            audit.record(user, "user.recovery_code_used", user, {"left": left}, now=now)
            _succeeded(user, now, client)
            return
        if row is not None:
            raise _failed(user, "bad_code", now, client) or AccountError(_("该恢复码已使用过，每个恢复码只能用一次。"))
    raise _failed(user, "bad_code", now, client) or AccountError(_("验证码不正确。"))


def _totp_step(secret: str | None, code: str, now: datetime) -> int | None:
    """The time step whose code this is (now, or one step either side), or None."""
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config.get("TOTP_ISSUER"))


RECOVERY_CODES = 10


def enable_second_factor(user: User, secret: str, code: str, *, now: datetime) -> list[str]:
    """Confirm the authenticator with a code from it; the recovery codes, shown once."""
    if not re.fullmatch(r"[A-Z2-7]{16,64}", secret or ""):
        raise AccountError(_("验证器设置已过期，请重新开始。"))
    step = _totp_step(secret, _normalize_code(code), now)
    if step is None:
        raise AccountError(_("验证码不正确，请确认手机时间准确后重试。"))
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    for plain in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, plain)))
    audit.record(user, "user.totp_enabled", user, {"recovery_codes": len(codes)}, now=now)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def reset_second_factor(user: User, *, actor: User, now: datetime) -> None:
    """An admin removes a user's authenticator (a lost phone); the user sets up a new one."""
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.end_sessions()
    audit.record(actor, "user.totp_reset", user, now=now)


def unlock(user: User, *, actor: User, now: datetime) -> None:
    """An admin lifts a lockout before it ends."""
    user.locked_until, user.failed_logins, user.first_failed_at = None, 0, None
    audit.record(actor, "user.unlocked", user, now=now)


def sign_in_history(user: User, limit: int = 100) -> list[LoginEvent]:
    return list(db.session.scalars(sa.select(LoginEvent).where(LoginEvent.user_id == user.id)
                                   .order_by(LoginEvent.id.desc()).limit(limit)))


def record_permission_denied(user: User | None, *, method: str, path: str, endpoint: str | None,
                             now: datetime) -> None:
    """A refused request, kept in the audit log (the caller has rolled back the request's work)."""
    if user is None:
        return
    audit.record(user, "security.permission_denied", None,
                 {"method": method, "path": path[:300], "endpoint": endpoint}, now=now, object_type="request")
