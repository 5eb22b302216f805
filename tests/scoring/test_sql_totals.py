"""The rules' SQL twins give every unit the same points per rule, counts, totals and ranks as the
points made one by one, on the hand-computed scene and on a randomized history."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.scoring import world as w
from tracker.audit import AuditEntry
from tracker.notices.models import NoticeItem, NoticeKind, SupervisionNotice
from tracker.reports.bulletin import parse_period
from tracker.scoring import queries, services
from tracker.scoring.rules import KINDS, TWINS, check_rules
from tracker.tasks.models import (
    AckVia,
    ProgressReport,
    RefusalState,
    ReportingPeriod,
    Task,
    TaskRefusal,
    TaskState,
    UnitRole,
)

RULE_SETS = [
    [{"kind": "on_time", "points": 1.5}, {"kind": "late", "points": 0.5, "per": "day", "cap": 10},
     {"kind": "returned", "points": 2, "cap": 3}, {"kind": "missing_report", "points": 10},
     {"kind": "notice_late", "points": 0.25}, {"kind": "threshold", "threshold": 62.5, "points": 0.5},
     {"kind": "early", "points": 0.5, "days": 7}, {"kind": "unacknowledged", "points": 1, "days": 2}],
    [{"kind": "late", "points": 1, "per": "task"}, {"kind": "unacknowledged", "points": 0.75, "days": 0, "cap": 4},
     {"kind": "threshold", "threshold": 100, "points": 0.33},
     {"kind": "early", "points": 1, "days": 0, "cap": 1}],
    [{"kind": "threshold", "threshold": 0, "points": 1}, {"kind": "on_time", "points": 0}],
]


def _rule_sets() -> list[list[dict]]:
    from tracker.scoring.rules import DEFAULT_RULES

    return [check_rules(DEFAULT_RULES + [{"kind": "early", "points": 0.5, "days": 7},
                                         {"kind": "unacknowledged", "points": 1.5, "days": 5}])] + [
        check_rules(r) for r in RULE_SETS]


def _summary(ranking: services.Ranking) -> list[tuple]:
    return [(u.unit_id, u.unit_name, u.rank, u.total,
             sorted((k, t.raw, t.counted, t.count) for k, t in u.rules.items())) for u in ranking.units]


def _assert_same(scope: str, period_key: str, now: datetime) -> int:
    """Both paths under every rule set; the number of points compared."""
    period = parse_period(period_key)
    facts = queries.load_facts(scope, period.key, period.start, period.end, now)
    sources = queries.fact_sources(scope, period.start, period.end, now)
    compared = 0
    for rules in _rule_sets():
        by_points = services.rank(facts, 100, rules, scope)
        in_sql = services.rank_in_sql(sources, period, 100, rules, scope)
        assert _summary(in_sql) == _summary(by_points)
        assert in_sql.as_of == by_points.as_of
        for unit in by_points.units:
            for total in unit.rules.values():
                # the listed points add up to what the ranking counts
                assert total.count == len(total.points)
                assert total.raw == round(sum(p.points for p in total.points), 2)
                compared += total.count
    return compared


def test_every_kind_has_a_sql_twin():
    assert set(TWINS) == set(KINDS)


@pytest.mark.parametrize("now", [w.SCORED_AT, datetime(2026, 4, 1, 2, tzinfo=UTC),
                                 datetime(2026, 5, 26, 17, tzinfo=UTC)])
def test_sql_totals_equal_the_points_on_the_hand_computed_scene(db, make, people, now):
    w.build(db, make, people)
    assert _assert_same("year:2026", "2026-H1", now) > 0


def test_sql_totals_on_the_scene_by_default_rules(db, make, people):
    scene = w.build(db, make, people)
    period = parse_period("2026-H1")
    ranking = services.scores(services.parse_scope("year:2026", w.SCORED_AT), period, now=w.SCORED_AT, base=100)
    east = ranking.unit(scene.people.unit.id)
    # the hand-computed figures of test_scores.test_default_rules_rank_the_units, from SQL
    assert (east.total, east.rank, ranking.unit(scene.people.other_unit.id).total) == (67, 2, 102)
    assert all(t.points == [] for t in east.rules.values()) and east.point_count == 8


def _random_history(db, make, people, rng: random.Random) -> None:
    """Six units, 150 tasks of every state and reporting period, acceptances (some before the
    audit trail, some after the scoring day), returns, periodic reports, 督办单 answered on
    time, late or never, and 签收 on time, late, never, by the backfill, after 重新交办 or with a
    退回交办 pending (hand-overs from the audit trail, or from the task's record without one)."""
    units = [people.unit, people.other_unit] + [make.unit() for _i in range(4)]
    plan = make.plan(supervisor=people.supervisor, measures=[("一", "重点任务", 1)] + [
        (str(n), f"推进第{n}项工作。", 2) for n in range(1, 26)])
    measures = [m for m in plan.measures if m.level == 2]
    actor = people.supervisor
    tasks = []
    for n in range(150):
        measure, unit = measures[n // len(units)], units[n % len(units)]
        assigned = date(2025, 12, 1) + timedelta(days=rng.randint(0, 150))
        due = assigned + timedelta(days=rng.randint(-5, 200))
        state = rng.choice([TaskState.completed] * 3 + [TaskState.in_progress, TaskState.submitted,
                                                         TaskState.returned, TaskState.cancelled])
        # accepted on the deadline, a day either side, a week early, or any day
        done = rng.choice((due, due + timedelta(days=1), due - timedelta(days=1), due - timedelta(days=7),
                           assigned + timedelta(days=rng.randint(0, 220))))
        done_at = datetime(done.year, done.month, done.day, rng.choice((1, 15, 17)), tzinfo=UTC)
        period = rng.choice(list(ReportingPeriod))
        task = Task(measure_id=measure.id, plan_id=plan.id, unit_id=unit.id, role=UnitRole.lead, state=state,
                    due_on=due + timedelta(days=rng.choice((0, 0, 30))), original_due_on=due, assigned_on=assigned,
                    reporting_period=period, return_count=0,
                    completed_at=done_at if state == TaskState.completed else None)
        db.session.add(task)
        db.session.flush()
        tasks.append(task)
        _random_hand_over(db, task, actor, assigned, rng)
        if state == TaskState.completed and rng.random() < .85:
            db.session.add(AuditEntry(actor_id=actor.id, action="task.approved", object_type="task",
                                      object_id=task.id, data={}, at=done_at))
        for _r in range(rng.choice((0, 0, 1, 2))):
            day = assigned + timedelta(days=rng.randint(0, 200))
            db.session.add(AuditEntry(actor_id=actor.id, action="task.returned", object_type="task",
                                      object_id=task.id, data={},
                                      at=datetime(day.year, day.month, day.day, rng.choice((3, 16, 23)), tzinfo=UTC)))
        if period != ReportingPeriod.once:
            for key in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-Q1", "2026-H1", "2025", "2026-W05",
                        "2026-W10", "2025-12", "2025-Q4"):
                if rng.random() < .3:
                    db.session.add(ProgressReport(task_id=task.id, text="按计划推进。", period_key=key,
                                                  created_at=datetime(2026, 4, 2, tzinfo=UTC)))
        # other objects' events with the same ids must not count
        db.session.add(AuditEntry(actor_id=actor.id, action="task.approved", object_type="plan", object_id=task.id,
                                  data={}, at=datetime(2026, 3, 1, tzinfo=UTC)))
    for serial, unit in enumerate(units, start=1):
        reply_by = date(2026, 3, 1) + timedelta(days=rng.randint(0, 120))
        notice = SupervisionNotice(kind=NoticeKind.supervision, unit_id=unit.id, period_key="2026-H1",
                                   series="supervision", doc_code="督办", year=2026, serial=serial,
                                   issued_on=reply_by - timedelta(days=15), reply_by=reply_by, requirements="",
                                   issuer_name="督查室")
        db.session.add(notice)
        db.session.flush()
        db.session.add(AuditEntry(actor_id=actor.id, action="notice.issued", object_type="supervision_notice",
                                  object_id=notice.id, data={}, at=datetime(2026, 2, 1, tzinfo=UTC)))
        for position, task in enumerate([t for t in tasks if t.unit_id == unit.id][:8], start=1):
            answered = rng.choice((None, reply_by - timedelta(days=2), reply_by, reply_by + timedelta(days=1)))
            db.session.add(NoticeItem(notice_id=notice.id, task_id=task.id, position=position, snapshot={},
                                      answered_at=None if answered is None else datetime(
                                          answered.year, answered.month, answered.day, rng.choice((2, 15, 16)),
                                          tzinfo=UTC)))
    db.session.commit()


def _random_hand_over(db, task: Task, actor, assigned: date, rng: random.Random) -> None:
    """The hand-over (an hour that is the next day in Shanghai, sometimes), maybe an edit of the
    assignment and a 重新交办 later, then a 签收 the same day, a few days on, never, or backfilled."""
    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, rng.choice((1, 9, 16, 17)), tzinfo=UTC)

    handed = at(assigned)
    if rng.random() < .9:
        db.session.add(AuditEntry(actor_id=actor.id, action="task.assigned", object_type="task", object_id=task.id,
                                  data={}, at=handed))
    else:
        task.created_at = handed
    if rng.random() < .2:
        # an edit of the assignment: not a new hand-over
        db.session.add(AuditEntry(actor_id=actor.id, action="task.assigned", object_type="task", object_id=task.id,
                                  data={"updated": True}, at=at(assigned + timedelta(days=rng.randint(1, 20)))))
    if rng.random() < .12:
        handed = at(assigned + timedelta(days=rng.randint(1, 40)))
        db.session.add(AuditEntry(actor_id=actor.id, action="task.reopened", object_type="task", object_id=task.id,
                                  data={}, at=handed))
    wait = rng.choice((None, None, 0, 0, 1, 2, 3, 4, 5, 6, 8, 12, "backfill"))
    if wait is None:
        if rng.random() < .15:
            db.session.add(TaskRefusal(task_id=task.id, reason="不属于本单位职责。", refused_by_id=actor.id,
                                       created_at=handed, state=RefusalState.pending))
        return
    acked = handed + timedelta(days=0 if wait == "backfill" else wait, hours=rng.choice((0, 3, 7)))
    task.acknowledged_at = acked
    task.acknowledged_via = AckVia.backfill if wait == "backfill" else rng.choice((AckVia.signed_in, AckVia.link))
    db.session.add(AuditEntry(actor_id=actor.id, action="task.acknowledged", object_type="task", object_id=task.id,
                              data={}, at=acked))


@pytest.mark.parametrize("seed", [1, 2])
def test_sql_totals_equal_the_points_on_a_randomized_history(db, make, people, seed):
    _random_history(db, make, people, random.Random(seed))
    compared = 0
    for period_key, now in (("2026-H1", datetime(2026, 7, 10, 2, tzinfo=UTC)),
                            ("2026", datetime(2026, 5, 20, 16, 30, tzinfo=UTC)),
                            ("2026-Q1", datetime(2026, 4, 3, 1, tzinfo=UTC)),
                            ("2026-H1", datetime(2026, 3, 31, 15, 59, tzinfo=UTC))):
        compared += _assert_same("year:2026", period_key, now)
    assert compared > 300  # every kind made points to compare
    ranking = services.rank(queries.load_facts("year:2026", "2026-H1", date(2026, 1, 1), date(2026, 6, 30),
                                               datetime(2026, 7, 10, tzinfo=UTC)), 0, _rule_sets()[0])
    kinds = {k for u in ranking.units for k, t in u.rules.items() if t.count}
    assert kinds == set(KINDS)
    # 签收 both late and never made points
    assert {p.what for u in ranking.units for p in u.rules["unacknowledged"].points} == {
        "acknowledged_late", "unacknowledged"}


def test_a_units_page_lists_the_points_its_ranking_counts(db, make, people):
    scene = w.build(db, make, people)
    scope, period = services.parse_scope("year:2026", w.SCORED_AT), parse_period("2026-H1")
    ranking = services.unit_scores(scope, period, scene.people.unit.id, now=w.SCORED_AT)
    east = ranking.unit(scene.people.unit.id)
    assert sum(len(t.points) for t in east.rules.values()) == east.point_count == 8
    assert round(sum(t.counted for t in east.rules.values()), 2) == east.total
    west = ranking.unit(scene.people.other_unit.id)
    assert all(t.points == [] for t in west.rules.values())
