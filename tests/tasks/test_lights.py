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
    due_offsets = [-30, -1, 0, 1, 6, 7, 8, 30, 120]
    assigned_offsets = [-200, -60, -10, 0, 5]
    progress = [0, 10, 50, 90, 100]
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
