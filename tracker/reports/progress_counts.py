"""Progress classes (序时进度) counted by unit and by plan, for the dashboard and the 通报: one
grouped query each, over the tasks the user sees, with the class computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from tracker import timeutil
from tracker.extensions import db
from tracker.plans.models import Plan
from tracker.reports.queries import visible_condition
from tracker.tasks.models import Task, TaskState
from tracker.tasks.progress import AHEAD, BEHIND, CLASSES, DONE, ON_PACE, progress_expression
from tracker.units.models import Unit


@dataclass
class ProgressLine:
    """One unit's or plan's tasks by class."""

    id: int
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))

    @property
    def ahead(self) -> int:
        return self.counts[AHEAD]

    @property
    def on_pace(self) -> int:
        return self.counts[ON_PACE]

    @property
    def behind(self) -> int:
        return self.counts[BEHIND]

    @property
    def done(self) -> int:
        return self.counts[DONE]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ProgressTally:
    units: list[ProgressLine]
    plans: list[ProgressLine]


def _lines(rows: list[Any]) -> list[ProgressLine]:
    lines: dict[int, ProgressLine] = {}
    for key, name, klass, count in rows:
        if klass in CLASSES:
            lines.setdefault(key, ProgressLine(key, name)).counts[klass] += count
    return list(lines.values())


def progress_tally(user: Any, now: datetime, plan_id: int | None = None) -> ProgressTally:
    """Every live task (cancelled ones have no class) by unit and by plan, as of today."""
    today = timeutil.local_today(now)
    klass = progress_expression(today).label("klass")
    conditions = [visible_condition(user), Task.state != TaskState.cancelled]
    if plan_id is not None:
        conditions.append(Task.plan_id == plan_id)
    counted = sa.select(Task.unit_id, Task.plan_id, klass, sa.func.count().label("n")).where(*conditions) \
        .group_by(Task.unit_id, Task.plan_id, klass).subquery()
    by_unit = db.session.execute(
        sa.select(Unit.id, Unit.name, counted.c.klass, sa.func.sum(counted.c.n))
        .join(counted, counted.c.unit_id == Unit.id)
        .group_by(Unit.id, Unit.name, counted.c.klass).order_by(Unit.sort_order, Unit.id)).all()
    by_plan = db.session.execute(
        sa.select(Plan.id, Plan.title, counted.c.klass, sa.func.sum(counted.c.n))
        .join(counted, counted.c.plan_id == Plan.id)
        .group_by(Plan.id, Plan.title, counted.c.klass).order_by(Plan.id)).all()
    return ProgressTally(_lines(by_unit), _lines(by_plan))


def progress_by_unit(user: Any, start: date, as_of: date) -> list[ProgressLine]:
    """For a 通报 of a period: the tasks given out by its end (as of ``as_of``) that are open, or
    were accepted within it, by unit."""
    klass = progress_expression(as_of).label("klass")
    start_utc = datetime.combine(start, datetime.min.time(), tzinfo=timeutil.local_tz())
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, klass, sa.func.count())
        .join(Unit, Unit.id == Task.unit_id)
        .where(visible_condition(user), Task.state != TaskState.cancelled, Task.assigned_on <= as_of,
               sa.or_(Task.state != TaskState.completed, Task.completed_at >= start_utc))
        .group_by(Unit.id, Unit.name, klass).order_by(Unit.sort_order, Unit.id)).all()
    return _lines(rows)
