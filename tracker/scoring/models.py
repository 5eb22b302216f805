"""Scoring rules as versioned data, and published score snapshots; neither row ever changes."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tracker.db import db, utcnow
from tracker.errors import Conflict


class RuleSet(db.Model):
    """One version of the rules of a scope: a year ("year:2026") or a plan ("plan:12").

    Saving rules adds the next version; a published snapshot names the version it used.
    """

    __tablename__ = "score_rule_set"
    __table_args__ = (sa.UniqueConstraint("scope", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(40))
    #: the plan of a plan scope (its supervisor edits the rules)
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int]
    #: the score a unit starts from before the rules add and deduct
    base: Mapped[float] = mapped_column(sa.Float, default=0.0)
    #: [{"kind": "returned", "points": 2, "cap": 10}, …] as checked by tracker.scoring.rules
    rules: Mapped[list] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User")
    plan = relationship("Plan")

    def __repr__(self) -> str:
        return f"<RuleSet {self.id} {self.scope} v{self.version}>"


class ScoreSnapshot(db.Model):
    """Scores of one period as published: numbered per year, dated, frozen with every point's event."""

    __tablename__ = "score_snapshot"
    __table_args__ = (sa.UniqueConstraint("year", "serial"), sa.Index("ix_score_snapshot_period", "period_key", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    serial: Mapped[int]
    scope: Mapped[str] = mapped_column(sa.String(40))
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan.id", ondelete="RESTRICT"), index=True)
    period_key: Mapped[str] = mapped_column(sa.String(30))
    period_start: Mapped[date]
    period_end: Mapped[date]
    #: the day the facts were read up to: the period's end, or the publishing day if earlier
    as_of: Mapped[date]
    rule_set_id: Mapped[int] = mapped_column(sa.ForeignKey("score_rule_set.id", ondelete="RESTRICT"))
    published_on: Mapped[date]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: {"units": [{unit_id, unit_name, rank, total, rules: {kind: {sum, counted}}, points: [...]}]}
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    rule_set = relationship("RuleSet")
    published_by = relationship("User")

    @property
    def number_label(self) -> str:
        return f"{self.year}年第{self.serial}号"

    def __repr__(self) -> str:
        return f"<ScoreSnapshot {self.id} {self.year}-{self.serial} {self.period_key}>"


class ScoreSnapshotLine(db.Model):
    """A unit's rank and total in a snapshot: what the 通报 and the access rules read without the JSON."""

    __tablename__ = "score_snapshot_line"
    __table_args__ = (sa.UniqueConstraint("snapshot_id", "unit_id"), sa.Index("ix_score_snapshot_line_unit",
                                                                              "unit_id", "snapshot_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("score_snapshot.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"))
    rank: Mapped[int]
    total: Mapped[float] = mapped_column(sa.Float)


class FrozenRecord(Conflict):
    """A published snapshot or a saved rule version was to be changed; the message is for the user."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    """Snapshots and rule versions are written once: an update or a delete is refused before SQL runs."""
    from flask_babel import gettext as _

    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ScoreSnapshot | ScoreSnapshotLine) and (obj in session.deleted or session.is_modified(obj)):
            raise FrozenRecord(_("已发布的评分结果不能修改或删除；如需更正，请按新规则重新发布一期。"))
        if isinstance(obj, RuleSet) and (obj in session.deleted or session.is_modified(obj)):
            raise FrozenRecord(_("已保存的评分规则版本不能修改；保存修改会生成新版本。"))
