"""The task tally against a recount from the tasks, after random runs of the task services."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.errors import UserError
from tracker.reports import queries
from tracker.tally import services as tally
from tracker.tally.models import TaskTally
from tracker.tasks import services as task_services
from tracker.tasks.models import ReportingPeriod, Task, TaskState, UnitRole


def _assign(db, plan, people, rng, now):
    measures = [m.id for m in plan.measures if m.level == 2]
    units = [people.unit.id, people.other_unit.id]
    return task_services.assign(
        plan, rng.sample(measures, rng.randint(1, len(measures))), rng.sample(units, rng.randint(1, 2)),
        role=UnitRole.lead, due_on=(now + timedelta(days=rng.randint(1, 120))).date(),
        reporting_period=rng.choice(list(ReportingPeriod)), evidence_required=False, actor=people.supervisor,
        now=now)


def _worker(task, people):
    return people.lead if task.unit_id == people.unit.id else people.other_lead


def _step(db, plan, people, rng, now) -> None:
    tasks = list(db.session.scalars(sa.select(Task).order_by(Task.id)))
    op = rng.choice(["assign", "start", "progress", "progress", "submit", "approve", "return", "cancel", "reopen",
                     "deadline", "bulk", "delete", "start", "submit", "approve", "plan"] if tasks else ["assign"])
    task = rng.choice(tasks) if tasks else None
    if op == "assign":
        _assign(db, plan, people, rng, now)
    elif op == "start":
        task_services.start(task, actor=_worker(task, people), now=now)
    elif op == "progress":
        task_services.report_progress(task, actor=_worker(task, people), text="已推进。", percent=rng.randint(0, 100),
                                      now=now)
    elif op == "submit":
        task_services.submit(task, actor=_worker(task, people), now=now)
    elif op == "approve":
        task_services.approve(task, actor=people.supervisor, now=now)
    elif op == "return":
        task_services.return_task(task, actor=people.supervisor, reason="材料不全。", now=now)
    elif op == "cancel":
        task_services.cancel(task, actor=people.supervisor, reason="不再实施。", now=now)
    elif op == "reopen":
        task_services.reopen(task, actor=people.supervisor, now=now)
    elif op == "deadline":
        task_services.change_deadline(task, (now + timedelta(days=rng.randint(-5, 60))).date(),
                                      actor=people.supervisor, now=now)
    elif op == "plan":
        # a plan deleted or restored: its tasks leave or rejoin the per-unit rows
        plan.is_deleted = not plan.is_deleted
        db.session.flush()
    elif op == "bulk":
        # an ORM bulk statement: no instance is flushed, the statement's rows are recounted
        db.session.execute(sa.update(Task).where(Task.unit_id == task.unit_id)
                           .values(progress_percent=rng.randint(0, 100), due_on=task.due_on + timedelta(days=1)))
    else:
        db.session.delete(task)
        db.session.flush()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tally_equals_a_recount_after_random_service_calls(db, make, people, now, seed):
    rng = random.Random(seed)
    plan = make.plan(supervisor=people.supervisor)
    other = make.plan("2026年营商环境优化方案", supervisor=people.supervisor)
    at = now
    for _ in range(120):
        at += timedelta(hours=rng.randint(1, 72))
        try:
            with db.session.begin_nested():
                _step(db, rng.choice([plan, other]), people, rng, at)
        except UserError:
            pass  # refused: the savepoint took its tally rows back with it
        if rng.random() < .2:
            db.session.commit()
    db.session.commit()
    connection = db.session.connection()
    assert tally.differences(connection) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskTally)) > 0
    for later in (0, 3, 20, 90, 200):
        moment = at + timedelta(days=later)
        for user in (people.admin, people.supervisor):
            assert queries.dashboard(user, moment) == queries.dashboard_recount(user, moment)
            assert queries.dashboard(user, moment, plan.id) == queries.dashboard_recount(user, moment, plan.id)
        for unit in ("week", "month"):
            assert queries.trend(people.admin, moment, unit) == queries.trend_recount(people.admin, moment, unit)


def test_a_refused_change_leaves_the_tally_alone(db, assigned_task, people, now):
    before = tally.stored(db.session.connection())
    with pytest.raises(UserError):
        task_services.approve(assigned_task, actor=people.supervisor, now=now)
    db.session.rollback()
    assert tally.stored(db.session.connection()) == before


def test_rebuild_restores_a_damaged_tally(db, assigned_task, people, now):
    task_services.start(assigned_task, actor=people.lead, now=now)
    db.session.commit()
    db.session.execute(sa.update(TaskTally).values(tasks=TaskTally.tasks + 5))
    assert tally.differences(db.session.connection())
    tally.rebuild(db.session.connection())
    assert tally.differences(db.session.connection()) == []


def test_light_from_matches_the_light_rule():
    from tracker.tasks.lights import light

    due, assigned = date(2026, 9, 30), date(2026, 1, 10)
    for progress in (0, 15, 50, 89, 90, 100):
        first = date.fromordinal(tally.light_from(due, assigned, progress, 7))
        for day in (first - timedelta(days=1), first):
            colour = light(TaskState.in_progress, due, assigned, progress, day, 7)
            assert (colour != "green") == (day >= first), (progress, day, colour)


def test_an_orm_bulk_insert_of_tasks_is_counted(db, make, people, now):
    plan = make.plan(supervisor=people.supervisor)
    measures = [m for m in plan.measures if m.level == 2]
    db.session.execute(sa.insert(Task), [
        {"measure_id": m.id, "plan_id": plan.id, "unit_id": people.unit.id, "due_on": date(2026, 3, 1),
         "original_due_on": date(2026, 3, 1), "assigned_on": date(2026, 1, 10),
         "reporting_period": ReportingPeriod.quarterly} for m in measures])
    db.session.commit()
    assert tally.differences(db.session.connection()) == []
    assert queries.dashboard(people.admin, now).overall.overdue == len(measures)


def test_columns_first_set_in_the_transaction_that_inserted_the_task(db, make, people, now):
    """A task assigned, acknowledged, worked on and accepted before any commit: its 签收 and
    completion times were never on the object until set (the row holds NULL), and the tally moves
    them out of 未签收 and into the done and late counts like any other change."""
    plan = make.plan(supervisor=people.supervisor)
    measure = [m for m in plan.measures if m.kind.value != "heading"][0]
    [task] = task_services.assign(plan, [measure.id], [people.unit.id], role=UnitRole.lead,
                                  due_on=now.date() + timedelta(days=3), reporting_period=ReportingPeriod.monthly,
                                  evidence_required=False, actor=people.supervisor, now=now)
    later = now + timedelta(days=10)
    task_services.start(task, actor=people.lead, now=later)
    task_services.report_progress(task, actor=people.lead, text="已完成。", percent=100, now=later)
    task_services.submit(task, actor=people.lead, now=later)
    task_services.approve(task, actor=people.supervisor, now=later)
    db.session.flush()
    assert tally.differences(db.session.connection()) == []
