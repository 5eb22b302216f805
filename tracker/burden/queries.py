"""Reading for the burden view and the report quality flags: what a unit was asked, what it filed,
and which of its reports or files a reviewer should look at twice.

Everything is read through ``tracker.access``'s SQL conditions, so a supervisor counts and compares
only what they may see.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from tracker import access, periods
from tracker.burden import quality
from tracker.extensions import db
from tracker.tasks.models import Evidence, ProgressReport, ReportingPeriod, Task
from tracker.units.models import Unit

#: the most recent reports of the plans concerned that one check compares against
CANDIDATES = 5000
#: the two kinds of flag: the unit repeats itself on the task, or repeats another unit
SAME_TASK, OTHER_UNIT = "same_task", "other_unit"


@dataclass(frozen=True)
class ReportFlag:
    """A report that is almost word for word an earlier one: both texts, for side by side."""

    report_id: int
    task_id: int
    text: str
    kind: str
    score: float
    other_id: int
    other_task_id: int
    other_text: str
    other_unit: str
    other_at: datetime

    @property
    def percent(self) -> int:
        return int(self.score * 100)


@dataclass(frozen=True)
class _Row:
    id: int
    task_id: int
    unit_id: int
    plan_id: int
    text: str
    created_at: datetime
    unit_name: str
    compared: quality.Text


def _rows(user: object, plan_ids: set[int]) -> list[_Row]:
    statement = (sa.select(ProgressReport.id, ProgressReport.task_id, Task.unit_id, Task.plan_id, ProgressReport.text,
                           ProgressReport.created_at, Unit.name)
                 .join(Task, Task.id == ProgressReport.task_id).join(Unit, Unit.id == Task.unit_id)
                 .where(Task.plan_id.in_(sorted(plan_ids)), access.task_condition(user))
                 .order_by(ProgressReport.id.desc()).limit(CANDIDATES))
    return [_Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], quality.Text.of(r[0], r[4]))
            for r in db.session.execute(statement)]


def report_flags(tasks: Sequence[Task], user: object, *, latest_only: bool = False) -> dict[int, list[ReportFlag]]:
    """The near-copies among the reports of ``tasks``, by task id, newest report first.

    A report is compared with the earlier reports of its own task and the earlier reports of other
    units on the same plan (which holds every task of the same measure), among the ``CANDIDATES``
    most recent; the later of two alike reports is the one flagged. ``latest_only``: each task's
    newest report only (the review queue).
    """
    if not tasks:
        return {}
    rows = _rows(user, {t.plan_id for t in tasks})
    task_ids = {t.id for t in tasks}
    # candidates sorted by folded length: the length guard becomes a range
    by_length = sorted(rows, key=lambda r: len(r.compared.folded))
    lengths = [len(r.compared.folded) for r in by_length]
    flags: dict[int, list[ReportFlag]] = {}
    seen_tasks: set[int] = set()
    for row in rows:  # newest first
        if row.task_id not in task_ids or (latest_only and row.task_id in seen_tasks):
            continue
        seen_tasks.add(row.task_id)
        size = len(row.compared.folded)
        if size < quality.MIN_CHARS:
            continue
        low = bisect.bisect_left(lengths, size * quality.LENGTH_FLOOR)
        high = bisect.bisect_right(lengths, size / quality.LENGTH_FLOOR)
        candidates = {r.id: r for r in by_length[low:high]
                      if r.id < row.id and r.plan_id == row.plan_id
                      and (r.task_id == row.task_id or r.unit_id != row.unit_id)}
        found = quality.best_match(row.compared, (r.compared for r in candidates.values()))
        if found is None:
            continue
        other = candidates[found[0].key]  # type: ignore[index]
        flags.setdefault(row.task_id, []).append(ReportFlag(
            report_id=row.id, task_id=row.task_id, text=row.text,
            kind=SAME_TASK if other.task_id == row.task_id else OTHER_UNIT, score=found[1],
            other_id=other.id, other_task_id=other.task_id, other_text=other.text, other_unit=other.unit_name,
            other_at=other.created_at))
    return flags


def task_window(task: Task) -> tuple[date, date]:
    """The days a task's evidence may speak of: from the start of the period it was assigned in (the
    day of assignment for a one-off task) to its deadline in force."""
    found = periods.bounds(task.assigned_on, task.reporting_period.value)
    first = found[1] if found is not None and task.reporting_period is not ReportingPeriod.once else task.assigned_on
    return first, max(task.due_on, task.original_due_on)


def evidence_flags(task: Task, items: Sequence[Evidence]) -> dict[int, str]:
    """The files whose stated period lies outside the task's reporting period, by id, with the key
    read: a file sent with a periodic report must speak of that report's period; any other file of
    the task's span."""
    window = task_window(task)
    flagged: dict[int, str] = {}
    for item in items:
        key = quality.evidence_period_key(item)
        report = item.report
        expected = window
        if report is not None and report.period_key:
            expected = quality.key_bounds(report.period_key) or window
        if quality.outside(key, expected):
            flagged[item.id] = key or ""
    return flagged
