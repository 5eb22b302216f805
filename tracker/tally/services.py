"""Keeping the task tally right: one listener sees every change of a task row and moves its counts.

Every task change, whatever service makes it, passes through the ORM flush; ``after_flush``
reads the old values of each changed task from its attribute history and its new values from the
row, and applies the difference to the tally in the same transaction (an upsert per touched row,
so concurrent transactions add up instead of overwriting). ORM bulk ``update(Task)`` and
``delete(Task)`` statements are caught by ``do_orm_execute``: the touched tasks are counted out
before and back in after. Nothing else writes task rows.

The facets of one task (``contributions``), all per (plan, unit):

- ``state:<state>``: one per task, with its return count and whether it was done on time;
- open tasks: ``due`` on the deadline in force (red = due before today), ``warn`` on the first
  day its light is no longer green (yellow or red = warn on or before today; see ``light_from``),
  ``orig`` on the original deadline (whether it is due so far);
- the dashboard trend, per plan only (plan -id, unit 0): ``done`` on the local day of completion,
  ``late_from`` on the first day the task was open past its deadline and ``late_to`` on the day it
  was closed (open and overdue on a day d = late_from <= d minus late_to <= d);
- periodic reports: ``owe:<period>`` on the assignment day and ``owe_done:<period>`` on the local
  day of completion with ``since`` = the assignment day (owing a period's report = assigned by its
  end and not completed before the report fell due).

Every other facet is also summed per plan (plan -id, unit 0) and per unit over the live plans (plan 0), so a
dashboard of everything reads a few hundred groups rather than every (plan, unit) pair.

The ``warn`` day depends on the warning window (WARNING_DAYS): after changing it, run
``flask tally rebuild``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker import timeutil
from tracker.plans.models import Plan
from tracker.tally.models import TaskTally
from tracker.tasks.lights import PACE_TOLERANCE
from tracker.tasks.models import OPEN_STATES, ReportingPeriod, Task, TaskState

#: the task columns the tally reads
FIELDS = ("plan_id", "unit_id", "state", "due_on", "original_due_on", "assigned_on", "progress_percent",
          "return_count", "completed_at", "cancelled_at", "reporting_period", "acknowledged_at")
BLOCK_SHIFT = 5  # 32-day blocks
#: the rows of a plan as a whole are kept under minus its id, with this unit; the rows of a unit over
#: every live plan under this plan (a plan's deletion takes its tasks out of them, see ``_plan_flip``)
PLAN_WIDE = 0
ALL_PLANS = 0

Key = tuple[str, int, int, int, int, int]


def warning_days() -> int:
    return int(current_app.config.get("WARNING_DAYS", 7)) if has_app_context() else 7


def block_of(ordinal: int) -> int:
    return ordinal >> BLOCK_SHIFT


def _local_day(moment: datetime | None) -> date | None:
    return timeutil.to_local(moment).date() if moment is not None else None


def light_from(due_on: date, assigned_on: date, progress: int, wd: int) -> int:
    """The ordinal of the first day an open task's light is yellow or red (``tracker.tasks.lights``):
    within the warning window of the deadline, or behind pace, i.e. on the first day with
    100 * today > (progress + tolerance) * due + (100 - tolerance - progress) * assigned."""
    due = due_on.toordinal()
    first = due - wd
    assigned = assigned_on.toordinal()
    if due > assigned:
        behind = ((progress + PACE_TOLERANCE) * due + (100 - PACE_TOLERANCE - progress) * assigned) // 100 + 1
        first = min(first, behind)
    return first


def contributions(t: Any, wd: int, live: bool = True) -> dict[Key, list[int]]:
    """The tally rows one task adds to, each with (tasks, returns, on_time): per (plan, unit), and
    the same per plan (unit 0) and, while its plan is ``live`` (not deleted), per unit (plan 0)."""
    out = _pair_contributions(t, wd)
    rollups: dict[Key, list[int]] = {}
    for key, values in out.items():
        facet, day, block, since, plan, unit = key
        if plan < 0:  # the trend's rows are per plan already
            continue
        targets = [(facet, day, block, since, -plan, PLAN_WIDE)]
        if live:
            targets.append((facet, day, block, since, ALL_PLANS, unit))
        for target in targets:
            row = rollups.setdefault(target, [0, 0, 0])
            for i in range(3):
                row[i] += values[i]
    for key, values in rollups.items():
        out[key] = values
    return out


def _pair_contributions(t: Any, wd: int) -> dict[Key, list[int]]:
    out: dict[Key, list[int]] = {}
    plan, unit = t.plan_id, t.unit_id
    if plan is None or unit is None:
        return out
    state = t.state if isinstance(t.state, TaskState) else TaskState(t.state or "assigned")
    period = (t.reporting_period if isinstance(t.reporting_period, ReportingPeriod)
              else ReportingPeriod(t.reporting_period or "once"))

    def dated(facet: str, day: date, since: int = 0, whole: bool = False) -> None:
        o = day.toordinal()
        p, u = (-plan, PLAN_WIDE) if whole else (plan, unit)
        for key in ((facet, o, block_of(o), since, p, u), (facet, 0, block_of(o), since, p, u)):
            out.setdefault(key, [0, 0, 0])[0] += 1

    completed_on, cancelled_on = _local_day(t.completed_at), _local_day(t.cancelled_at)
    on_time = int(state is TaskState.completed and completed_on is not None and completed_on <= t.original_due_on)
    out[(f"state:{state.value}", 0, 0, 0, plan, unit)] = [1, int(t.return_count or 0), on_time]
    is_open = state in OPEN_STATES
    if is_open and t.acknowledged_at is None:
        # 未签收: open and not acknowledged, on the day it was handed over (the longest wait)
        dated("unack", t.assigned_on)
    if is_open:
        dated("due", t.due_on)
        dated("orig", t.original_due_on)
        o = light_from(t.due_on, t.assigned_on, int(t.progress_percent or 0), wd)
        for key in (("warn", o, block_of(o), 0, plan, unit), ("warn", 0, block_of(o), 0, plan, unit)):
            out.setdefault(key, [0, 0, 0])[0] += 1
    # the trend is one line for everything the viewer sees, and only staff (who see whole plans)
    # see it: its facets are kept per plan (unit 0), a few rows per day instead of one per unit
    if state is TaskState.completed and completed_on is not None:
        dated("done", completed_on, whole=True)
    if is_open or completed_on is not None or cancelled_on is not None:
        late = max(t.due_on.toordinal() + 1, t.assigned_on.toordinal())
        closed = min((d.toordinal() for d in (completed_on, cancelled_on) if d is not None), default=None)
        if closed is None or late < closed:
            dated("late_from", date.fromordinal(late), whole=True)
            if closed is not None:
                dated("late_to", date.fromordinal(closed), whole=True)
    if period is not ReportingPeriod.once and state is not TaskState.cancelled:
        dated(f"owe:{period.value}", t.assigned_on)
        if completed_on is not None:
            dated(f"owe_done:{period.value}", completed_on, since=t.assigned_on.toordinal())
    return out


def _add(deltas: dict[Key, list[int]], rows: dict[Key, list[int]], sign: int) -> None:
    for key, (n, returns, on_time) in rows.items():
        d = deltas.get(key)
        if d is None:
            d = deltas[key] = [0, 0, 0]
        d[0] += sign * n
        d[1] += sign * returns
        d[2] += sign * on_time


def _insert(dialect: str):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TaskTally.__table__)


_KEY_COLUMNS = ("facet", "day", "block", "since", "plan_id", "unit_id")  # the order of a Key


def apply(connection: sa.Connection, deltas: dict[Key, list[int]]) -> None:
    """Add ``deltas`` to the tally: one upsert for every touched row (in key order, so concurrent
    writers lock rows in the same order), then drop the rows that fell to nothing."""
    changed = sorted((key, d) for key, d in deltas.items() if any(d))
    if not changed:
        return
    table = TaskTally.__table__
    stmt = _insert(connection.dialect.name)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_KEY_COLUMNS),
        set_={"tasks": table.c.tasks + stmt.excluded.tasks, "returns": table.c.returns + stmt.excluded.returns,
              "on_time": table.c.on_time + stmt.excluded.on_time})
    connection.execute(stmt, [dict(zip(_KEY_COLUMNS, key, strict=True), tasks=d[0], returns=d[1], on_time=d[2])
                              for key, d in changed])
    emptied = [key for key, d in changed if d[0] < 0]
    if emptied:
        # only the rows this change lowered (locked by its upsert already): no scan, no other writer's rows
        key = sa.tuple_(*[table.c[c] for c in _KEY_COLUMNS])
        for start in range(0, len(emptied), 500):
            connection.execute(sa.delete(table).where(key.in_(emptied[start:start + 500]), table.c.tasks == 0,
                                                      table.c.returns == 0, table.c.on_time == 0))


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class _Old:
    """A task's values before the flush, from its attribute history."""

    def __init__(self, task: Task) -> None:
        state = sa.inspect(task)
        for name in FIELDS:
            history = state.attrs[name].history
            if history.deleted:
                value = history.deleted[0]
            elif history.unchanged:
                value = history.unchanged[0]
            elif history.added:
                # set for the first time on a row inserted in this session without it: the row
                # holds NULL (the tallied columns with a default get it on the object at insert)
                value = None
            else:
                value = getattr(task, name)
            setattr(self, name, value)


def _live(session: Session, plan_id: int | None) -> bool:
    plan = session.get(Plan, plan_id) if plan_id is not None else None
    return plan is not None and not plan.is_deleted


def _after_flush(session: Session, _context: Any) -> None:
    deltas: dict[Key, list[int]] = {}
    wd = None
    for group, sign in ((session.new, 1), (session.dirty, 0), (session.deleted, -1)):
        for obj in group:
            if isinstance(obj, Plan) and sign == 0:
                _plan_flip(session, obj, deltas)
            if not isinstance(obj, Task):
                continue
            wd = warning_days() if wd is None else wd
            if sign >= 0 and obj in session.deleted:
                continue
            if sign == 1:
                _add(deltas, contributions(obj, wd, _live(session, obj.plan_id)), 1)
            elif sign == 0:
                old = _Old(obj)
                _add(deltas, contributions(old, wd, _live(session, old.plan_id)), -1)
                _add(deltas, contributions(obj, wd, _live(session, obj.plan_id)), 1)
            else:
                old = _Old(obj)
                _add(deltas, contributions(old, wd, _live(session, old.plan_id)), -1)
    if deltas:
        apply(session.connection(), deltas)


def _plan_flip(session: Session, plan: Plan, deltas: dict[Key, list[int]]) -> None:
    """A plan deleted or restored: its tasks leave or rejoin the per-unit rows (from its
    per-(plan, unit) rows, already summed)."""
    history = sa.inspect(plan).attrs.is_deleted.history
    if not history.deleted or bool(history.deleted[0]) == bool(plan.is_deleted):
        return
    sign = -1 if plan.is_deleted else 1
    table = TaskTally.__table__
    rows = session.connection().execute(sa.select(table).where(table.c.plan_id == plan.id))
    for row in rows:
        _add(deltas, {(row.facet, row.day, row.block, row.since, ALL_PLANS, row.unit_id):
                      [row.tasks, row.returns, row.on_time]}, sign)


def _rows_of(connection: sa.Connection, condition: Any) -> dict[Key, list[int]]:
    """The contributions of the task rows matching ``condition``, read straight from the table."""
    wd = warning_days()
    columns = [getattr(Task.__table__.c, name) for name in FIELDS]
    deleted = set(connection.execute(sa.select(Plan.__table__.c.id).where(Plan.__table__.c.is_deleted.is_(True)))
                  .scalars())
    total: dict[Key, list[int]] = {}
    result = connection.execute(sa.select(*columns).where(condition).execution_options(yield_per=5000))
    for row in result:
        _add(total, contributions(row, wd, row.plan_id not in deleted), 1)
    return total


def _bulk_statement(state: Any) -> Any:
    """Task rows written by an ORM bulk statement: an INSERT of parameter rows is counted from its
    rows; for an UPDATE or DELETE the touched rows are counted out, the statement run, counted in."""
    if state.bind_mapper is not sa.inspect(Task) or not (state.is_insert or state.is_update or state.is_delete):
        return None
    if state.is_insert:
        rows = state.parameters
        rows = [rows] if isinstance(rows, dict) else rows
        if not rows or not all(isinstance(row, dict) for row in rows):
            raise NotImplementedError("bulk INSERT of tasks without parameter rows: the task tally cannot count it")
        result = state.invoke_statement()
        deltas: dict[Key, list[int]] = {}
        wd = warning_days()
        for row in rows:
            _add(deltas, contributions(_Row({name: row.get(name) for name in FIELDS}), wd,
                                       _live(state.session, row.get("plan_id"))), 1)
        apply(state.session.connection(), deltas)
        return result
    session = state.session
    connection = session.connection()
    where = state.statement.whereclause
    ids = list(connection.execute(sa.select(Task.__table__.c.id).where(where if where is not None else sa.true()))
               .scalars())
    before = _rows_of(connection, Task.__table__.c.id.in_(ids)) if ids else {}
    result = state.invoke_statement()
    after = _rows_of(connection, Task.__table__.c.id.in_(ids)) if ids else {}
    deltas: dict[Key, list[int]] = {}
    _add(deltas, before, -1)
    _add(deltas, after, 1)
    apply(connection, deltas)
    return result


def _remember_old(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
    return value


def install() -> None:
    """Hook the tally to every session (once). Old values of the tallied columns are loaded before a
    change (``active_history``), so the history always has them."""
    if getattr(install, "done", False):
        return
    for name in FIELDS:
        sa.event.listen(getattr(Task, name), "set", _remember_old, active_history=True, retval=True)
    sa.event.listen(Session, "after_flush", _after_flush)
    sa.event.listen(Session, "do_orm_execute", _bulk_statement)
    install.done = True


def recount(connection: sa.Connection) -> dict[Key, list[int]]:
    """The tally as it should be, from the task table."""
    return {key: d for key, d in _rows_of(connection, sa.true()).items() if any(d)}


def stored(connection: sa.Connection) -> dict[Key, list[int]]:
    table = TaskTally.__table__
    return {tuple(row[:6]): [row.tasks, row.returns, row.on_time]
            for row in connection.execute(sa.select(*[table.c[c] for c in _KEY_COLUMNS], table.c.tasks,
                                                    table.c.returns, table.c.on_time))
            if row.tasks or row.returns or row.on_time}


def rebuild(connection: sa.Connection) -> int:
    """Recount the tally from the task table (after an install, a restore, or a change of
    WARNING_DAYS); returns the number of rows."""
    rows = recount(connection)
    connection.execute(sa.delete(TaskTally.__table__))
    items = sorted(rows.items())
    for start in range(0, len(items), 5000):
        connection.execute(sa.insert(TaskTally.__table__), [
            dict(zip(_KEY_COLUMNS, key, strict=True), tasks=d[0], returns=d[1], on_time=d[2])
            for key, d in items[start:start + 5000]])
    return len(items)


def differences(connection: sa.Connection) -> list[str]:
    """Where the stored tally and a recount disagree (empty when they agree)."""
    want, have = recount(connection), stored(connection)
    return [f"{key}: stored {have.get(key)} recounted {want.get(key)}"
            for key in sorted(set(want) | set(have)) if want.get(key) != have.get(key)]


