"""The SQL light agrees with the Python light over a grid of cases, on the current database."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import sqlalchemy as sa

from tracker.plans.models import Measure
from tracker.tasks.lights import light, light_expression
from tracker.tasks.models import Task, TaskState


def test_sql_and_python_lights_agree(db, people, plan):
    today = date(2026, 5, 1)
    states = list(TaskState)
    # due today, inside and at the edge of the warning window, and far away; assigned long ago,
    # yesterday, today, in the future and (with the near deadlines) after the deadline
    due_offsets = [-30, -1, 0, 1, 3, 4, 6, 7, 8, 9, 30, 120]
    assigned_offsets = [-200, -100, -60, -10, -1, 0, 1, 5, 150]
    progress = [0, 9, 10, 11, 50, 89, 90, 100]
    cases = list(itertools.product(states, due_offsets, assigned_offsets, progress))
    measure_rows = [{"plan_id": plan.id, "position": 100 + i, "level": 2, "number": str(i), "text": f"措施{i}",
                     "kind": "measure", "is_inline": False, "suggestions": {}} for i in range(len(cases))]
    db.session.execute(sa.insert(Measure), measure_rows)
    measure_ids = list(db.session.scalars(sa.select(Measure.id).where(Measure.position >= 100)
                                          .order_by(Measure.position)))
    rows = []
    for measure_id, (state, due, assigned, pct) in zip(measure_ids, cases, strict=True):
        due_on = today + timedelta(days=due)
        rows.append({"measure_id": measure_id, "plan_id": plan.id, "unit_id": people.unit.id, "state": state,
                     "due_on": due_on, "original_due_on": due_on, "assigned_on": today + timedelta(days=assigned),
                     "progress_percent": pct})
    db.session.execute(sa.insert(Task), rows)
    db.session.commit()
    for warning_days in (7, 3):
        got = dict(db.session.execute(sa.select(Task.id, light_expression(today, warning_days))).all())
        tasks = db.session.scalars(sa.select(Task)).all()
        assert len(tasks) == len(cases)
        mismatches = [
            (t.state, t.due_on, t.assigned_on, t.progress_percent, got[t.id])
            for t in tasks
            if got[t.id] != light(t.state, t.due_on, t.assigned_on, t.progress_percent, today, warning_days)
        ]
        assert mismatches == []
        assert set(got.values()) == {"red", "yellow", "green", "none"}


def test_pace_edges_in_python(db):
    today = date(2026, 5, 1)
    ip = TaskState.in_progress
    # 100 days from assignment to deadline, 60 gone: 49% lags by more than the 10 points, 50% lags
    # by exactly the tolerance and is not behind
    assert light(ip, today + timedelta(days=40), today - timedelta(days=60), 49, today) == "yellow"
    assert light(ip, today + timedelta(days=40), today - timedelta(days=60), 50, today) == "green"
    # assigned today or later, or a deadline before the assignment: never behind pace
    assert light(ip, today + timedelta(days=40), today, 0, today) == "green"
    assert light(ip, today + timedelta(days=40), today + timedelta(days=50), 0, today) == "green"
    # due today is yellow (not yet past), progress 100 does not change a deadline colour
    assert light(ip, today, today - timedelta(days=10), 100, today) == "yellow"
    assert light(ip, today - timedelta(days=1), today - timedelta(days=10), 100, today) == "red"
