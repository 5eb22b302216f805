"""Progress classes (序时进度) at their boundaries, and the SQL twin agreeing with the Python rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.tasks.filters import filter_conditions, parse_filters
from tracker.tasks.models import Task, TaskState
from tracker.tasks.progress import AHEAD, BEHIND, DONE, NONE, ON_PACE, progress_class, progress_expression

A, D = date(2026, 1, 1), date(2026, 5, 1)  # 120 days: day 60 is half the time


@pytest.mark.parametrize(("today", "percent", "expected"), [
    (date(2026, 3, 2), 50, ON_PACE),   # 60 of 120 days: 50% expected
    (date(2026, 3, 2), 55, ON_PACE),   # exactly the margin above
    (date(2026, 3, 2), 56, AHEAD),
    (date(2026, 3, 2), 45, ON_PACE),   # exactly the margin below
    (date(2026, 3, 2), 44, BEHIND),
    (date(2025, 12, 20), 0, ON_PACE),  # before assignment: nothing expected
    (date(2025, 12, 20), 6, AHEAD),
    (A, 5, ON_PACE),                   # the first day
    (D, 95, ON_PACE),                  # the deadline day: all the time has passed
    (D, 94, BEHIND),
    (date(2026, 6, 1), 100, ON_PACE),  # overdue but all done, waiting for acceptance
    (date(2026, 6, 1), 0, BEHIND),
])
def test_open_task_classes_at_the_boundaries(today, percent, expected):
    assert progress_class(TaskState.in_progress, A, D, percent, today) == expected


def test_done_cancelled_and_a_task_due_the_day_it_was_given():
    assert progress_class(TaskState.completed, A, D, 10, date(2026, 9, 1)) == DONE
    assert progress_class(TaskState.cancelled, A, D, 10, date(2026, 2, 1)) == NONE
    assert progress_class(TaskState.assigned, A, A, 0, date(2025, 12, 31)) == ON_PACE
    assert progress_class(TaskState.assigned, A, A, 0, A) == BEHIND


def test_the_sql_twin_gives_the_same_class(db, assigned_task):
    task = assigned_task
    today = date(2026, 3, 2)
    cases = []
    for state in (TaskState.assigned, TaskState.in_progress, TaskState.returned, TaskState.completed,
                  TaskState.cancelled):
        for assigned_days in (-130, -120, -61, -60, -59, -1, 0, 1):
            for span in (-3, 0, 1, 60, 120):
                for percent in (0, 5, 6, 44, 45, 49, 50, 51, 55, 56, 94, 95, 100):
                    cases.append((state, today + timedelta(days=assigned_days),
                                  today + timedelta(days=assigned_days + span), percent))
    expression = progress_expression(today)
    mismatches = []
    for state, assigned_on, due_on, percent in cases:
        db.session.execute(sa.update(Task).where(Task.id == task.id).values(
            state=state, assigned_on=assigned_on, due_on=due_on, progress_percent=percent))
        got = db.session.scalar(sa.select(expression).where(Task.id == task.id))
        want = progress_class(state, assigned_on, due_on, percent, today)
        if got != want:
            mismatches.append((state.value, assigned_on, due_on, percent, got, want))
    assert len(cases) > 2000
    assert not mismatches, mismatches[:10]


def test_the_list_filter(db, assigned_task):
    from tracker.errors import UserError

    today = date(2026, 6, 1)
    db.session.execute(sa.update(Task).where(Task.id == assigned_task.id).values(progress_percent=20))
    behind = parse_filters({"progress": "behind"})
    ahead = parse_filters({"progress": "ahead"})
    count = lambda f: db.session.scalar(sa.select(sa.func.count()).select_from(Task)  # noqa: E731
                                        .where(*filter_conditions(f, today)))
    assert count(behind) == 1 and count(ahead) == 0
    assert behind.as_args() == {"progress": "behind"}
    with pytest.raises(UserError, match="未知的序时进度"):
        parse_filters({"progress": "fast"})
