"""The outbox of email and the in-app notices of each user."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import db, str_enum, utcnow


class OutboxStatus(enum.Enum):
    pending = "pending"
    #: claimed by a dispatcher; a row left here by a killed process is "in doubt" and not re-sent
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"
    #: waits for its digest (a day's chases, a daily-digest reader, a unit over its weekly cap)
    held = "held"
    #: went out inside a digest message (``digest_id``), not on its own
    folded = "folded"


class Channel(enum.Enum):
    """How a row travels: email to a person, or a unit's group robot or phone."""

    email = "email"
    #: 企业微信 group robot webhook
    wecom = "wecom"
    #: 钉钉 group robot webhook (optionally signed)
    dingtalk = "dingtalk"
    #: a generic SMS gateway over HTTP
    sms = "sms"


class OutboxEmail(db.Model):
    """One email, written in the transaction of the change that causes it."""

    __tablename__ = "outbox_email"
    __table_args__ = (sa.Index("ix_outbox_email_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: names the fact, e.g. "task-due:42:2026-06-30:3:user-7"; a second insert is a no-op
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    cc_addrs: Mapped[list] = mapped_column(sa.JSON, default=list)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    #: why it was sent, in words, e.g. "截止前3天提醒"
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[str] = mapped_column(sa.String(40), default="")
    #: [{"filename", "content_type", "path"}] relative to the instance folder
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    related_type: Mapped[str | None] = mapped_column(sa.String(32))
    related_id: Mapped[int | None]
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.email,
                                             server_default=Channel.email.value)
    #: the unit whose robot or phone a channel row goes to; for email, the unit of the task it is about
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    #: the fact without its recipient ("task-overdue:42:2026-06-30:1"): what the weekly cap counts
    fact_key: Mapped[str | None] = mapped_column(sa.String(200))
    #: a held row is folded into a digest from this instant on
    hold_until: Mapped[datetime | None]
    #: the digest a folded row went out in
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_email.id", ondelete="SET NULL"))

    recipient = relationship("User")

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.status.value} {self.dedupe_key}>"


class Notification(db.Model):
    """An in-app notice for one user (the bell), written beside the email."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(300))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user = relationship("User")


class AppMeta(db.Model):
    """Facts about this installation: when it was installed, when each scheduled job last ran."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))


class SchedulerLease(db.Model):
    """Which scheduler process may run sweeps; several processes, one holder at a time."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(100))
    expires_at: Mapped[datetime]
