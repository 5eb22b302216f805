"""Users and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.db import TimestampMixin, db, str_enum, utcnow


class Role(enum.Enum):
    admin = "admin"
    supervisor = "supervisor"
    unit_lead = "unit_lead"
    unit_member = "unit_member"
    viewer = "viewer"


class DigestMode(enum.Enum):
    """How a person receives reminders: each as it comes, or one message a day."""

    immediate = "immediate"
    daily = "daily"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(TimestampMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased; the sign-in name
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.unit_member)
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("unit.id", ondelete="SET NULL", use_alter=True), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    #: part of the login cookie; rotating it ends every session of this user
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    #: reminders one by one, or folded into one message a day (chases are folded either way)
    digest_mode: Mapped[DigestMode] = mapped_column(str_enum(DigestMode), default=DigestMode.immediate,
                                                    server_default=DigestMode.immediate.value)
    last_login_at: Mapped[datetime | None]
    # 等保 controls (tracker.auth.security)
    #: set when an admin made or reset the password (FORCE_FIRST_PASSWORD_CHANGE)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None]
    #: failed sign-ins since first_failed_at; the account is locked until locked_until
    failed_logins: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    #: base32 TOTP secret once confirmed; the last time step used, so a code works once
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    unit = relationship("Unit", foreign_keys=[unit_id], back_populates="members")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"

    # Flask-Login protocol; is_active is the column above
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Invalidate every login cookie of this user (other browsers included)."""
        self.session_token = new_session_token()


class PasswordHistory(db.Model):
    """Earlier password hashes: a new password may not be one of the last PASSWORD_HISTORY."""

    __tablename__ = "password_history"
    __table_args__ = (sa.Index("ix_password_history_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(db.Model):
    """A single-use code that stands in for a TOTP code (a lost phone); stored hashed."""

    __tablename__ = "recovery_code"
    __table_args__ = (sa.Index("ix_recovery_code_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]


class LoginEvent(db.Model):
    """One sign-in attempt: the history a user and the admins read (time, address, result)."""

    __tablename__ = "login_event"
    __table_args__ = (sa.Index("ix_login_event_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    #: what was typed, for attempts on unknown accounts
    email: Mapped[str] = mapped_column(sa.String(254))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    address: Mapped[str | None] = mapped_column(sa.String(64))
    #: success, bad_password, bad_code, locked, inactive, unknown
    result: Mapped[str] = mapped_column(sa.String(20))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
