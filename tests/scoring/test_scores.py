"""Each rule kind against hand-computed examples, caps, ranking, and every point traced to its event."""

from __future__ import annotations

import pytest

from tests.scoring import world as w
from tracker.audit import AuditEntry
from tracker.reports.bulletin import parse_period
from tracker.scoring import queries, services
from tracker.scoring.rules import check_rules
from tracker.tasks.models import Task

H1 = parse_period("2026-H1")


@pytest.fixture
def scene(db, make, people):
    return w.build(db, make, people)


def _ranking(scene, rules, base=0):
    facts = queries.load_facts("year:2026", H1.key, H1.start, H1.end, w.SCORED_AT)
    return services.rank(facts, base, check_rules(rules))


def _unit(ranking, unit):
    return ranking.unit(unit.id)


def _points(score, kind):
    return sorted((p.points, p.task_id, p.what, p.value) for p in score.rules[kind].points)


def test_on_time_counts_tasks_accepted_by_their_original_deadline(scene):
    r = _ranking(scene, [{"kind": "on_time", "points": 1}])
    t = scene.tasks
    east, west = _unit(r, scene.people.unit), _unit(r, scene.people.other_unit)
    assert _points(east, "on_time") == [(1, t["t1"].id, "on_time", None), (1, t["t4"].id, "on_time", None)]
    assert east.total == 2 and west.total == 2


def test_an_extension_does_not_move_the_deadline_scoring_uses(db, scene):
    t2 = scene.tasks["t2"]
    t2.due_on = t2.due_on.replace(day=31, month=5)  # an approved extension moves due_on only
    db.session.commit()
    r = _ranking(scene, [{"kind": "on_time", "points": 1}, {"kind": "late", "points": 1, "per": "task"}])
    assert _unit(r, scene.people.unit).rules["late"].raw == -2


def test_late_per_task_and_per_day(scene):
    t = scene.tasks
    per_task = _unit(_ranking(scene, [{"kind": "late", "points": 1, "per": "task"}]), scene.people.unit)
    assert _points(per_task, "late") == [(-1, t["t2"].id, "done_late", 5), (-1, t["t3"].id, "overdue", 30)]
    per_day = _unit(_ranking(scene, [{"kind": "late", "points": 0.5, "per": "day"}]), scene.people.unit)
    assert per_day.rules["late"].raw == -17.5  # (5 + 30) days × 0.5


def test_each_return_costs_its_points(scene):
    r = _ranking(scene, [{"kind": "returned", "points": 2}])
    east = _unit(r, scene.people.unit)
    assert _points(east, "returned") == [(-2, scene.tasks["t2"].id, "returned", None)]
    assert east.rules["returned"].points[0].on.isoformat() == "2026-04-25"
    assert _unit(r, scene.people.other_unit).rules["returned"].points == []


def test_a_missing_quarterly_report_costs_its_points(scene):
    east = _unit(_ranking(scene, [{"kind": "missing_report", "points": 10}]), scene.people.unit)
    # Q1 ended 03-31 and its grace days passed; Q2 ends 06-30, the scoring day: not owed yet
    assert _points(east, "missing_report") == [(-10, scene.tasks["t3"].id, "missing_report", "2026-Q1")]


def test_a_report_for_the_period_clears_it(db, scene):
    from tracker.tasks.models import ProgressReport

    db.session.add(ProgressReport(task_id=scene.tasks["t3"].id, text="一季度已推进。", period_key="2026-Q1",
                                  created_at=w.at(4, 2)))
    db.session.commit()
    east = _unit(_ranking(scene, [{"kind": "missing_report", "points": 10}]), scene.people.unit)
    assert east.rules["missing_report"].points == []


def test_a_notice_item_not_answered_by_its_reply_date(scene):
    east = _unit(_ranking(scene, [{"kind": "notice_late", "points": 1}]), scene.people.unit)
    [point] = east.rules["notice_late"].points
    assert (point.points, point.task_id, point.value) == (-1, scene.tasks["t3"].id, scene.notice.number_label)
    assert point.on.isoformat() == "2026-05-25"


def test_threshold_costs_each_point_below_it(scene):
    r = _ranking(scene, [{"kind": "threshold", "threshold": 70, "points": 1}])
    east = _unit(r, scene.people.unit)
    [point] = east.rules["threshold"].points
    # 2 of 4 on time: 50%, 20 points below 70%
    assert (point.points, point.value) == (-20, 50.0)
    assert sorted(point.refs) == sorted([scene.tasks["t2"].id, scene.tasks["t3"].id])
    assert _unit(r, scene.people.other_unit).rules["threshold"].points == []
    r = _ranking(scene, [{"kind": "threshold", "threshold": 62.5, "points": 0.5}])
    assert _unit(r, scene.people.unit).total == -6.25


def test_early_completion_bonus(scene):
    t = scene.tasks
    r = _ranking(scene, [{"kind": "early", "points": 0.5, "days": 7}])
    assert _points(_unit(r, scene.people.unit), "early") == [(0.5, t["t1"].id, "early", 11)]
    assert _points(_unit(r, scene.people.other_unit), "early") == [(0.5, t["u2"].id, "early", 20)]
    r = _ranking(scene, [{"kind": "early", "points": 1, "days": 0}])
    assert _unit(r, scene.people.unit).total == 2  # t1 and t4 (0 days early)


def test_a_cap_limits_a_rule_but_keeps_its_points_listed(scene):
    r = _ranking(scene, [{"kind": "late", "points": 1, "per": "day", "cap": 10}])
    late = _unit(r, scene.people.unit).rules["late"]
    assert (late.raw, late.counted, late.is_capped, len(late.points)) == (-35, -10, True, 2)
    assert _unit(r, scene.people.unit).total == -10


def test_default_rules_rank_the_units(scene):
    r = _ranking(scene, services.rules_in_force("year:2026").rules, base=100)
    east, west = _unit(r, scene.people.unit), _unit(r, scene.people.other_unit)
    # 东城区: +2 on time, -2 late, -2 returned, -10 missing report, -1 notice, -20 threshold
    assert east.total == 100 - 33
    assert west.total == 102
    assert [(u.rank, u.unit_name) for u in r.units] == [(1, "西城区"), (2, "东城区")]


def test_every_point_traces_to_an_existing_event_or_task(db, scene):
    r = _ranking(scene, services.rules_in_force("year:2026").rules
                 + [{"kind": "early", "points": 1, "days": 1}])
    seen = 0
    for unit in r.units:
        for total in unit.rules.values():
            for point in total.points:
                seen += 1
                assert point.task_id is not None or point.refs
                for task_id in ([point.task_id] if point.task_id else list(point.refs)):
                    task = db.session.get(Task, task_id)
                    assert task is not None and task.unit_id == unit.unit_id
                if point.entry_id is not None:
                    entry = db.session.get(AuditEntry, point.entry_id)
                    assert entry is not None
                    assert entry.object_type in ("task", "supervision_notice")
                    if entry.object_type == "task":
                        assert entry.object_id == point.task_id
                    else:
                        assert entry.object_id == scene.notice.id and entry.action == "notice.issued"
                if point.what in ("on_time", "done_late", "early", "returned", "notice_late"):
                    assert point.entry_id is not None, point
    assert seen >= 12


def test_acceptances_after_the_scoring_day_do_not_count(db, scene):
    """Scored as of 04-01, t2..t4 are still open and only Q1's deadlines have passed."""
    from datetime import UTC, datetime

    facts = queries.load_facts("year:2026", H1.key, H1.start, H1.end, datetime(2026, 4, 1, 2, tzinfo=UTC))
    r = services.rank(facts, 0, check_rules([{"kind": "on_time", "points": 1}, {"kind": "returned", "points": 2}]))
    assert _unit(r, scene.people.unit).total == 1
    assert _unit(r, scene.people.other_unit).total == 1


def test_a_plan_scope_scores_only_that_plan(db, make, scene):
    other_plan = make.plan("另一个方案", supervisor=scene.people.supervisor)
    facts = queries.load_facts(f"plan:{other_plan.id}", H1.key, H1.start, H1.end, w.SCORED_AT)
    assert facts.due == [] and facts.returns == []
    facts = queries.load_facts(f"plan:{scene.plan.id}", H1.key, H1.start, H1.end, w.SCORED_AT)
    assert len(facts.due) == 6 and len(facts.returns) == 1
