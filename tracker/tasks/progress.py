"""Progress classes (序时进度): how an open task's reported progress stands against the share of
its time (assignment to deadline in force) that has passed; in Python for one task and in SQL for
counts and filters, one rule in two forms.

- 已完成 (done): the task was accepted.
- 超进度 (ahead): progress more than ``MARGIN`` points above the elapsed share.
- 欠进度 (behind): progress more than ``MARGIN`` points below it.
- 达进度 (on pace): within ``MARGIN`` points either way.
A cancelled task has no class. Before its first day the elapsed share is 0; from its deadline on
it is 100, so an overdue task is behind unless it reports (nearly) all done.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.sql.expression import ColumnElement

from tracker.db import db
from tracker.tasks.lights import day_number, day_number_of
from tracker.tasks.models import Task, TaskState

AHEAD, ON_PACE, BEHIND, DONE, NONE = "ahead", "on_pace", "behind", "done", "none"
CLASSES = (AHEAD, ON_PACE, BEHIND, DONE)
LABELS = {AHEAD: _l("超进度"), ON_PACE: _l("达进度"), BEHIND: _l("欠进度"), DONE: _l("已完成"), NONE: _l("已撤销")}
#: percentage points either side of the elapsed share that still count as on pace
MARGIN = 5


def progress_class(state: TaskState, assigned_on: date, due_on: date, progress_percent: int, today: date) -> str:
    if state is TaskState.cancelled:
        return NONE
    if state is TaskState.completed:
        return DONE
    span = (due_on - assigned_on).days
    if span <= 0 or today >= due_on:
        elapsed, span = (1, 1) if today >= due_on else (0, 1)
    else:
        elapsed = max((today - assigned_on).days, 0)
    # progress/100 against elapsed/span, in whole numbers: no rounding at the boundaries
    lead = progress_percent * span - 100 * elapsed
    if lead > MARGIN * span:
        return AHEAD
    if lead < -MARGIN * span:
        return BEHIND
    return ON_PACE


def progress_class_for(task: Task, today: date) -> str:
    return progress_class(task.state, task.assigned_on, task.due_on, task.progress_percent, today)


def progress_expression(today: date) -> ColumnElement[str]:
    """``progress_class`` of each task row as a SQL CASE."""
    today_number = sa.literal(day_number_of(today, db.engine.dialect.name), sa.Float)
    span = day_number(Task.due_on) - day_number(Task.assigned_on)
    lead = Task.progress_percent * span - 100 * (today_number - day_number(Task.assigned_on))
    return sa.case(
        (Task.state == TaskState.cancelled, sa.literal(NONE)),
        (Task.state == TaskState.completed, sa.literal(DONE)),
        # from the deadline on (or a task with no span) the whole time has passed
        (Task.due_on <= today, sa.case((Task.progress_percent < 100 - MARGIN, sa.literal(BEHIND)),
                                       else_=sa.literal(ON_PACE))),
        # not started yet (or a deadline on the day of assignment, still ahead): nothing has passed
        (sa.or_(Task.assigned_on >= today, Task.due_on <= Task.assigned_on),
         sa.case((Task.progress_percent > MARGIN, sa.literal(AHEAD)), else_=sa.literal(ON_PACE))),
        (lead > MARGIN * span, sa.literal(AHEAD)),
        (lead < -MARGIN * span, sa.literal(BEHIND)),
        else_=sa.literal(ON_PACE),
    )
