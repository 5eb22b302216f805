"""未按时签收 against hand-computed examples: working days with the Spring Festival and its 调休
Saturday, a weekend 签收, a task never acknowledged, 重新交办, the backfill, a pending 退回交办;
and the SQL twin giving the same."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.scoring import world as w
from tracker.audit import AuditEntry
from tracker.extensions import db
from tracker.reports.bulletin import parse_period
from tracker.scoring import queries, services
from tracker.scoring.rules import check_rules, point_label
from tracker.tasks import services as task_services
from tracker.tasks.models import AckVia, ReportingPeriod, UnitRole

H1 = parse_period("2026-H1")
RULES = [{"kind": "unacknowledged", "points": 2, "days": 2}]


def at(month: int, day: int, hour: int = 2) -> datetime:
    """``hour`` UTC (10:00 in Shanghai by default) on that day of 2026."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def scene(db, make, people):
    """The scoring world (every task acknowledged the day it arrived) plus east's tasks:
      a  handed over Thu 02-12, 签收 Sat 02-14 (a 调休 working day: the 2nd)     on time
      b  handed over Thu 02-12, 签收 Tue 02-24 (Fri, Sat, then the holiday: the 3rd)  late
      c  handed over Fri 03-06, never acknowledged (the 3rd working day is Wed 03-11)  late
      d  handed over Wed 03-04, 签收 Sat 03-07 (after Thu and Fri: no working day lost) on time
      e  handed over Mon 03-02, cancelled, handed out again Wed 04-01, 签收 Fri 04-03  on time
      f  handed over Mon 03-02, 签收 Mon 03-16, then marked as backfilled            never counts
      g  handed over Wed 03-04 at 01:00 Shanghai time, refused the same day, pending  never counts
    """
    world = w.build(db, make, people)
    plan = make.plan(supervisor=people.supervisor, measures=[("一", "重点任务", 1)] + [
        (str(n), f"推进第{n}项签收工作。", 2) for n in range(1, 8)])
    measures = [m for m in plan.measures if m.level == 2]
    lead, supervisor = people.lead, people.supervisor

    def give(n: int, when: datetime):
        [task] = task_services.assign(plan, [measures[n].id], [people.unit.id], role=UnitRole.lead,
                                      due_on=date(2026, 9, 30), reporting_period=ReportingPeriod.once,
                                      evidence_required=False, actor=supervisor, now=when)
        return task

    t = {"a": give(0, at(2, 12)), "b": give(1, at(2, 12)), "c": give(2, at(3, 6)), "d": give(3, at(3, 4)),
         "e": give(4, at(3, 2)), "f": give(5, at(3, 2)), "g": give(6, at(3, 3, 17))}
    task_services.acknowledge(t["a"], actor=lead, now=at(2, 14))
    task_services.acknowledge(t["b"], actor=lead, now=at(2, 24))
    task_services.acknowledge(t["d"], actor=lead, now=at(3, 7))
    task_services.cancel(t["e"], actor=supervisor, reason="交办单位有误。", now=at(3, 3))
    task_services.reopen(t["e"], actor=supervisor, now=at(4, 1))
    task_services.acknowledge(t["e"], actor=lead, now=at(4, 3))
    task_services.acknowledge(t["f"], actor=lead, now=at(3, 16))
    t["f"].acknowledged_via = AckVia.backfill
    task_services.refuse(t["g"], actor=lead, reason="不属于本单位职责。", now=at(3, 4))
    db.session.commit()
    world.tasks.update(t)
    return world


def _ranking(rules=RULES, now=w.SCORED_AT):
    facts = queries.load_facts("year:2026", H1.key, H1.start, H1.end, now)
    return services.rank(facts, 0, check_rules(rules))


def _entry(task, action: str) -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id)).where(
        AuditEntry.action == action, AuditEntry.object_type == "task", AuditEntry.object_id == task.id))


def test_late_and_missing_acknowledgements_cost_their_points(scene):
    t = scene.tasks
    east = _ranking().unit(scene.people.unit.id)
    points = sorted((p.task_id, p.points, p.what, p.on.isoformat(), p.value, p.entry_id)
                    for p in east.rules["unacknowledged"].points)
    # c: working days after 03-06 up to 06-30: March 17, April 21 (04-06 清明 off), May 19 (05-01, 04
    # and 05 off, Saturday 05-09 worked), June 21 (06-19 端午 off) = 78
    assert points == sorted([
        (t["b"].id, -2, "acknowledged_late", "2026-02-24", 3, _entry(t["b"], "task.acknowledged")),
        (t["c"].id, -2, "unacknowledged", "2026-03-11", 78, _entry(t["c"], "task.assigned")),
    ])
    assert east.total == -4
    west = _ranking().unit(scene.people.other_unit.id)
    assert west.rules["unacknowledged"].points == []
    labels = [point_label(p) for p in sorted(east.rules["unacknowledged"].points, key=lambda p: p.on)]
    assert labels == ["交办后第 3 个工作日才签收", "交办已 78 个工作日仍未签收"]


def test_the_hand_over_comes_from_the_trail_not_the_moved_assigned_on(scene):
    t = scene.tasks
    # 签收 moved the day the unit's clock starts: the task no longer says when it was handed over
    assert t["b"].assigned_on == date(2026, 2, 24)
    # e was first handed over on 03-02 and acknowledged a month later, but 重新交办 on 04-01 handed it
    # over anew (and cleared its 签收): its 签收 on 04-03 is on time
    assert t["e"].acknowledged_at.date() == date(2026, 4, 3)
    late = {p.task_id for p in _ranking().unit(scene.people.unit.id).rules["unacknowledged"].points}
    assert t["e"].id not in late and t["a"].id not in late and t["d"].id not in late


def test_more_working_days_allowed_and_the_scoring_day(scene):
    t = scene.tasks
    # with 3 working days b (the 3rd) is on time; c is still late from 03-12 on
    east = _ranking([{"kind": "unacknowledged", "points": 1, "days": 3}]).unit(scene.people.unit.id)
    assert [(p.task_id, p.on.isoformat()) for p in east.rules["unacknowledged"].points] == [(t["c"].id, "2026-03-12")]
    # c's two working days are 03-09 and 03-10: scored late on 03-10 (Shanghai) only b counts; from
    # 03-11 on, a 签收 would be late, so c counts. e, unacknowledged then, is left out: it was
    # cancelled and handed out again after the scoring day, which cleared what the task knew
    for now, expected in ((at(3, 10, 15), 1), (at(3, 10, 16), 2)):
        east = _ranking(now=now).unit(scene.people.unit.id)
        assert east.rules["unacknowledged"].count == expected


def test_the_sql_twin_gives_the_same(scene):
    period = H1
    for rules in (RULES, [{"kind": "unacknowledged", "points": 0.5, "days": 0, "cap": 1}]):
        checked = check_rules(rules)
        for now in (w.SCORED_AT, at(3, 10, 16), at(2, 24, 1)):
            by_points = services.rank(queries.load_facts("year:2026", H1.key, H1.start, H1.end, now), 0, checked)
            in_sql = services.rank_in_sql(queries.fact_sources("year:2026", H1.start, H1.end, now), period, 0,
                                          checked)
            assert [(u.unit_id, u.total, u.rules["unacknowledged"].count) for u in in_sql.units] == [
                (u.unit_id, u.total, u.rules["unacknowledged"].count) for u in by_points.units]
    # on 02-24 with no working day allowed: a (签收 on the 2nd) and b
    assert by_points.unit(scene.people.unit.id).rules["unacknowledged"].count == 2


def test_the_sql_twin_over_a_chosen_span_of_three_years(scene):
    # 1,095 days of working-day numbers: more selects than SQLite takes in one compound
    span = parse_period(None, "2025-01-01", "2027-12-31")
    checked = check_rules(RULES)
    now = datetime(2027, 12, 31, 2, tzinfo=UTC)
    by_points = services.rank(queries.load_facts("year:2026", span.key, span.start, span.end, now), 0, checked)
    in_sql = services.rank_in_sql(queries.fact_sources("year:2026", span.start, span.end, now), span, 0, checked)
    east = in_sql.unit(scene.people.unit.id)
    assert (east.total, east.rules["unacknowledged"].count) == (-4, 2)
    assert [(u.unit_id, u.total) for u in in_sql.units] == [(u.unit_id, u.total) for u in by_points.units]


def test_a_rule_with_a_negative_or_fractional_time_limit_is_refused(scene):
    from tracker.scoring.rules import RuleError

    for days, message in ((-1, "不能为负数"), (1.5, "须为 0 到 3650 之间的整数")):
        with pytest.raises(RuleError, match=message):
            check_rules([{"kind": "unacknowledged", "points": 1, "days": days}])
