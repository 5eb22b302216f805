"""督办单: the formal, numbered supervision notice a unit receives each half year."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import db, str_enum, utcnow


class NoticeKind(enum.Enum):
    #: 督办单, one per unit per period
    supervision = "supervision"
    #: 催办单, for one task, on demand
    chase = "chase"


class SupervisionNotice(db.Model):
    __tablename__ = "supervision_notice"
    __table_args__ = (
        sa.UniqueConstraint("year", "serial"),
        # one 督办单 per unit per period; chase notices carry a task id in period_key
        sa.UniqueConstraint("unit_id", "kind", "period_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind), default=NoticeKind.supervision)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    #: "2026-H1" for a 督办单; "task-42-2026-03-01" for a 催办单
    period_key: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    #: N in 督办〔2026〕第N号, without gaps or repeats within a year
    serial: Mapped[int]
    issued_on: Mapped[date]
    reply_by: Mapped[date]
    requirements: Mapped[str] = mapped_column(sa.Text, default="")
    issuer_name: Mapped[str] = mapped_column(sa.String(100), default="")
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit = relationship("Unit")
    items = relationship("NoticeItem", back_populates="notice", order_by="NoticeItem.position",
                         cascade="all, delete-orphan")

    @property
    def number_label(self) -> str:
        prefix = "督办" if self.kind is NoticeKind.supervision else "催办"
        return f"{prefix}〔{self.year}〕第{self.serial}号"


class NoticeItem(db.Model):
    """One task listed on a notice, frozen as it stood when the notice was issued."""

    __tablename__ = "notice_item"
    __table_args__ = (sa.UniqueConstraint("notice_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_notice.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    #: what the notice showed: measure number/text, plan, owner, deadlines, state, light, last progress
    snapshot: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    answered_at: Mapped[datetime | None]

    notice = relationship("SupervisionNotice", back_populates="items")
    task = relationship("Task")


class NoticeCounter(db.Model):
    """The last serial used per year; incremented under a row lock so numbers never repeat."""

    __tablename__ = "notice_counter"

    year: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)
