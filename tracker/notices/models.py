"""督办单: the formal, numbered supervision notice a unit receives each half year, its 补发督办单 for
tasks assigned later, the 催办单 for one task; and the number series of every issued document."""

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


#: number series: 督办单 and 补发督办单 share one, 催办单 and 通报 have their own
SERIES_SUPERVISION, SERIES_CHASE, SERIES_BULLETIN = "supervision", "chase", "bulletin"


class SupervisionNotice(db.Model):
    __tablename__ = "supervision_notice"
    __table_args__ = (
        sa.UniqueConstraint("series", "year", "serial"),
        # one 督办单 per unit per period; chase notices carry a task id in period_key
        sa.UniqueConstraint("unit_id", "kind", "period_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind), default=NoticeKind.supervision)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    #: "2026-H1" for a 督办单; "2026-H1+2" for its second 补发督办单; "task-42-2026-03-01" for a 催办单
    period_key: Mapped[str] = mapped_column(sa.String(40))
    #: the number series (SERIES_SUPERVISION for 督办单 and 补发督办单, SERIES_CHASE for 催办单)
    series: Mapped[str] = mapped_column(sa.String(20), default=SERIES_SUPERVISION)
    #: 机关代字 as configured when the notice was issued
    doc_code: Mapped[str] = mapped_column(sa.String(40), default="督办")
    year: Mapped[int]
    #: N in 督办〔2026〕N号, without gaps or repeats within a series and year
    serial: Mapped[int]
    #: a 补发督办单 names the period's 督办单 it completes
    supplement_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("supervision_notice.id", ondelete="SET NULL"))
    issued_on: Mapped[date]
    reply_by: Mapped[date]
    requirements: Mapped[str] = mapped_column(sa.Text, default="")
    issuer_name: Mapped[str] = mapped_column(sa.String(100), default="")
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit = relationship("Unit")
    items = relationship("NoticeItem", back_populates="notice", order_by="NoticeItem.position",
                         cascade="all, delete-orphan")

    supplement_to = relationship("SupervisionNotice", remote_side=[id])

    @property
    def number_label(self) -> str:
        """机关代字〔2026〕N号 (GB/T 9704 §7.2.4): no 第, no leading zeros."""
        return f"{self.doc_code}〔{self.year}〕{self.serial}号"

    @property
    def is_supplement(self) -> bool:
        return self.supplement_to_id is not None or "+" in (self.period_key or "")

    @property
    def title_label(self) -> str:
        if self.kind is NoticeKind.chase:
            return "催办单"
        return "补发督办单" if self.is_supplement else "督办单"


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


class DocumentCounter(db.Model):
    """The last serial used per series and year; incremented under a row lock so numbers never
    repeat, and rolled back with a failed issue so they never skip."""

    __tablename__ = "document_counter"

    series: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)


class IssuedDocument(db.Model):
    """A numbered document that is not a notice (the 通报): its number, once per key (a period)."""

    __tablename__ = "issued_document"
    __table_args__ = (sa.UniqueConstraint("series", "key"), sa.UniqueConstraint("series", "year", "serial"))

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(60))
    doc_code: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    serial: Mapped[int]
    issued_on: Mapped[date]
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def number_label(self) -> str:
        return f"{self.doc_code}〔{self.year}〕{self.serial}号"
