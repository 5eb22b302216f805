"""Tasks in every state for the report tests, spread over two units and two plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker.plans.models import Measure, Plan
from tracker.tasks.models import Evidence, ProgressReport, ReportingPeriod, Task, TaskState, UnitRole


@dataclass
class Seeded:
    plan: Plan
    other_plan: Plan
    tasks: list[Task]


def add_task(db, measure: Measure, unit, *, state=TaskState.in_progress, due: date, original: date | None = None,
             assigned: date = date(2026, 1, 10), completed_at: datetime | None = None, returns: int = 0,
             progress: int = 0, period=ReportingPeriod.once, role=UnitRole.lead, owner=None,
             progress_text: str | None = None) -> Task:
    task = Task(measure_id=measure.id, plan_id=measure.plan_id, unit_id=unit.id, role=role, state=state,
                due_on=due, original_due_on=original or due, assigned_on=assigned, completed_at=completed_at,
                return_count=returns, progress_percent=progress, reporting_period=period,
                owner_id=owner.id if owner else None, last_progress_text=progress_text)
    db.session.add(task)
    db.session.flush()
    return task


@pytest.fixture
def seeded(db, make, people, now) -> Seeded:
    """``now`` is 2026-03-02 in Shanghai. The plan's measures: 一 / 1 / 2 / 二 / 1."""
    plan = make.plan(supervisor=people.supervisor)
    other = make.plan("2026年营商环境优化方案", supervisor=None,
                      measures=[("一", "优化审批流程", 1), ("1", "压缩审批时限至5个工作日。", 2)])
    m = {x.position: x for x in db.session.scalars(sa.select(Measure).where(Measure.plan_id == plan.id))}
    om = {x.position: x for x in db.session.scalars(sa.select(Measure).where(Measure.plan_id == other.id))}
    east, west = people.unit, people.other_unit
    done_on_time = datetime(2026, 2, 10, 8, 0, tzinfo=UTC)
    # completed at 23:30 Shanghai on the deadline day (15:30 UTC): still on time in local time
    done_late_utc_same_day = datetime(2026, 2, 20, 15, 30, tzinfo=UTC)
    done_late = datetime(2026, 2, 25, 3, 0, tzinfo=UTC)
    tasks = [
        add_task(db, m[1], east, state=TaskState.completed, due=date(2026, 2, 15), completed_at=done_on_time,
                 owner=people.member, progress_text="已成立工作专班。"),
        add_task(db, m[1], west, state=TaskState.completed, due=date(2026, 2, 20),
                 completed_at=done_late_utc_same_day),
        add_task(db, m[2], east, state=TaskState.completed, due=date(2026, 2, 20), completed_at=done_late,
                 returns=1),
        # overdue (red)
        add_task(db, m[2], west, state=TaskState.in_progress, due=date(2026, 2, 26), returns=2,
                 period=ReportingPeriod.quarterly),
        # extended: original deadline passed, the deadline in force not yet; due soon (yellow)
        add_task(db, m[4], east, state=TaskState.returned, due=date(2026, 3, 5), original=date(2026, 2, 28),
                 returns=1, progress=50, progress_text="=HYPERLINK(\"http://example.cn\")"),
        # green: far away and on pace
        add_task(db, m[4], west, state=TaskState.submitted, due=date(2026, 12, 31), progress=90,
                 role=UnitRole.support),
        # yellow by pace: half the time gone, nothing done
        add_task(db, om[1], east, state=TaskState.assigned, due=date(2026, 4, 21), assigned=date(2026, 1, 11),
                 period=ReportingPeriod.monthly),
        add_task(db, om[1], west, state=TaskState.cancelled, due=date(2026, 2, 1)),
    ]
    db.session.add(ProgressReport(task_id=tasks[0].id, text="召开专题会议，明确责任分工。", period_key=None,
                                  created_at=datetime(2026, 2, 1, 2, 0, tzinfo=UTC)))
    db.session.add(Evidence(task_id=tasks[0].id, original_name="专班成立通知.pdf", stored_name="a" * 32,
                            content_type="application/pdf", size=10, sha256="0" * 64))
    db.session.add(Evidence(task_id=tasks[0].id, original_name="会议纪要.docx", stored_name="b" * 32,
                            content_type="application/pdf", size=10, sha256="0" * 64))
    db.session.commit()
    return Seeded(plan, other, tasks)


@pytest.fixture
def day_after(now) -> datetime:
    return now + timedelta(days=1)
