"""The facts a score is computed from, read in a few grouped queries: the audit trail (办结, 退回,
督办单 issued), the tasks' deadlines and the periodic reports filed.

Each fact carries the audit entry or task it comes from, so every point can be traced. The
audit reads go through ``ix_audit_entry_action`` (action, object type, object id, id, at): a range
of one action, never a scan of the whole trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from tracker import access, periods, timeutil
from tracker.audit import AuditEntry
from tracker.extensions import db
from tracker.notices.models import NoticeItem, NoticeKind, SupervisionNotice
from tracker.notify import workdays
from tracker.plans.models import Plan
from tracker.scoring.models import ScoreSnapshot, ScoreSnapshotLine
from tracker.tasks.models import AckVia, ProgressReport, RefusalState, ReportingPeriod, Task, TaskRefusal, TaskState
from tracker.units.models import Unit


class DueTask(NamedTuple):
    """A task whose original deadline falls in the period; days are ordinals (``date.toordinal``),
    read as whole numbers from SQL so a year of tasks needs no date parsing."""

    id: int
    unit_id: int
    #: the original deadline
    due: int
    #: the local day it was accepted (办结), if by ``as_of``
    done: int | None
    #: the audit entry of that acceptance
    entry_id: int | None


class ReturnEvent(NamedTuple):
    entry_id: int
    task_id: int
    unit_id: int
    on: date


class MissingReport(NamedTuple):
    task_id: int
    unit_id: int
    period_key: str
    #: the last day of the period not reported on
    on: date


class LateAnswer(NamedTuple):
    """A task listed on a 督办单 and not answered by its reply date."""

    task_id: int
    unit_id: int
    notice_id: int
    notice_label: str
    reply_by: date
    #: the notice's "notice.issued" audit entry
    entry_id: int | None


class AckTask(NamedTuple):
    """A task handed over (交办) in the period and acknowledged (签收) after 签收 existed, or not yet;
    days are ordinals."""

    id: int
    unit_id: int
    #: the local day it was handed over
    handed: int
    #: the local day it was acknowledged, if by ``as_of``
    acked: int | None
    #: the hand-over's audit entry ("task.reopened", else the first "task.assigned")
    handed_entry_id: int | None
    #: the latest "task.acknowledged" entry, if acknowledged by ``as_of``
    acked_entry_id: int | None


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
    acks: list[AckTask] = field(default_factory=list)
    units: dict[int, str] = field(default_factory=dict)

    @property
    def as_of_day(self) -> int:
        return self.as_of.toordinal()


class day_ordinal(FunctionElement):
    """The local calendar day of a timestamp (shifted by ``minutes``) or of a date, as
    ``date.toordinal()`` counts it: a whole number the rules compare and subtract directly."""

    type = sa.Integer()
    inherit_cache = True


@compiles(day_ordinal)
def _day_ordinal_sqlite(element, compiler, **kw):
    column, minutes = list(element.clauses)
    return (f"CAST(julianday({compiler.process(column, **kw)}, {compiler.process(minutes, **kw)}) "
            f"- 1721424.5 AS INTEGER)")


@compiles(day_ordinal, "postgresql")
def _day_ordinal_pg(element, compiler, **kw):
    column, minutes = list(element.clauses)
    return (f"(CAST({compiler.process(column, **kw)} + make_interval(mins => {compiler.process(minutes, **kw)}) "
            f"AS DATE) - DATE '0001-01-01' + 1)")


def ordinal_of(column: Any, now: datetime | None = None) -> ColumnElement[int]:
    """``day_ordinal`` of a UTC timestamp column in local time at ``now``, or of a date column."""
    minutes = 0
    if now is not None:
        offset = timeutil.to_local(now).utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
    if db.engine.dialect.name == "sqlite":
        return day_ordinal(column, sa.literal_column(f"'{minutes:+d} minutes'"))
    return day_ordinal(column, sa.literal_column(str(minutes)))


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


def _due_select(in_scope: Any, start: date, end: date, as_of: date, now: datetime) -> sa.Select:
    """Tasks whose original deadline falls in the period, each with the local day it was accepted
    (办结) by ``as_of`` and that acceptance's audit entry: the latest "task.approved" (the workflow
    accepts a task once; completed is final), or, for a task accepted before the audit trail kept
    it (imported data), the task's own record. Both score paths read this one select."""
    after_as_of = _day_start_utc(as_of + timedelta(days=1), _offset(now))
    approvals = (sa.select(AuditEntry.object_id.label("task_id"), sa.func.max(AuditEntry.id).label("entry_id"),
                           ordinal_of(sa.func.max(AuditEntry.at), now).label("done"))
                 .where(AuditEntry.action == "task.approved", AuditEntry.object_type == "task",
                        AuditEntry.at < after_as_of)
                 .group_by(AuditEntry.object_id).subquery())
    completed = Task.state == TaskState.completed
    completed_day = ordinal_of(Task.completed_at, now)
    done = sa.case((sa.not_(completed), sa.null()),
                   (approvals.c.entry_id.is_not(None), sa.type_coerce(approvals.c.done, sa.Integer)),
                   (completed_day <= as_of.toordinal(), completed_day), else_=sa.null())
    return (sa.select(Task.id.label("id"), Task.unit_id.label("unit_id"),
                      ordinal_of(Task.original_due_on).label("due"), done.label("done"),
                      sa.case((completed, approvals.c.entry_id), else_=sa.null()).label("entry_id"))
            .outerjoin(approvals, approvals.c.task_id == Task.id)
            .where(in_scope, Task.state != TaskState.cancelled, Task.original_due_on >= start,
                   Task.original_due_on <= end))


def _returns_select(in_scope: Any, start: date, as_of: date, now: datetime) -> sa.Select:
    offset = _offset(now)
    return (sa.select(AuditEntry.id.label("entry_id"), AuditEntry.object_id.label("task_id"),
                      ordinal_of(AuditEntry.at, now).label("day"), Task.unit_id.label("unit_id"))
            # "+ 0": read the range of returns from the audit index and find each task by its id,
            # not every task's returns by the object index
            .join(Task, Task.id == AuditEntry.object_id + 0)
            .where(AuditEntry.action == "task.returned", AuditEntry.object_type == "task",
                   AuditEntry.at >= _day_start_utc(start, offset),
                   AuditEntry.at < _day_start_utc(as_of + timedelta(days=1), offset), in_scope))


def _ack_select(in_scope: Any, start: date, as_of: date, now: datetime, entries: bool = True) -> sa.Select:
    """Tasks handed over (交办) from ``start`` to ``as_of``, with the local day each was acknowledged
    (签收) if by ``as_of``: the facts of 未按时签收. Both score paths read this one select.

    The hand-over day comes from the audit trail, not the task: ``Task.assigned_on`` moves to the
    签收 day when the unit acknowledges, and ``Task.created_at`` is when the row was written (not
    the services' ``now``) and stays the first day when a cancelled task is handed out again
    (重新交办, which clears its 签收). So it is the day of the task's latest
    "task.reopened" entry, else of its first "task.assigned" entry (later ones with ``updated``
    change an assignment and do not clear 签收; a task reassigned after 退回交办 is a new task with
    its own first entry), else, for a task without a trail, its ``created_at``. Tasks acknowledged
    by the backfill (already under way when 签收 came in), cancelled tasks and tasks whose 退回交办
    awaits the supervisor's decision (they cannot be acknowledged meanwhile) never count. Nor,
    scored as of an earlier day, does a task handed out again after it: 重新交办 cleared the 签收 of
    its earlier handing, and it was cancelled in between.

    Without ``entries`` (the SQL twin, which counts) the 签收 entries are not looked up.
    """
    after_as_of = _day_start_utc(as_of + timedelta(days=1), _offset(now))

    def first_or_last(action: str, last: bool) -> sa.Subquery:
        pick = sa.func.max if last else sa.func.min
        return (sa.select(AuditEntry.object_id.label("task_id"), pick(AuditEntry.id).label("entry_id"),
                          pick(AuditEntry.at).label("at"))
                .where(AuditEntry.action == action, AuditEntry.object_type == "task", AuditEntry.at < after_as_of)
                .group_by(AuditEntry.object_id).subquery())

    reopened, assigned = first_or_last("task.reopened", True), first_or_last("task.assigned", False)
    acked = first_or_last("task.acknowledged", True) if entries else None
    handed = ordinal_of(sa.func.coalesce(reopened.c.at, assigned.c.at, Task.created_at), now)
    ack_day = ordinal_of(Task.acknowledged_at, now)
    acked_by_as_of = sa.and_(Task.acknowledged_at.is_not(None), Task.acknowledged_at < after_as_of)
    pending = sa.exists().where(TaskRefusal.task_id == Task.id, TaskRefusal.state == RefusalState.pending)
    reopened_later = sa.exists().where(AuditEntry.action == "task.reopened", AuditEntry.object_type == "task",
                                       AuditEntry.object_id == Task.id, AuditEntry.at >= after_as_of)
    select = (sa.select(Task.id.label("id"), Task.unit_id.label("unit_id"), handed.label("handed"),
                        sa.case((acked_by_as_of, ack_day), else_=sa.null()).label("acked"),
                        sa.func.coalesce(reopened.c.entry_id, assigned.c.entry_id).label("handed_entry_id"),
                        sa.case((acked_by_as_of, acked.c.entry_id), else_=sa.null()).label("acked_entry_id"))
              if entries else
              sa.select(Task.unit_id.label("unit_id"), handed.label("handed"),
                        sa.func.coalesce(sa.case((acked_by_as_of, ack_day), else_=sa.null()), as_of.toordinal())
                        .label("end_day"), acked_by_as_of.label("acked")))
    select = (select.outerjoin(reopened, reopened.c.task_id == Task.id)
              .outerjoin(assigned, assigned.c.task_id == Task.id))
    if entries:
        select = select.outerjoin(acked, acked.c.task_id == Task.id)
    return (select
            .where(in_scope, Task.state != TaskState.cancelled,
                   sa.or_(Task.acknowledged_via.is_(None), Task.acknowledged_via != AckVia.backfill),
                   sa.or_(acked_by_as_of, ~pending), ~reopened_later,
                   handed >= start.toordinal(), handed <= as_of.toordinal()))


def _workday_numbers(start: date, as_of: date) -> sa.Subquery:
    """Each day from ``start`` to ``as_of`` (ordinals) with the number of working days from
    ``start`` through it (``tracker.notify.workdays``): the working days between two of these days
    are the difference of their numbers, in SQL. Unions of at most 400 days each, joined in one
    more union: SQLite takes at most 500 selects in one compound (a chosen span of dates may be
    five years)."""
    rows, number, day = [], 0, start
    while day <= as_of:
        number += workdays.is_workday(day)
        rows.append((day.toordinal(), number))
        day += timedelta(days=1)
    if not rows:
        rows.append((0, 0))
    chunks = [sa.union_all(*[sa.select(sa.literal(d, sa.Integer).label("day"),
                                       sa.literal(n, sa.Integer).label("number")) for d, n in rows[at:at + 400]])
              for at in range(0, len(rows), 400)]
    if len(chunks) == 1:
        return chunks[0].subquery("workday_numbers")
    parts = [chunk.subquery(f"workday_numbers_{i}") for i, chunk in enumerate(chunks)]
    return sa.union_all(*[sa.select(part.c.day, part.c.number) for part in parts]).subquery("workday_numbers")


def _ack_source(in_scope: Any, start: date, as_of: date, now: datetime) -> sa.Select:
    """The twin's facts of 未按时签收: each task of ``_ack_select`` with ``taken``, the working days
    after its hand-over day until its 签收, or until ``as_of`` while it is not acknowledged; whether
    acknowledged by then is ``acked``."""
    # the tasks first (a materialized CTE), then each looks its two days up: flattened, SQLite would
    # read every task once per day of the period
    tasks = _ack_select(in_scope, start, as_of, now, entries=False).cte("ack_tasks").prefix_with("MATERIALIZED")
    numbers = _workday_numbers(start, as_of)
    at_hand_over, at_end = numbers.alias("at_hand_over"), numbers.alias("at_end")
    return (sa.select(tasks.c.unit_id, tasks.c.acked, (at_end.c.number - at_hand_over.c.number).label("taken"))
            .join(at_hand_over, at_hand_over.c.day == tasks.c.handed)
            .join(at_end, at_end.c.day == tasks.c.end_day))


def _in_scope(scope: str, unit_id: int | None) -> sa.ColumnElement[bool]:
    condition = scope_condition(scope)
    return condition if unit_id is None else sa.and_(condition, Task.unit_id == unit_id)


def as_of_day(now: datetime, end: date) -> date:
    """The day facts are counted up to: the period's end, or today if it has not ended."""
    return min(timeutil.local_today(now), end)


def load_facts(scope: str, period_key: str, start: date, end: date, now: datetime,
               unit_id: int | None = None) -> Facts:
    """Everything the rules read for one scope and period (or one unit of it), as of the period's
    end or today: the facts every point is made from, with its event.

    Core queries on the session's connection (no ORM rows), local dates computed in SQL: a year
    of 100,000 tasks reads in a few grouped passes over the indexes.
    """
    as_of = as_of_day(now, end)
    facts = Facts(period_key, start, end, as_of)
    offset = _offset(now)
    in_scope = _in_scope(scope, unit_id)
    conn = db.session.connection()
    facts.due = [DueTask(*row) for row in conn.execute(_due_select(in_scope, start, end, as_of, now)).all()]
    ordinal = date.fromordinal
    facts.returns = [ReturnEvent(entry_id, task_id, unit_id, ordinal(day)) for entry_id, task_id, day, unit_id
                     in conn.execute(_returns_select(in_scope, start, as_of, now)
                                     .order_by(AuditEntry.id)).all()]
    facts.missing = _missing_reports(in_scope, start, as_of, now)
    facts.late_answers = _late_answers(in_scope, start, as_of, offset)
    facts.acks = [AckTask(*row) for row in conn.execute(_ack_select(in_scope, start, as_of, now)
                                                        .order_by(Task.id)).all()]

    unit_ids = {t.unit_id for t in facts.due} | {e.unit_id for e in facts.returns}
    unit_ids |= {m.unit_id for m in facts.missing} | {n.unit_id for n in facts.late_answers}
    unit_ids |= {a.unit_id for a in facts.acks}
    facts.units = unit_names(unit_ids)
    return facts


def unit_names(unit_ids: Any) -> dict[int, str]:
    if not unit_ids:
        return {}
    return dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(sorted(unit_ids)))).all())


# --------------------------------------------------------------------------- the same facts in SQL

def _periods_select(start: date, as_of: date, grace_days: int) -> sa.Subquery:
    """Every reporting period (kind, key, first and last day as ordinals) that ends on or after
    ``start`` and whose grace days are over before ``as_of``: the only ones a report can be missing for."""
    rows = []
    for kind in periods.PERIODIC:
        day = start
        while True:
            key, first, last = periods.bounds(day, kind)  # type: ignore[misc]
            if last.toordinal() + grace_days >= as_of.toordinal():
                break
            rows.append((kind, key, first.toordinal(), last.toordinal()))
            day = last + timedelta(days=1)
    if not rows:
        rows.append(("", "", 0, -1))
    return sa.union_all(*[sa.select(sa.literal(k, sa.String(20)).label("kind"), sa.literal(key, sa.String(20))
                                    .label("key"), sa.literal(f, sa.Integer).label("first"),
                                    sa.literal(last, sa.Integer).label("last"))
                          for k, key, f, last in rows]).subquery("report_periods")


def _missing_select(in_scope: Any, start: date, as_of: date, now: datetime) -> sa.Select:
    """The twin of ``_missing_reports``: one row per task and period not reported on. The periodic
    tasks' days are worked out once (a materialized CTE), then matched to the periods of their kind."""
    grace = report_grace_days()
    p = _periods_select(start, as_of, grace)
    t = (sa.select(Task.id.label("task_id"), Task.unit_id.label("unit_id"),
                   sa.cast(Task.reporting_period, sa.String(20)).label("kind"),
                   ordinal_of(Task.assigned_on).label("assigned"), ordinal_of(Task.due_on).label("due"),
                   ordinal_of(Task.completed_at, now).label("completed"))
         # (no "due_on >= start - 366 days" here: no period matches such a task anyway, and without
         # it SQLite reads the tasks from the covering ix_task_tally)
         .where(in_scope, Task.state != TaskState.cancelled, Task.reporting_period != ReportingPeriod.once,
                Task.assigned_on <= as_of, Task.assigned_on <= Task.due_on)
         .cte("periodic_tasks").prefix_with("MATERIALIZED"))
    return (sa.select(t.c.task_id, t.c.unit_id, p.c.key.label("period_key"), p.c.last.label("last"))
            .join(p, p.c.kind == t.c.kind)
            .where(p.c.last >= t.c.assigned, p.c.first <= t.c.due,
                   sa.or_(t.c.completed.is_(None), p.c.last + grace < t.c.completed),
                   ~sa.exists().where(ProgressReport.task_id == t.c.task_id, ProgressReport.period_key == p.c.key)))


def _late_answers_select(in_scope: Any, start: date, as_of: date, now: datetime) -> sa.Select:
    """The twin of ``_late_answers``: one row per 督办单 item not answered by its reply date."""
    return (sa.select(NoticeItem.task_id.label("task_id"), Task.unit_id.label("unit_id"))
            .join(SupervisionNotice, SupervisionNotice.id == NoticeItem.notice_id)
            .join(Task, Task.id == NoticeItem.task_id)
            .where(SupervisionNotice.kind == NoticeKind.supervision, SupervisionNotice.reply_by >= start,
                   SupervisionNotice.reply_by < as_of, Task.state != TaskState.cancelled, in_scope,
                   sa.or_(NoticeItem.answered_at.is_(None),
                          ordinal_of(NoticeItem.answered_at, now) > ordinal_of(SupervisionNotice.reply_by))))


@dataclass
class Sources:
    """The facts of a scope and period as SQL selects, one per kind of fact (the names
    ``tracker.scoring.rules.Twin.source`` uses), each with a ``unit_id`` column to group by."""

    as_of: date
    selects: dict[str, sa.Select]


def fact_sources(scope: str, start: date, end: date, now: datetime) -> Sources:
    as_of = as_of_day(now, end)
    in_scope = _in_scope(scope, None)
    return Sources(as_of, {
        "due": _due_select(in_scope, start, end, as_of, now),
        "returns": _returns_select(in_scope, start, as_of, now),
        "missing": _missing_select(in_scope, start, as_of, now),
        "late_answers": _late_answers_select(in_scope, start, as_of, now),
        "acks": _ack_source(in_scope, start, as_of, now),
    })


def grouped(select: sa.Select, column_sets: list[Any]) -> list[tuple[int, list[tuple]]]:
    """Each unit of ``select`` with, for each function in ``column_sets``, the values of the
    aggregates it gives over the select's columns ``c``: one GROUP BY pass for all of them."""
    c = select.subquery("facts").c
    sets = [list(columns(c)) for columns in column_sets]
    # grouped by an expression, not the column: SQLite then reads the tasks from the covering
    # ix_task_tally and sorts 200 groups, instead of walking ix_task_unit_due_id for the order
    # and fetching every task row
    unit = (c.unit_id + 0).label("unit_id")
    rows = db.session.connection().execute(
        sa.select(unit, *[column for columns in sets for column in columns]).group_by(unit)).all()
    result = []
    for row in rows:
        values, at = [], 1
        for columns in sets:
            values.append(tuple(row[at:at + len(columns)]))
            at += len(columns)
        result.append((row[0], values))
    return result


def report_grace_days() -> int:
    return int(current_app.config.get("REPORT_GRACE_DAYS", 5))


def _missing_reports(in_scope: Any, start: date, as_of: date, now: datetime) -> list[MissingReport]:
    """Periods that ended in [start, as_of) more than the grace days ago, between the task's
    assignment and its deadline (or acceptance), with no report for that period."""
    grace = timedelta(days=report_grace_days())
    periodic = sa.and_(in_scope, Task.state != TaskState.cancelled, Task.reporting_period != ReportingPeriod.once,
                       Task.assigned_on <= as_of, Task.due_on >= start - timedelta(days=366))
    conn = db.session.connection()
    rows = conn.execute(
        sa.select(Task.id, Task.unit_id, sa.type_coerce(Task.reporting_period, sa.String(20)),
                  ordinal_of(Task.assigned_on), ordinal_of(Task.due_on), ordinal_of(Task.completed_at, now))
        .where(periodic)
    ).all()
    if not rows:
        return []
    # the reports filed for periods of these years ("2025-Q4" … "2026-H1" sort between "2025" and
    # "2027"), read from the covering (period_key, task_id, …) index
    filed: set[tuple[int, str]] = {(task_id, key) for task_id, key in conn.execute(
        sa.select(ProgressReport.task_id, ProgressReport.period_key)
        .where(ProgressReport.period_key >= str(start.year - 1), ProgressReport.period_key < str(as_of.year + 1))
    ).all()}
    # most tasks share their periods: each period's key and last day are worked out once
    known: dict[tuple[int, str], tuple[str, int]] = {}
    first_day, as_of_day, grace_days = start.toordinal(), as_of.toordinal(), grace.days
    missing: list[MissingReport] = []
    for task_id, unit_id, period, day, due_day, completed_day in rows:
        stop = as_of_day if completed_day is None else min(as_of_day, completed_day)
        while day <= due_day:
            found = known.get((day, period))
            if found is None:
                key, _first, last_date = periods.bounds(date.fromordinal(day), period)  # type: ignore[misc]
                found = known[(day, period)] = (key, last_date.toordinal())
            key, last = found
            if last + grace_days >= stop:
                break
            if last >= first_day and (task_id, key) not in filed:
                missing.append(MissingReport(task_id, unit_id, key, date.fromordinal(last)))
            day = last + 1
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
