"""Read-side numbers for the dashboard, rankings and exports: SQL aggregates, never a loop over tasks.

Every figure is a GROUP BY over the task table, restricted to what the user may see, read from
covering indexes and folded into tallies in Python over the group rows; the dashboard costs the
same few queries whether there are a hundred tasks or a hundred thousand, and is computed afresh
on every request (no result cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from tracker import access, periods, timeutil
from tracker.access import task_condition as task_visibility
from tracker.auth.models import User
from tracker.db import UTCDateTime
from tracker.extensions import db
from tracker.plans.models import Measure, Plan
from tracker.tally import queries as tally_queries
from tracker.tasks.filters import TaskFilters, filter_conditions
from tracker.tasks.lights import LIGHTS, open_light_case, signal_expression
from tracker.tasks.models import OPEN_STATES, ProgressReport, ReportingPeriod, Task, TaskState
from tracker.units.models import Unit

# --------------------------------------------------------------------------- visibility

def visible_condition(user: Any) -> ColumnElement[bool]:
    """The tasks a user may see (the task list's own rule), leaving out the tasks of deleted plans,
    which no report counts."""
    live_plans = sa.select(Plan.id).where(Plan.is_deleted.is_(False)).scalar_subquery()
    return sa.and_(task_visibility(user), Task.plan_id.in_(live_plans))


def visible_plans(user: User) -> list[Plan]:
    """Plans the user's dashboard shows, for the plan picker."""
    return list(db.session.scalars(access.visible_plans(user).order_by(Plan.id)))


# --------------------------------------------------------------------------- local dates in SQL

class local_date(FunctionElement):
    """The local calendar date of a UTC timestamp column, with the zone's offset at ``now``
    (China keeps no daylight saving time, so one offset is exact there)."""

    type = sa.Date()
    inherit_cache = True


@compiles(local_date)
def _local_date_sqlite(element, compiler, **kw):
    column, minutes = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, {compiler.process(minutes, **kw)})"


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    column, minutes = list(element.clauses)
    return f"CAST({compiler.process(column, **kw)} + make_interval(mins => {compiler.process(minutes, **kw)}) AS DATE)"


def local_date_of(column: Any, now: datetime) -> ColumnElement:
    offset = timeutil.to_local(now).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if db.engine.dialect.name == "sqlite":
        return local_date(column, sa.literal_column(f"'{minutes:+d} minutes'"))
    return local_date(column, sa.literal_column(str(minutes)))


def warning_days() -> int:
    return int(current_app.config.get("WARNING_DAYS", 7))


# --------------------------------------------------------------------------- the dashboard

STATES = tuple(s.value for s in TaskState)


@dataclass
class Tally:
    """The counts of one plan, one unit, or everything."""

    total: int = 0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    lights: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIGHTS, 0))
    overdue: int = 0
    returns: int = 0
    due_so_far: int = 0
    on_time: int = 0
    missing_reports: int = 0
    late_reports: int = 0

    def add(self, other: Tally) -> None:
        self.total += other.total
        for key, value in other.states.items():
            self.states[key] += value
        for key, value in other.lights.items():
            self.lights[key] += value
        for name in ("overdue", "returns", "due_so_far", "on_time", "missing_reports", "late_reports"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def active(self) -> int:
        """Tasks that count: every task except the cancelled ones."""
        return self.total - self.states["cancelled"]

    @property
    def completion_percent(self) -> float:
        return round(100.0 * self.states["completed"] / self.active, 1) if self.active else 0.0

    @property
    def on_time_rate(self) -> float | None:
        """Completed by the original deadline, over the tasks whose original deadline has passed
        (plus those already completed early); None when nothing is due yet."""
        return round(100.0 * self.on_time / self.due_so_far, 1) if self.due_so_far else None

    @property
    def open(self) -> int:
        return sum(self.states[s.value] for s in OPEN_STATES)

    @property
    def report_issues(self) -> int:
        return self.missing_reports + self.late_reports


#: the tally packs three counts of open rows into one integer sum, each in its own 21-bit field
#: (a (plan, unit, state) group would need two million tasks to overflow one)
_FIELD = 1 << 21
_OVERDUE, _YELLOW, _DUE_SO_FAR = 1, _FIELD, _FIELD * _FIELD


def _plain_rows(query: sa.Select) -> list[sa.Row]:
    """The rows of a column query on the session's connection, without the ORM's per-row work
    (thousands of group rows for the tally); pending changes are flushed first, as the session's own
    execute would."""
    db.session.flush()
    return db.session.connection().execute(query).all()


def _tally_rows(user: User, now: datetime, plan_id: int | None = None,
                owed: ColumnElement[bool] | None = None) -> list[sa.Row]:
    """One pass over the visible tasks, grouped by (plan, unit, state).

    Grouping by the state gives every state count without a CASE per state, and the covering
    index ix_task_tally (tracker/tasks/models.py) delivers the rows in group order, so SQLite
    neither sorts nor reads the table. Each row then costs one CASE on its state: a completed row
    adds whether it was done by its original deadline (the only row whose local completion date
    is computed), an open row adds its light and whether its original deadline has passed as
    packed flags (``_OVERDUE``, ``_YELLOW``, ``_DUE_SO_FAR``; one sum instead of four), and a
    cancelled row adds nothing. ``owed`` (see ``_reports_due``) counts, in the same pass, the
    tasks that owe the periodic report of the latest closed period. ``dashboard()`` unpacks them
    per group.
    """
    today = timeutil.local_today(now)
    on_time = sa.case((local_date_of(Task.completed_at, now) <= Task.original_due_on, 1), else_=0)
    # red is exactly "open and past the deadline in force", i.e. overdue
    open_flags = (open_light_case(today, warning_days(), _OVERDUE, _YELLOW, 0)
                  + sa.case((Task.original_due_on < today, _DUE_SO_FAR), else_=0))
    packed = sa.case((Task.state == TaskState.completed, on_time), (Task.state == TaskState.cancelled, 0),
                     else_=open_flags)
    owing = (sa.func.sum(sa.case((sa.and_(Task.state != TaskState.cancelled, owed), 1), else_=0))
             if owed is not None else sa.literal(0))
    query = (
        sa.select(Task.plan_id, Task.unit_id, Task.state, sa.func.count().label("total"),
                  sa.func.sum(Task.return_count).label("returns"),
                  sa.func.sum(sa.cast(packed, sa.BigInteger)).label("packed"), owing.label("owing"))
        .where(visible_condition(user))
        .group_by(Task.plan_id, Task.unit_id, Task.state)
    )
    if plan_id is not None:
        query = query.where(Task.plan_id == plan_id)
    return _plain_rows(query)


REPORT_PERIODS = tuple(p for p in ReportingPeriod if p is not ReportingPeriod.once)


def last_closed_period(period: ReportingPeriod, today: date) -> tuple[str, date, date]:
    """The key, first day and last day of the latest whole period before today."""
    return periods.last_closed(period.value, today)


def report_grace_days() -> int:
    return int(current_app.config.get("REPORT_GRACE_DAYS", 5))


@dataclass(frozen=True)
class ReportsDue:
    """The periodic reports that have fallen due: for each reporting period, the key of its latest
    closed period and the moment its reports were due (the grace days after the period's end)."""

    periods: tuple[tuple[ReportingPeriod, str, datetime], ...]
    #: the tasks that owe one of them (not counting cancelled tasks, which owe nothing)
    owed: ColumnElement[bool]


def _reports_due(now: datetime) -> ReportsDue | None:
    """The reports of the latest closed periods that are due by ``now``; None when none is (a period
    whose reports are not yet due is left out altogether)."""
    today = timeutil.local_today(now)
    grace = report_grace_days()
    owing_conditions, periods = [], []
    for period in REPORT_PERIODS:
        key, _start, end = last_closed_period(period, today)
        due_at = timeutil.end_of_day_utc(end + timedelta(days=grace))
        if due_at >= now:
            # nothing is missing yet, and nothing can have come after the grace days
            continue
        periods.append((period, key, due_at))
        owing_conditions.append(sa.and_(
            Task.reporting_period == period, Task.assigned_on <= end,
            # a task closed before the report fell due owes no report
            sa.or_(Task.completed_at.is_(None), Task.completed_at > due_at)))
    if not periods:
        return None
    return ReportsDue(periods=tuple(periods), owed=sa.or_(*owing_conditions))


def _answered_rows(user: User, due: ReportsDue, plan_id: int | None = None) -> list[sa.Row]:
    """Per (plan, unit), how many of the tasks that owe a report have one, and how many of those
    came after the grace days: the reports of the period keys in question (index
    ix_progress_report_period), first one per task, joined to their task by id. The owing tasks
    themselves are counted by the tally's pass (``_tally_rows``); missing = owing - answered."""
    scope = [visible_condition(user), Task.state != TaskState.cancelled, due.owed]
    if plan_id is not None:
        scope.append(Task.plan_id == plan_id)
    first = (sa.select(ProgressReport.task_id, ProgressReport.period_key,
                       sa.func.min(ProgressReport.created_at).label("first_at"))
             .where(ProgressReport.period_key.in_([key for _p, key, _d in due.periods]))
             .group_by(ProgressReport.task_id, ProgressReport.period_key).subquery())
    # the report must answer the task's own period
    matches = sa.or_(*[sa.and_(Task.reporting_period == period, first.c.period_key == key)
                       for period, key, _d in due.periods])
    late = sa.or_(*[sa.and_(Task.reporting_period == period, first.c.first_at > sa.literal(due_at, UTCDateTime()))
                    for period, _k, due_at in due.periods])
    return _plain_rows(
        sa.select(Task.plan_id, Task.unit_id, sa.func.count(), sa.func.sum(sa.case((late, 1), else_=0)))
        .select_from(first).join(Task, Task.id == first.c.task_id)
        .where(matches, *scope).group_by(Task.plan_id, Task.unit_id))


@dataclass(frozen=True)
class PlanRef:
    id: int
    title: str


@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str
    sort_order: int


@dataclass
class Dashboard:
    overall: Tally
    plans: list[tuple[PlanRef, Tally]]
    units: list[tuple[UnitRef, Tally]]
    #: 未签收: open tasks their unit has not acknowledged, and the longest wait in days
    unacknowledged: int = 0
    longest_wait_days: int | None = None


# a tally as a flat list while folding group rows (list indexes are cheaper than Tally attributes)
_STATE_AT = {TaskState(s): 1 + i for i, s in enumerate(STATES)}
_RED, _YELLOW_AT, _GREEN, _NONE = 7, 8, 9, 10
_OVERDUE_AT, _RETURNS, _DUE, _ON_TIME, _MISSING, _LATE = 11, 12, 13, 14, 15, 16
_SLOTS = 17


def _to_tally(v: list[int]) -> Tally:
    tally = Tally(total=v[0], overdue=v[_OVERDUE_AT], returns=v[_RETURNS], due_so_far=v[_DUE], on_time=v[_ON_TIME],
                  missing_reports=v[_MISSING], late_reports=v[_LATE])
    tally.states = {s: v[1 + i] for i, s in enumerate(STATES)}
    tally.lights = {"red": v[_RED], "yellow": v[_YELLOW_AT], "green": v[_GREEN], "none": v[_NONE]}
    return tally


def dashboard(user: User, now: datetime, plan_id: int | None = None) -> Dashboard:
    """Per-plan, per-unit and overall tallies, exact at ``now``, from the task tally
    (tracker/tally): one grouped query over a few rows per plan and unit, whatever the number of
    tasks, plus the reports of the latest closed periods and the names."""
    today = timeutil.local_today(now)
    reports_due = _reports_due(now)
    dated: list[tuple[str, date, int | None]] = [
        ("due", today - timedelta(days=1), None), ("warn", today, None), ("orig", today - timedelta(days=1), None)]
    for period, _key, due_at in (reports_due.periods if reports_due else ()):
        _k, _start, end = last_closed_period(period, today)
        dated.append((f"owe:{period.value}", end, None))
        dated.append((f"owe_done:{period.value}", timeutil.to_local(due_at).date(), end.toordinal()))
    if plan_id is None and access.sees_everything(user):
        # everything: the per-plan and per-unit rows, a few hundred groups
        per_plan = _facet_fold(_plain_rows(tally_queries.facet_counts(user, None, _STATE_FACETS, dated, "plan")))
        per_unit = _facet_fold(_plain_rows(tally_queries.facet_counts(user, None, _STATE_FACETS, dated, "unit")))
        answered = _answered_rows(user, reports_due) if reports_due else ()
        for pid, uid, n, late in answered:
            for v in (per_plan.get((pid, 0)), per_unit.get((0, uid))):
                if v is not None:
                    v[_MISSING] -= n
                    v[_LATE] += int(late or 0)
        overall = [0] * _SLOTS
        for v in per_plan.values():
            for i, n in enumerate(v):
                overall[i] += n
        board = _assemble(overall, {pid: v for (pid, _u), v in per_plan.items()},
                          {uid: v for (_p, uid), v in per_unit.items()})
    else:
        rows = _plain_rows(tally_queries.facet_counts(user, plan_id, _STATE_FACETS, dated))
        board = _fold(user, _facet_fold(rows), reports_due, plan_id)
    board.unacknowledged, board.longest_wait_days = _waiting(user, now, plan_id)
    return board


def _facet_fold(rows: list[sa.Row]) -> dict[tuple[int, int], list[int]]:
    """Tally rows (plan, unit, facet, tasks, returns, on time) as flat tallies per (plan, unit)."""
    by_pair: dict[tuple[int, int], list[int]] = {}
    for pid, uid, facet, n, returns, on_time in rows:
        v = by_pair.get((pid, uid))
        if v is None:
            v = by_pair[(pid, uid)] = [0] * _SLOTS
        n = int(n or 0)
        if facet.startswith("state:"):
            state = TaskState(facet[6:])
            v[0] += n
            v[_STATE_AT[state]] += n
            v[_RETURNS] += int(returns or 0)
            if state is TaskState.cancelled:
                v[_NONE] += n
            elif state is TaskState.completed:
                v[_GREEN] += n
                v[_DUE] += n
                v[_ON_TIME] += int(on_time or 0)
            else:
                v[_GREEN] += n
        elif facet == "due":  # open past the deadline: red (and counted in "warn" too)
            v[_OVERDUE_AT] += n
            v[_RED] += n
            v[_YELLOW_AT] -= n
        elif facet == "warn":  # open and no longer green: yellow or red
            v[_YELLOW_AT] += n
            v[_GREEN] -= n
        elif facet == "orig":
            v[_DUE] += n
        elif facet.startswith("owe:"):
            v[_MISSING] += n
        else:  # owe_done: completed before the report fell due
            v[_MISSING] -= n
    return by_pair


_STATE_FACETS = [f"state:{s}" for s in STATES]


def dashboard_recount(user: User, now: datetime, plan_id: int | None = None) -> Dashboard:
    """``dashboard`` recounted from the task table (two grouped queries over every visible task):
    what the tally is checked against."""
    by_pair: dict[tuple[int, int], list[int]] = {}
    cancelled, completed = TaskState.cancelled, TaskState.completed
    reports_due = _reports_due(now)
    owed = reports_due.owed if reports_due else None
    for pid, uid, state, total, returns, packed, owing in _tally_rows(user, now, plan_id, owed):
        v = by_pair.get((pid, uid))
        if v is None:
            v = by_pair[(pid, uid)] = [0] * _SLOTS
        packed = int(packed or 0)
        v[0] += total
        v[_MISSING] += int(owing or 0)
        v[_STATE_AT[state]] += total
        v[_RETURNS] += int(returns or 0)
        if state is cancelled:
            v[_NONE] += total
        elif state is completed:
            v[_GREEN] += total
            v[_DUE] += total
            v[_ON_TIME] += packed
        else:
            overdue, yellow, due = packed % _FIELD, packed // _FIELD % _FIELD, packed // (_FIELD * _FIELD)
            v[_OVERDUE_AT] += overdue
            v[_DUE] += due
            v[_RED] += overdue
            v[_YELLOW_AT] += yellow
            v[_GREEN] += total - overdue - yellow
    board = _fold(user, by_pair, reports_due, plan_id)
    waiting = sa.select(sa.func.count(), sa.func.min(Task.assigned_on)).select_from(Task).where(
        Task.unacknowledged_condition(), task_visibility(user))
    if plan_id is not None:
        waiting = waiting.where(Task.plan_id == plan_id)
    count, oldest = db.session.execute(waiting).one()
    board.unacknowledged = int(count or 0)
    board.longest_wait_days = (timeutil.local_today(now) - oldest).days if count and oldest is not None else None
    return board


def _fold(user: User, by_pair: dict[tuple[int, int], list[int]], reports_due: ReportsDue | None,
          plan_id: int | None) -> Dashboard:
    """The (plan, unit) counts, less the reports that came, summed per plan, per unit and overall."""
    for pid, uid, answered, late in (_answered_rows(user, reports_due, plan_id) if reports_due else ()):
        v = by_pair.get((pid, uid))
        if v is not None:
            v[_MISSING] -= answered
            v[_LATE] += int(late or 0)
    overall = [0] * _SLOTS
    per_plan: dict[int, list[int]] = {}
    per_unit: dict[int, list[int]] = {}
    for (pid, uid), v in by_pair.items():
        p = per_plan.get(pid) or per_plan.setdefault(pid, [0] * _SLOTS)
        u = per_unit.get(uid) or per_unit.setdefault(uid, [0] * _SLOTS)
        for i, n in enumerate(v):
            if n:
                overall[i] += n
                p[i] += n
                u[i] += n
    return _assemble(overall, per_plan, per_unit)


def _waiting(user: User, now: datetime, plan_id: int | None) -> tuple[int, int | None]:
    """未签收: how many open tasks ``user`` sees wait for their unit's 签收, and the longest wait in
    days, from the tally's "unack" rows (one per unit and day of handing over), not the tasks."""
    T = tally_queries.T
    row = db.session.execute(
        sa.select(sa.func.sum(sa.case((T.day == 0, T.tasks), else_=0)),
                  sa.func.min(sa.case((sa.and_(T.day > 0, T.tasks > 0), T.day), else_=None)))
        .where(*tally_queries.visible(user, plan_id), T.facet == "unack")).one()
    count, oldest = int(row[0] or 0), row[1]
    today = timeutil.local_today(now)
    return count, (today.toordinal() - int(oldest)) if count and oldest is not None else None


def _assemble(overall: list[int], per_plan: dict[int, list[int]], per_unit: dict[int, list[int]]) -> Dashboard:
    """The tallies with the names of their plans and units."""
    plans = {r.id: PlanRef(r.id, r.title) for r in db.session.execute(
        sa.select(Plan.id, Plan.title).where(Plan.id.in_(list(per_plan))))} if per_plan else {}
    units = {r.id: UnitRef(r.id, r.name, r.sort_order) for r in db.session.execute(
        sa.select(Unit.id, Unit.name, Unit.sort_order).where(Unit.id.in_(list(per_unit))))} if per_unit else {}
    return Dashboard(
        overall=_to_tally(overall),
        plans=[(plans[pid], _to_tally(per_plan[pid])) for pid in sorted(per_plan) if pid in plans],
        units=[(units[uid], _to_tally(per_unit[uid]))
               for uid in sorted(per_unit, key=lambda i: (units[i].sort_order, i) if i in units else (0, i))
               if uid in units],
    )


RANKING_SORTS = ("rate", "overdue", "returns", "reports", "name")


def rank_units(units: list[tuple[UnitRef, Tally]], sort: str = "rate") -> list[tuple[int, UnitRef, Tally]]:
    """Units in ranking order: best on-time rate first (no task due yet last), then fewest overdue;
    other sorts put the worst first. Returns (rank, unit, tally)."""
    if sort not in RANKING_SORTS:
        sort = "rate"
    keys = {
        "rate": lambda item: (item[1].on_time_rate is None, -(item[1].on_time_rate or 0), item[1].overdue),
        "overdue": lambda item: (-item[1].overdue, item[0].sort_order),
        "returns": lambda item: (-item[1].returns, item[0].sort_order),
        "reports": lambda item: (-item[1].report_issues, item[0].sort_order),
        "name": lambda item: (item[0].name,),
    }
    ordered = sorted(units, key=keys[sort])
    return [(rank, unit, tally) for rank, (unit, tally) in enumerate(ordered, start=1)]


# --------------------------------------------------------------------------- trends

@dataclass
class TrendPoint:
    label: str
    start: date
    end: date
    completed: int = 0
    overdue_open: int = 0


def _bucket_starts(today: date, unit: str, count: int) -> list[tuple[date, date]]:
    buckets: list[tuple[date, date]] = []
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        for i in range(count - 1, -1, -1):
            start = monday - timedelta(weeks=i)
            buckets.append((start, start + timedelta(days=6)))
    else:
        year, month = today.year, today.month
        months = []
        for _i in range(count):
            months.append((year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        for y, m in reversed(months):
            start = date(y, m, 1)
            end = (date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)) - timedelta(days=1)
            buckets.append((start, end))
    return buckets


def trend(user: User, now: datetime, unit: str = "week", count: int = 12,
          plan_id: int | None = None) -> list[TrendPoint]:
    """Completions per week or month, and how many open tasks were past their deadline at the end of
    each: one query over the task tally, counting its ``done``, ``late_from`` and ``late_to`` days up
    to the end of each point (completions in a point = done up to its end - done up to the one before)."""
    today = timeutil.local_today(now)
    buckets = _bucket_starts(today, "week" if unit == "week" else "month", count)
    points = [TrendPoint(label=(f"{s.month}/{s.day}" if unit == "week" else f"{s.year}-{s.month:02d}"),
                         start=s, end=e) for s, e in buckets]
    n = len(points)
    cuts = [buckets[0][0] - timedelta(days=1)] + [e for _s, e in buckets] + [min(e, today) for _s, e in buckets]
    sums = {row[0]: [int(x or 0) for x in row[1:]]
            for row in _plain_rows(tally_queries.prefix_sums(user, plan_id, ["done", "late_from", "late_to"], cuts))}
    done, late_from, late_to = (sums.get(f, [0] * len(cuts)) for f in ("done", "late_from", "late_to"))
    for i, point in enumerate(points):
        point.completed = done[i + 1] - done[i]
        point.overdue_open = late_from[n + 1 + i] - late_to[n + 1 + i]
    return points


def trend_recount(user: User, now: datetime, unit: str = "week", count: int = 12,
                  plan_id: int | None = None) -> list[TrendPoint]:
    """``trend`` recounted from the task table (derived from due_on, completed_at and cancelled_at):
    two queries; what the tally is checked against."""
    today = timeutil.local_today(now)
    buckets = _bucket_starts(today, "week" if unit == "week" else "month", count)
    points = [TrendPoint(label=(f"{s.month}/{s.day}" if unit == "week" else f"{s.year}-{s.month:02d}"),
                         start=s, end=e) for s, e in buckets]
    visible = [visible_condition(user)]
    if plan_id is not None:
        visible.append(Task.plan_id == plan_id)
    day = local_date_of(Task.completed_at, now).label("day")
    rows = db.session.execute(
        sa.select(day, sa.func.count())
        .where(*visible, Task.state == TaskState.completed,
               Task.completed_at >= timeutil.end_of_day_utc(buckets[0][0] - timedelta(days=1)))
        .group_by(day)
    ).all()
    for raw_day, n in rows:
        when = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day))
        for point in points:
            if point.start <= when <= point.end:
                point.completed += n
                break
    # open and overdue at the end of each bucket (bucket ends up to today). A task counts at the
    # points from the first whose day is past its deadline and not before its assignment (``first``)
    # up to, not including, the first whose end finds it completed or cancelled (``closed``); both
    # are found with one CASE each (the days only grow), the tasks are grouped by the pair, and the
    # at most 13 x 13 groups are spread over the points here.
    days = [min(point.end, today) for point in points]
    ends = [timeutil.end_of_day_utc(day) for day in days]
    n = len(points)
    first = sa.case(*[(sa.and_(Task.due_on < day, Task.assigned_on <= day), i) for i, day in enumerate(days)],
                    else_=n).label("first")
    closed = sa.case(
        (sa.and_(Task.completed_at.is_(None), Task.cancelled_at.is_(None)), n),
        *[(sa.or_(Task.completed_at <= at, Task.cancelled_at <= at), i) for i, at in enumerate(ends)],
        else_=n).label("closed")
    window_start = timeutil.end_of_day_utc(buckets[0][0] - timedelta(days=1))
    rows = db.session.execute(
        sa.select(first, closed, sa.func.count()).where(
            *visible, Task.due_on < today,
            # a completed or cancelled task without its time cannot be placed: left out
            sa.or_(Task.state.in_(OPEN_STATES), Task.completed_at.is_not(None), Task.cancelled_at.is_not(None)),
            # only tasks still open at some point of the window can count
            sa.or_(Task.completed_at.is_(None), Task.completed_at > window_start),
            sa.or_(Task.cancelled_at.is_(None), Task.cancelled_at > window_start),
        ).group_by(first, closed)
    ).all()
    for start, stop, count in rows:
        for i in range(start, min(stop, n)):
            points[i].overdue_open += count
    return points


# --------------------------------------------------------------------------- the unit dashboard

def unit_tasks(user: User, now: datetime, limit: int = 50) -> dict[str, list[sa.Row]]:
    """A unit's open tasks in three groups (overdue, due soon, the rest), most urgent first."""
    today = timeutil.local_today(now)
    wd = warning_days()
    # the signal: a yellow light says whether it is 临期 or 滞后
    light = signal_expression(today, wd).label("light")
    base = (
        sa.select(Task.id, Task.state, Task.due_on, Task.is_key, Task.return_count, Task.last_progress_at,
                  Measure.number, Measure.text, Plan.title.label("plan_title"), Unit.name.label("unit_name"), light)
        .join(Measure, Measure.id == Task.measure_id).join(Plan, Plan.id == Task.plan_id)
        .join(Unit, Unit.id == Task.unit_id)
        .where(visible_condition(user), Task.state.in_(OPEN_STATES))
        .order_by(Task.due_on, Task.id).limit(limit)
    )
    soon = today + timedelta(days=wd)
    return {
        "overdue": list(db.session.execute(base.where(Task.overdue_condition(today)))),
        "due_soon": list(db.session.execute(base.where(Task.due_on >= today, Task.due_on <= soon))),
        "later": list(db.session.execute(base.where(Task.due_on > soon))),
    }


def next_step(state: TaskState) -> str:
    """What the unit should do next with an open task."""
    return {
        TaskState.assigned: _("签收并开始办理"),
        TaskState.in_progress: _("报送进展，上传佐证材料后提交办结"),
        TaskState.submitted: _("等待督办人审核"),
        TaskState.returned: _("按退回意见整改后重新提交"),
    }.get(state, "")


# --------------------------------------------------------------------------- the ledger

def ledger_count(user: User, filters: TaskFilters, now: datetime) -> int:
    today = timeutil.local_today(now)
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Task)
        .where(visible_condition(user), *filter_conditions(filters, today, warning_days()))
    ) or 0
