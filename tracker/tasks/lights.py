"""Status lights (红黄绿灯), in Python for one task and in SQL for aggregates; one rule, two forms.

Red: open and past its deadline (the deadline in force, i.e. after an approved extension).
Yellow: open and due within the warning window, or behind the expected pace: the share of the
time from assignment to deadline that has elapsed exceeds the progress the unit reported by more
than the tolerance. Green: open and on track, or completed. None (grey): cancelled.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from tracker.db import db
from tracker.tasks.models import Task, TaskState

GREEN, YELLOW, RED, NONE = "green", "yellow", "red", "none"
LIGHTS = (RED, YELLOW, GREEN, NONE)
#: percentage points a unit may lag the elapsed time before the light turns yellow
PACE_TOLERANCE = 10


def behind_pace(assigned_on: date, due_on: date, progress_percent: int, today: date,
                tolerance: int = PACE_TOLERANCE) -> bool:
    span = (due_on - assigned_on).days
    if span <= 0:
        return False
    elapsed = min(max((today - assigned_on).days, 0), span)
    return progress_percent * span < elapsed * 100 - tolerance * span


def light(state: TaskState, due_on: date, assigned_on: date, progress_percent: int, today: date,
          warning_days: int = 7) -> str:
    if state is TaskState.cancelled:
        return NONE
    if state is TaskState.completed:
        return GREEN
    if today > due_on:
        return RED
    if (due_on - today).days <= warning_days:
        return YELLOW
    if behind_pace(assigned_on, due_on, progress_percent, today):
        return YELLOW
    return GREEN


def light_for(task: Task, today: date, warning_days: int = 7) -> str:
    return light(task.state, task.due_on, task.assigned_on, task.progress_percent, today, warning_days)


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


def light_expression(today: date, warning_days: int = 7) -> ColumnElement[str]:
    """The light of each task row as a SQL CASE, for GROUP BY and filters.

    The same rule as ``light()`` in the order that makes each row cheap: the state and deadline
    tests are plain comparisons, and only an open task more than ``warning_days`` away, assigned
    before today, reaches the pace test (two day numbers). There today < due_on, so the elapsed
    days need no capping and "behind pace" is exactly (progress + tolerance) * span < 100 * elapsed.
    """
    warn_until = date.fromordinal(today.toordinal() + warning_days)
    assigned = day_number(Task.assigned_on)
    today_number = sa.literal(day_number_of(today, db.engine.dialect.name), sa.Float)
    behind = ((Task.progress_percent + PACE_TOLERANCE) * (day_number(Task.due_on) - assigned)
              < 100 * (today_number - assigned))
    return sa.case(
        (Task.state == TaskState.cancelled, sa.literal(NONE)),
        (Task.state == TaskState.completed, sa.literal(GREEN)),
        # every other state is open
        (Task.due_on < today, sa.literal(RED)),
        (Task.due_on <= warn_until, sa.literal(YELLOW)),
        (Task.assigned_on >= today, sa.literal(GREEN)),
        (behind, sa.literal(YELLOW)),
        else_=sa.literal(GREEN),
    )
