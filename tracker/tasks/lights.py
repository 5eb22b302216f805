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

from tracker.tasks.models import OPEN_STATES, Task, TaskState

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


class days_between(FunctionElement):
    """Whole days from ``start`` to ``end`` (two date columns or values), on SQLite and PostgreSQL."""

    type = sa.Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(CAST(julianday({compiler.process(end, **kw)}) AS INTEGER) - " \
           f"CAST(julianday({compiler.process(start, **kw)}) AS INTEGER))"


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(CAST({compiler.process(end, **kw)} AS DATE) - CAST({compiler.process(start, **kw)} AS DATE))"


def light_expression(today: date, warning_days: int = 7) -> ColumnElement[str]:
    """The light of each task row as a SQL CASE, for GROUP BY and filters."""
    is_open = Task.state.in_(OPEN_STATES)
    warn_until = date.fromordinal(today.toordinal() + warning_days)
    span = days_between(Task.assigned_on, Task.due_on)
    elapsed = days_between(Task.assigned_on, sa.literal(today, sa.Date))
    elapsed_capped = sa.case((elapsed > span, span), (elapsed < 0, 0), else_=elapsed)
    pace_behind = sa.and_(span > 0,
                          Task.progress_percent * span < elapsed_capped * 100 - PACE_TOLERANCE * span)
    return sa.case(
        (Task.state == TaskState.cancelled, sa.literal(NONE)),
        (Task.state == TaskState.completed, sa.literal(GREEN)),
        (sa.and_(is_open, Task.due_on < today), sa.literal(RED)),
        (sa.and_(is_open, Task.due_on <= warn_until), sa.literal(YELLOW)),
        (sa.and_(is_open, pace_behind), sa.literal(YELLOW)),
        else_=sa.literal(GREEN),
    )
