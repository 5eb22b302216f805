"""Plans and their measures, as saved after the supervisor reviewed the outline."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, db, str_enum


class PlanState(enum.Enum):
    draft = "draft"
    active = "active"
    archived = "archived"


class MeasureKind(enum.Enum):
    measure = "measure"
    heading = "heading"


_DECIMAL_NUMBER = re.compile(r"\d+(?:\.\d+)+")


def number_label(number: str) -> str:
    """A measure number with its official punctuation: 一、 （一） 1. （1） ① 一是，"""
    if not number:
        return ""
    if number[-1:] in "）)、.．" or number[:1] in "（(" or "\u2460" <= number[:1] <= "\u2473":
        return number
    if number.isdigit():
        return f"{number}."
    if _DECIMAL_NUMBER.fullmatch(number):
        return f"{number} "
    if number.endswith("是") or (number.startswith("第") and len(number) <= 4 and number[-1:] not in "条章节部分"):
        return f"{number}，"
    if number.startswith("第"):
        return f"{number} "
    return f"{number}、"


class Plan(TimestampMixin, db.Model):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    issuer: Mapped[str | None] = mapped_column(sa.String(200))
    #: 文号, e.g. 京政办发〔2024〕3号
    doc_number: Mapped[str | None] = mapped_column(sa.String(100))
    issued_on: Mapped[date | None]
    state: Mapped[PlanState] = mapped_column(str_enum(PlanState), default=PlanState.draft, index=True)
    supervisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    source_text: Mapped[str] = mapped_column(sa.Text, default="")
    #: the uploaded file as the user sent it, kept under instance/plans/
    source_filename: Mapped[str | None] = mapped_column(sa.String(255))
    source_stored_name: Mapped[str | None] = mapped_column(sa.String(64))
    source_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    is_deleted: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]

    supervisor = relationship("User")
    measures = relationship(
        "Measure", back_populates="plan", order_by="Measure.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Plan {self.id} {self.title!r} {self.state.value}>"


class Measure(db.Model):
    __tablename__ = "measure"
    __table_args__ = (sa.Index("ix_measure_plan_position", "plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("measure.id", ondelete="CASCADE"), index=True)
    #: document order within the plan
    position: Mapped[int]
    level: Mapped[int] = mapped_column(default=1)
    #: the number as written: 一, （一）, 1, ①, 一是
    number: Mapped[str] = mapped_column(sa.String(20), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[MeasureKind] = mapped_column(str_enum(MeasureKind), default=MeasureKind.measure)
    is_inline: Mapped[bool] = mapped_column(default=False)
    #: the parser's suggestions for assignment (units, deadline, period, quantities)
    suggestions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    source_start_line: Mapped[int | None]
    source_end_line: Mapped[int | None]

    plan = relationship("Plan", back_populates="measures")
    parent = relationship("Measure", remote_side=[id])

    def __repr__(self) -> str:
        return f"<Measure {self.id} plan={self.plan_id} {self.number} level={self.level}>"

    @property
    def label(self) -> str:
        """Number and text as a person quotes them: （一）加强组织领导, 1.成立专班."""
        return f"{number_label(self.number)}{self.text}"
