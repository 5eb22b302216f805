"""Status lights (红黄绿灯), in Python for one task and in SQL for aggregates; one rule, two forms.

Red: open and past its deadline (the deadline in force, i.e. after an approved extension).
Yellow: open and due within the warning window, or behind the expected pace: the share of the
time from assignment to deadline that has elapsed exceeds the progress the unit reported by more
than the tolerance. Green: open and on track, or completed. None (grey): cancelled.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from tracker.db import db
from tracker.tasks.models import Task, TaskState

GREEN, YELLOW, RED, NONE = "green", "yellow", "red", "none"
LIGHTS = (RED, YELLOW, GREEN, NONE)
#: the two causes of a yellow light, which a page, the matrix and the ledger name apart: due within
#: the warning window (临期), or behind the expected pace (滞后)
DUE_SOON, BEHIND = "due_soon", "behind"
SIGNALS = (RED, DUE_SOON, BEHIND, GREEN, NONE)
#: the colour each signal shows
SIGNAL_COLOURS = {RED: RED, DUE_SOON: YELLOW, BEHIND: YELLOW, GREEN: GREEN, NONE: NONE}
#: percentage points a unit may lag the elapsed time before the light turns yellow
PACE_TOLERANCE = 10


def behind_pace(assigned_on: date, due_on: date, progress_percent: int, today: date,
                tolerance: int = PACE_TOLERANCE) -> bool:
    span = (due_on - assigned_on).days
    if span <= 0:
        return False
    elapsed = min(max((today - assigned_on).days, 0), span)
    return progress_percent * span < elapsed * 100 - tolerance * span


def signal(state: TaskState, due_on: date, assigned_on: date, progress_percent: int, today: date,
           warning_days: int = 7) -> str:
    """The light with the cause of a yellow one: red, due_soon, behind, green or none."""
    if state is TaskState.cancelled:
        return NONE
    if state is TaskState.completed:
        return GREEN
    if today > due_on:
        return RED
    if (due_on - today).days <= warning_days:
        return DUE_SOON
    if behind_pace(assigned_on, due_on, progress_percent, today):
        return BEHIND
    return GREEN


def light(state: TaskState, due_on: date, assigned_on: date, progress_percent: int, today: date,
          warning_days: int = 7) -> str:
    return SIGNAL_COLOURS[signal(state, due_on, assigned_on, progress_percent, today, warning_days)]


def light_for(task: Task, today: date, warning_days: int = 7) -> str:
    return light(task.state, task.due_on, task.assigned_on, task.progress_percent, today, warning_days)


def signal_for(task: Task, today: date, warning_days: int = 7) -> str:
    return signal(task.state, task.due_on, task.assigned_on, task.progress_percent, today, warning_days)


class day_number(FunctionElement):
    """A date column as a day count (SQLite: the Julian day; PostgreSQL: days since 1970-01-01), so
    differences of two are whole days; ``day_number_of`` gives the same count for a Python date."""

    type = sa.Float()
    inherit_cache = True


@compiles(day_number)
def _day_number_sqlite(element, compiler, **kw):
    (column,) = list(element.clauses)
    return f"julianday({compiler.process(column, **kw)})"


@compiles(day_number, "postgresql")
def _day_number_pg(element, compiler, **kw):
    (column,) = list(element.clauses)
    return f"(CAST({compiler.process(column, **kw)} AS DATE) - DATE '1970-01-01')"


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: the Julian day number of 0001-01-01 at midnight minus its ordinal, as SQLite's julianday() counts
_JULIAN_OFFSET = 1721424.5


def day_number_of(day: date, dialect: str) -> float:
    """The ``day_number`` of a Python date, computed once per query instead of once per row."""
    if dialect == "postgresql":
        return float(day.toordinal() - _EPOCH_ORDINAL)
    return day.toordinal() + _JULIAN_OFFSET


def open_light_case(today: date, warning_days: int, red: Any, yellow: Any, green: Any,
                    behind_value: Any = None) -> ColumnElement:
    """The light of an open task row as a SQL CASE giving ``red``, ``yellow`` or ``green``.

    The same rule as ``light()`` in the order that makes each row cheap: the deadline tests are
    plain comparisons, and only a task more than ``warning_days`` away and assigned before today
    reaches the pace test. There today < due_on, so the elapsed days need no capping, and "behind
    pace", (progress + tolerance) * (due - assigned) < 100 * (today - assigned), is rearranged to
    read each date once: (progress + tolerance) * due + (100 - tolerance - progress) * assigned
    < 100 * today (exact: day numbers are whole or half days, far below 2**52). With
    ``behind_value`` a task behind pace gives it instead of ``yellow`` (the signal, not the colour).
    """
    warn_until = date.fromordinal(today.toordinal() + warning_days)
    today_number = day_number_of(today, db.engine.dialect.name)
    behind = ((Task.progress_percent + PACE_TOLERANCE) * day_number(Task.due_on)
              + (100 - PACE_TOLERANCE - Task.progress_percent) * day_number(Task.assigned_on)
              < sa.literal(100 * today_number, sa.Float))
    return sa.case(
        (Task.due_on < today, red),
        (Task.due_on <= warn_until, yellow),
        (Task.assigned_on >= today, green),
        (behind, yellow if behind_value is None else behind_value),
        else_=green,
    )


def light_expression(today: date, warning_days: int = 7) -> ColumnElement[str]:
    """The light of each task row as a SQL CASE, for filters and lists; the pace arithmetic runs
    only for the open rows that need it (see ``open_light_case``)."""
    return sa.case(
        (Task.state == TaskState.cancelled, sa.literal(NONE)),
        (Task.state == TaskState.completed, sa.literal(GREEN)),
        # every other state is open
        else_=open_light_case(today, warning_days, sa.literal(RED), sa.literal(YELLOW), sa.literal(GREEN)),
    )


def signal_expression(today: date, warning_days: int = 7) -> ColumnElement[str]:
    """``signal()`` as a SQL CASE: the light with the cause of a yellow one."""
    return sa.case(
        (Task.state == TaskState.cancelled, sa.literal(NONE)),
        (Task.state == TaskState.completed, sa.literal(GREEN)),
        else_=open_light_case(today, warning_days, sa.literal(RED), sa.literal(DUE_SOON), sa.literal(GREEN),
                              sa.literal(BEHIND)),
    )
