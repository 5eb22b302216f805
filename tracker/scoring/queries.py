"""The facts a score is computed from, read in a few grouped queries: the audit trail (办结, 退回,
督办单 issued), the tasks' deadlines and the periodic reports filed.

Each fact carries the audit entry or task it comes from, so every point can be traced. The
audit reads go through ``ix_audit_entry_action`` (action, object type, object id, id, at): a range
of one action, never a scan of the whole trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from tracker import access, periods, timeutil
from tracker.audit import AuditEntry
from tracker.extensions import db
from tracker.notices.models import NoticeItem, NoticeKind, SupervisionNotice
from tracker.plans.models import Plan
from tracker.scoring.models import ScoreSnapshot, ScoreSnapshotLine
from tracker.tasks.models import ProgressReport, ReportingPeriod, Task, TaskState
from tracker.units.models import Unit


@dataclass(slots=True)
class DueTask:
    """A task whose original deadline falls in the period."""

    id: int
    unit_id: int
    original_due_on: date
    #: the local day it was accepted (办结), if by ``as_of``
    done_on: date | None
    #: the audit entry of that acceptance
    entry_id: int | None


@dataclass(slots=True)
class ReturnEvent:
    entry_id: int
    task_id: int
    unit_id: int
    on: date


@dataclass(slots=True)
class MissingReport:
    task_id: int
    unit_id: int
    period_key: str
    #: the last day of the period not reported on
    on: date


@dataclass(slots=True)
class LateAnswer:
    """A task listed on a 督办单 and not answered by its reply date."""

    task_id: int
    unit_id: int
    notice_id: int
    notice_label: str
    reply_by: date
    #: the notice's "notice.issued" audit entry
    entry_id: int | None


@dataclass
class Facts:
    period_key: str
    start: date
    end: date
    as_of: date
    due: list[DueTask] = field(default_factory=list)
    returns: list[ReturnEvent] = field(default_factory=list)
    missing: list[MissingReport] = field(default_factory=list)
    late_answers: list[LateAnswer] = field(default_factory=list)
    units: dict[int, str] = field(default_factory=dict)


def scope_condition(scope: str) -> sa.ColumnElement[bool]:
    """The tasks a scope scores: a plan's, or every live plan's (a year). A score is a fact about the
    unit, the same whoever looks; who may look is ``tracker.access``'s business."""
    live = Task.plan_id.in_(sa.select(Plan.id).where(Plan.is_deleted.is_(False)).scalar_subquery())
    kind, _sep, value = scope.partition(":")
    if kind == "plan":
        return sa.and_(live, Task.plan_id == int(value))
    return live


def _offset(now: datetime) -> timedelta:
    return timeutil.to_local(now).utcoffset() or timedelta(0)


def _day_start_utc(day: date, offset: timedelta) -> datetime:
    from datetime import UTC

    return datetime(day.year, day.month, day.day, tzinfo=UTC) - offset


def load_facts(scope: str, period_key: str, start: date, end: date, now: datetime) -> Facts:
    """Everything the rules read for one scope and period, as of the period's end or today."""
    today = timeutil.local_today(now)
    as_of = min(today, end)
    facts = Facts(period_key, start, end, as_of)
    offset = _offset(now)
    in_scope = scope_condition(scope)
    after_as_of = _day_start_utc(as_of + timedelta(days=1), offset)

    # tasks due in the period, and the acceptance (办结) event of each
    due_rows = db.session.execute(
        sa.select(Task.id, Task.unit_id, Task.original_due_on, Task.state, Task.completed_at)
        .where(in_scope, Task.state != TaskState.cancelled, Task.original_due_on >= start,
               Task.original_due_on <= end)
    ).all()
    due_ids = sa.select(Task.id).where(in_scope, Task.state != TaskState.cancelled, Task.original_due_on >= start,
                                       Task.original_due_on <= end).scalar_subquery()
    approvals: dict[int, tuple[int, datetime]] = {}
    for task_id, entry_id, at in db.session.execute(
        sa.select(AuditEntry.object_id, AuditEntry.id, AuditEntry.at)
        .where(AuditEntry.action == "task.approved", AuditEntry.object_type == "task",
               AuditEntry.object_id.in_(due_ids), AuditEntry.at < after_as_of)
        .order_by(AuditEntry.id)
    ):
        approvals[task_id] = (entry_id, at)
    for task_id, unit_id, original_due_on, state, completed_at in due_rows:
        found = approvals.get(task_id) if state is TaskState.completed else None
        if found is not None:
            facts.due.append(DueTask(task_id, unit_id, original_due_on, (found[1] + offset).date(), found[0]))
        elif state is TaskState.completed and completed_at is not None and completed_at < after_as_of:
            # accepted before the audit trail kept it (imported data): the task's own record
            facts.due.append(DueTask(task_id, unit_id, original_due_on, (completed_at + offset).date(), None))
        else:
            facts.due.append(DueTask(task_id, unit_id, original_due_on, None, None))

    # returns (退回) in the period
    for entry_id, task_id, at, unit_id in db.session.execute(
        sa.select(AuditEntry.id, AuditEntry.object_id, AuditEntry.at, Task.unit_id)
        .join(Task, Task.id == AuditEntry.object_id)
        .where(AuditEntry.action == "task.returned", AuditEntry.object_type == "task",
               AuditEntry.at >= _day_start_utc(start, offset), AuditEntry.at < after_as_of, in_scope)
        .order_by(AuditEntry.id)
    ):
        facts.returns.append(ReturnEvent(entry_id, task_id, unit_id, (at + offset).date()))

    facts.missing = _missing_reports(in_scope, start, as_of, offset)
    facts.late_answers = _late_answers(in_scope, start, as_of, offset)

    unit_ids = {t.unit_id for t in facts.due} | {e.unit_id for e in facts.returns}
    unit_ids |= {m.unit_id for m in facts.missing} | {n.unit_id for n in facts.late_answers}
    if unit_ids:
        facts.units = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(sorted(unit_ids)))).all())
    return facts


def report_grace_days() -> int:
    return int(current_app.config.get("REPORT_GRACE_DAYS", 5))


def _missing_reports(in_scope: Any, start: date, as_of: date, offset: timedelta) -> list[MissingReport]:
    """Periods that ended in [start, as_of) more than the grace days ago, between the task's
    assignment and its deadline (or acceptance), with no report for that period."""
    grace = report_grace_days()
    periodic = sa.and_(in_scope, Task.state != TaskState.cancelled, Task.reporting_period != ReportingPeriod.once,
                       Task.assigned_on <= as_of, Task.due_on >= start - timedelta(days=366))
    rows = db.session.execute(
        sa.select(Task.id, Task.unit_id, Task.reporting_period, Task.assigned_on, Task.due_on, Task.completed_at)
        .where(periodic)
    ).all()
    if not rows:
        return []
    filed: set[tuple[int, str]] = {(task_id, key) for task_id, key in db.session.execute(
        sa.select(ProgressReport.task_id, ProgressReport.period_key)
        .where(ProgressReport.task_id.in_(sa.select(Task.id).where(periodic).scalar_subquery()),
               ProgressReport.period_key.is_not(None))
    )}
    missing: list[MissingReport] = []
    for task_id, unit_id, period, assigned_on, due_on, completed_at in rows:
        stop = as_of if completed_at is None else min(as_of, (completed_at + offset).date())
        day = assigned_on
        while day <= due_on:
            key, _first, last = periods.bounds(day, period.value)  # type: ignore[misc]
            if last + timedelta(days=grace) >= stop:
                break
            if last >= start and (task_id, key) not in filed:
                missing.append(MissingReport(task_id, unit_id, key, last))
            day = last + timedelta(days=1)
    return missing


def _late_answers(in_scope: Any, start: date, as_of: date, offset: timedelta) -> list[LateAnswer]:
    rows = db.session.execute(
        sa.select(NoticeItem.task_id, Task.unit_id, SupervisionNotice.id, SupervisionNotice.doc_code,
                  SupervisionNotice.year, SupervisionNotice.serial, SupervisionNotice.reply_by, NoticeItem.answered_at)
        .join(SupervisionNotice, SupervisionNotice.id == NoticeItem.notice_id)
        .join(Task, Task.id == NoticeItem.task_id)
        .where(SupervisionNotice.kind == NoticeKind.supervision, SupervisionNotice.reply_by >= start,
               SupervisionNotice.reply_by < as_of, Task.state != TaskState.cancelled, in_scope)
        .order_by(SupervisionNotice.id, NoticeItem.position)
    ).all()
    late = [r for r in rows if r.answered_at is None or (r.answered_at + offset).date() > r.reply_by]
    if not late:
        return []
    notice_ids = sorted({r.id for r in late})
    issued = dict(db.session.execute(
        sa.select(AuditEntry.object_id, sa.func.max(AuditEntry.id))
        .where(AuditEntry.action == "notice.issued", AuditEntry.object_type == "supervision_notice",
               AuditEntry.object_id.in_(notice_ids))
        .group_by(AuditEntry.object_id)).all())
    return [LateAnswer(r.task_id, r.unit_id, r.id, f"{r.doc_code}〔{r.year}〕{r.serial}号", r.reply_by,
                       issued.get(r.id)) for r in late]


def latest_snapshot(user: Any, period_key: str) -> ScoreSnapshot | None:
    """The latest published snapshot of a period that ``user`` may see (year scopes first): what a
    通报 of that period ranks by."""
    return db.session.scalar(sa.select(ScoreSnapshot)
                             .where(ScoreSnapshot.period_key == period_key, access.snapshot_condition(user))
                             .order_by(ScoreSnapshot.plan_id.is_not(None), ScoreSnapshot.id.desc()).limit(1))


def snapshot_lines(snapshot: ScoreSnapshot) -> dict[int, ScoreSnapshotLine]:
    return {line.unit_id: line for line in db.session.scalars(
        sa.select(ScoreSnapshotLine).where(ScoreSnapshotLine.snapshot_id == snapshot.id))}


def unit_snapshots(user: Any, unit_id: int, limit: int = 20) -> list[sa.Row]:
    """The published snapshots that score a unit, with its rank and total in each, newest first."""
    return list(db.session.execute(
        sa.select(ScoreSnapshot, ScoreSnapshotLine.rank, ScoreSnapshotLine.total)
        .join(ScoreSnapshotLine, ScoreSnapshotLine.snapshot_id == ScoreSnapshot.id)
        .where(ScoreSnapshotLine.unit_id == unit_id, access.snapshot_condition(user))
        .order_by(ScoreSnapshot.id.desc()).limit(limit)).all())
