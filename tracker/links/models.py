"""A one-task link is a random token whose sha256 is stored, bound to a task and an address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import db, utcnow


class TaskLink(db.Model):
    __tablename__ = "task_link"
    __table_args__ = (sa.Index("ix_task_link_task_email", "task_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))
    #: the recipient the link was emailed to; every action through it is recorded under it
    email: Mapped[str] = mapped_column(sa.String(254))
    #: sha256 of the token, hex; the token itself is only ever in the email
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    #: why: "supervisor", "assigned", "reassigned", "cancelled"
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(20))
    last_used_at: Mapped[datetime | None]

    task = relationship("Task")

    def __repr__(self) -> str:
        return f"<TaskLink {self.id} task={self.task_id} {self.email}>"

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def chat_address(unit: Any) -> str:
    """The address a link in a unit's group-robot or SMS message is bound to: the unit's own chat,
    never an email address (it holds no @), recorded as such on every action through it."""
    return f"群消息/短信：{unit.name}"


@dataclass
class LinkGrant:
    """Who acts through a link: not a user, only the right to work on one task.

    Services take it as their ``actor``; ``tracker.access`` lets it work on its task alone, and
    the audit records it as no user, with the address it was sent to.
    """

    link_id: int
    task_id: int
    email: str
    id: None = None
    is_authenticated: bool = False
    audit_data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.audit_data = {"via": "link", "email": self.email}

    @property
    def name(self) -> str:
        return self.email
