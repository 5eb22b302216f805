"""A half year of real events for two units, made through the services (so the audit trail is real).

Period 2026-H1, scored on 2026-07-10 (as of 2026-06-30). 东城区:
  t1 due 03-31, accepted 03-20 (on time, 11 days early)
  t2 due 04-30, returned 04-25, accepted 05-05 (5 days late)
  t3 due 05-31, quarterly, never accepted (30 days past its deadline on 06-30), no Q1 report,
     listed on a 督办单 issued 05-10 (reply by 05-25) and not answered
  t4 due 06-30, listed on that 督办单 and answered 05-20, accepted 06-30 (on time, 0 days early)
西城区:
  u1 due 03-31, accepted 03-30 (on time, 1 day early)
  u2 due 04-30, accepted 04-10 (on time, 20 days early)
  u3 due 09-30 (outside the period)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tracker.notices import services as notice_services
from tracker.tasks import services as task_services
from tracker.tasks.models import ReportingPeriod, UnitRole

SCORED_AT = datetime(2026, 7, 10, 2, 0, tzinfo=UTC)


def at(month: int, day: int) -> datetime:
    """10:00 in Shanghai on that day of 2026."""
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


@dataclass
class World:
    people: Any
    plan: Any
    tasks: dict[str, Any]
    notice: Any


def _done(task, people, lead, month: int, day: int) -> None:
    if task.state.value in ("assigned", "returned"):
        task_services.start(task, actor=lead, now=at(month, day))
    task_services.submit(task, actor=lead, note="已按要求完成，请审核。", now=at(month, day))
    task_services.approve(task, actor=people.supervisor, now=at(month, day))


def build(db, make, people) -> World:
    plan = make.plan(supervisor=people.supervisor, measures=[
        ("一", "重点任务", 1), ("1", "成立工作专班。", 2), ("2", "完成图书采购。", 2), ("3", "建成便民服务中心。", 2),
        ("4", "完成年度培训。", 2), ("5", "推进老旧小区改造。", 2)])
    m = [x for x in plan.measures if x.level == 2]
    east, west = people.unit.id, people.other_unit.id
    start = at(1, 5)

    def give(measure, unit_id, due: date, period=ReportingPeriod.once):
        [task] = task_services.assign(plan, [measure.id], [unit_id], role=UnitRole.lead, due_on=due,
                                      reporting_period=period, evidence_required=False,
                                      actor=people.supervisor, now=start)
        # the unit acknowledges it (签收) the day it arrives, as units do
        task_services.acknowledge(task, actor=people.lead if unit_id == east else people.other_lead, now=start)
        return task

    t = {"t1": give(m[0], east, date(2026, 3, 31)), "t2": give(m[1], east, date(2026, 4, 30)),
         "t3": give(m[2], east, date(2026, 5, 31), ReportingPeriod.quarterly),
         "t4": give(m[3], east, date(2026, 6, 30)),
         "u1": give(m[0], west, date(2026, 3, 31)), "u2": give(m[1], west, date(2026, 4, 30)),
         "u3": give(m[4], west, date(2026, 9, 30))}
    lead, other = people.lead, people.other_lead
    _done(t["t1"], people, lead, 3, 20)
    _done(t["u1"], people, other, 3, 30)
    _done(t["u2"], people, other, 4, 10)
    task_services.start(t["t2"], actor=lead, now=at(4, 20))
    task_services.submit(t["t2"], actor=lead, note="已按要求完成，请审核。", now=at(4, 20))
    task_services.return_task(t["t2"], actor=people.supervisor, reason="材料不全。", now=at(4, 25))
    _done(t["t2"], people, lead, 5, 5)
    [notice] = notice_services.issue_notices("2026-H1", unit_ids=[east], actor=people.supervisor, now=at(5, 10))
    t4_item = next(i for i in notice.items if i.task_id == t["t4"].id)
    notice_services.answer_notice(notice, {t4_item.id: ("已完成主体工程。", 80)}, actor=lead, now=at(5, 20))
    _done(t["t4"], people, lead, 6, 30)
    db.session.commit()
    return World(people, plan, t, notice)
