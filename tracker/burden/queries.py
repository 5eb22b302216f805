"""Reading for the burden view and the report quality flags: what a unit was asked, what it filed,
and which of its reports or files a reviewer should look at twice.

Everything is read through ``tracker.access``'s SQL conditions, so a supervisor counts and compares
only what they may see.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from tracker import access, periods
from tracker.burden import quality
from tracker.extensions import db
from tracker.notices.models import NoticeKind, SupervisionNotice
from tracker.notify.models import OutboxEmail
from tracker.tasks.models import Evidence, ProgressReport, ReportingPeriod, Task
from tracker.timeutil import end_of_day_utc, local_tz
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
    at: datetime
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
    return [_Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _compared(r[0], r[4]))
            for r in db.session.execute(statement)]


@functools.lru_cache(maxsize=50_000)
def _compared(report_id: int, text: str) -> quality.Text:
    """A report folded for comparison, kept across requests: reports are never edited, so a
    reviewer's second page, or the next report's check, folds only what is new (keyed by the text
    too, so a reused id never returns another report's text)."""
    return quality.Text.of(report_id, text)


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
            report_id=row.id, task_id=row.task_id, text=row.text, at=row.created_at,
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


# --------------------------------------------------------------------------- the burden view

#: the outbox message kinds that ask something of a unit, by the column they count in. A kind, not
#: a channel: one reminder sent by email, chat and SMS, to three people, is one request.
#: (督办单 and 催办单 are counted from the notices themselves, not from their mail.)
REQUEST_KINDS = {
    "task_due": "reminders", "task_overdue": "reminders", "task_escalation": "reminders",
    "task_report": "reminders",
    # a 督办单's reply reminder; the same kind name on a 催办单's own mail is its delivery (left out)
    "notice_chase": "reminders",
}
#: the columns of requests, in the order the page shows them
REQUEST_COLUMNS = ("reminders", "chases", "report_periods", "notices")


@dataclass
class MonthLoad:
    """What one unit was asked in one month, and what it filed."""

    month: str
    reminders: int = 0
    chases: int = 0
    report_periods: int = 0
    notices: int = 0
    reports: int = 0

    @property
    def requests(self) -> int:
        return self.reminders + self.chases + self.report_periods + self.notices


@dataclass
class UnitLoad:
    unit: Unit
    months: dict[str, MonthLoad]

    @property
    def requests(self) -> int:
        return sum(m.requests for m in self.months.values())

    @property
    def reports(self) -> int:
        return sum(m.reports for m in self.months.values())

    def over(self, cap: int) -> list[MonthLoad]:
        """The months past the cap."""
        return [m for m in self.months.values() if m.requests > cap]


def month_keys(year: int) -> list[str]:
    return [f"{year}-{month:02d}" for month in range(1, 13)]


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC instants of a local year: after the first, up to the second."""
    return end_of_day_utc(date(year - 1, 12, 31)), end_of_day_utc(date(year, 12, 31))


class _LocalDate(sa.sql.expression.FunctionElement):
    """The local calendar date of a stored (naive UTC) time, in SQL: PostgreSQL converts through
    the zone itself; SQLite adds the zone's offset (the one in force at ``at``, exact for zones
    without summer time such as Asia/Shanghai)."""

    type = sa.Date()
    name = "local_date"
    inherit_cache = True


@compiles(_LocalDate, "sqlite")
def _local_date_sqlite(element: _LocalDate, compiler: Any, **kw: Any) -> str:
    column, _zone, modifier = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, {compiler.process(modifier, **kw)})"


@compiles(_LocalDate)
def _local_date_default(element: _LocalDate, compiler: Any, **kw: Any) -> str:
    column, zone, _modifier = list(element.clauses)
    return (f"CAST(({compiler.process(column, **kw)} AT TIME ZONE 'UTC') AT TIME ZONE "
            f"{compiler.process(zone, **kw)} AS DATE)")


def local_date(column: Any, at: datetime) -> _LocalDate:
    zone = local_tz()
    offset = int(at.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
    return _LocalDate(column, sa.literal(zone.key), sa.literal(f"{offset:+d} seconds"))


def _by_month(statement: sa.Select, year: int) -> sa.Select:
    """Count the rows of ``statement`` (columns ``unit_id`` and ``day``) per unit and month of ``year``."""
    rows = statement.subquery()
    month = sa.extract("month", rows.c.day)
    return (sa.select(rows.c.unit_id, month, sa.func.count())
            .where(sa.extract("year", rows.c.day) == year).group_by(rows.c.unit_id, month))


def unit_loads(user: object, year: int, unit_ids: set[int] | None = None) -> dict[int, UnitLoad]:
    """Per unit and local month of ``year``: the requests it received and the reports it filed,
    counted from what ``user`` may see (tasks and 督办单 through ``tracker.access``).

    - reminders: outbox messages of a ``REQUEST_KINDS`` kind, one per (kind, object, local day),
      so recipients and channels do not multiply them;
    - chases (催办单) and notices (督办单, 补发督办单): the notices issued in the month;
    - report periods: the periods of periodic tasks that end in the month (from the period of
      assignment to the deadline, while the task was open);
    - reports: progress reports filed in the month.

    The counting happens in SQL (grouped by unit and month); only the report periods are walked
    in Python, once per distinct (unit, period, dates).
    """
    start, end = _year_bounds(year)
    zone = local_tz()
    keys = month_keys(year)
    months: dict[int, list[MonthLoad]] = {}

    def cell(unit_id: int, month: int) -> MonthLoad | None:
        """The unit's load in month 1..12 of ``year``."""
        if unit_ids is not None and unit_id not in unit_ids:
            return None
        row = months.get(unit_id)
        if row is None:
            row = months[unit_id] = [MonthLoad(key) for key in keys]
        return row[int(month) - 1]

    def only(statement: sa.Select, column: Any) -> sa.Select:
        return statement if unit_ids is None else statement.where(column.in_(sorted(unit_ids)))

    tasks = access.task_condition(user)
    notices = access.notice_condition(user)
    sent_day = local_date(OutboxEmail.created_at, end)
    in_year = sa.and_(OutboxEmail.kind.in_(REQUEST_KINDS), OutboxEmail.created_at > start,
                      OutboxEmail.created_at <= end)
    # reminders about tasks, and about 督办单 (reply reminders only, not a 催办单's own delivery):
    # distinct facts, then counted per unit and month
    about_tasks = only(sa.select(OutboxEmail.kind, OutboxEmail.related_type, OutboxEmail.related_id,
                                 Task.unit_id.label("unit_id"), sent_day.label("day"))
                       .join(Task, sa.and_(OutboxEmail.related_type == "task", Task.id == OutboxEmail.related_id))
                       .where(in_year, tasks), Task.unit_id)
    about_notices = only(sa.select(OutboxEmail.kind, OutboxEmail.related_type, OutboxEmail.related_id,
                                   SupervisionNotice.unit_id.label("unit_id"), sent_day.label("day"))
                         .join(SupervisionNotice, sa.and_(OutboxEmail.related_type == "supervision_notice",
                                                          SupervisionNotice.id == OutboxEmail.related_id))
                         .where(in_year, SupervisionNotice.kind == NoticeKind.supervision, notices),
                         SupervisionNotice.unit_id)
    facts = sa.union(about_tasks, about_notices)  # UNION, not UNION ALL: one row per fact
    for unit_id, month, count in db.session.execute(_by_month(sa.select(facts.subquery()), year)):
        found = cell(unit_id, month)
        if found is not None:
            found.reminders += count
    # 督办单 and 催办单, by the month they were issued
    issued = only(sa.select(SupervisionNotice.unit_id, SupervisionNotice.kind,
                            sa.extract("month", SupervisionNotice.issued_on), sa.func.count())
                  .where(SupervisionNotice.issued_on >= date(year, 1, 1),
                         SupervisionNotice.issued_on <= date(year, 12, 31), notices)
                  .group_by(SupervisionNotice.unit_id, SupervisionNotice.kind,
                            sa.extract("month", SupervisionNotice.issued_on)), SupervisionNotice.unit_id)
    for unit_id, kind, month, count in db.session.execute(issued):
        found = cell(unit_id, month)
        if found is not None:
            if kind is NoticeKind.chase:
                found.chases += count
            else:
                found.notices += count
    # report periods that end in the month: tasks of one plan share their dates, so walk each
    # distinct (unit, period, dates) once
    periodic = only(sa.select(Task.unit_id, Task.reporting_period, Task.assigned_on, Task.due_on, Task.completed_at,
                              Task.cancelled_at, sa.func.count())
                    .where(Task.reporting_period != ReportingPeriod.once, Task.assigned_on <= date(year, 12, 31),
                           Task.due_on >= date(year, 1, 1), tasks)
                    .group_by(Task.unit_id, Task.reporting_period, Task.assigned_on, Task.due_on, Task.completed_at,
                              Task.cancelled_at), Task.unit_id)
    for unit_id, period, assigned_on, due_on, completed_at, cancelled_at, count in db.session.execute(periodic):
        last = due_on
        for closed in (completed_at, cancelled_at):
            if closed is not None:
                last = min(last, closed.astimezone(zone).date())
        for key_end in _period_ends(period.value, assigned_on, last):
            if key_end.year == year:
                found = cell(unit_id, key_end.month)
                if found is not None:
                    found.report_periods += count
    # reports filed
    filed = only(sa.select(Task.unit_id.label("unit_id"), local_date(ProgressReport.created_at, end).label("day"))
                 .join(Task, Task.id == ProgressReport.task_id)
                 .where(ProgressReport.created_at > start, ProgressReport.created_at <= end, tasks), Task.unit_id)
    for unit_id, month, count in db.session.execute(_by_month(filed, year)):
        found = cell(unit_id, month)
        if found is not None:
            found.reports += count
    units = db.session.scalars(sa.select(Unit).where(Unit.id.in_(sorted(months)))) if months else []
    return {unit.id: UnitLoad(unit=unit, months={m.month: m for m in months[unit.id]}) for unit in units}


def _period_ends(period: str, first: date, last: date) -> list[date]:
    """The last days of the periods a task owes a report for: each period from the one containing
    ``first`` up to the one containing ``last`` (cached: tasks of one plan share their dates)."""
    ends: list[date] = []
    day = first
    while day <= last:
        end = _period_end(day, period)
        if end is None:
            break
        ends.append(end)
        day = date.fromordinal(end.toordinal() + 1)
    return ends


@functools.lru_cache(maxsize=4096)
def _period_end(day: date, period: str) -> date | None:
    found = periods.bounds(day, period)
    return found[2] if found is not None else None
