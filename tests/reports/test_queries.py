"""The dashboard's SQL aggregates against a plain Python recount of the same tasks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker import timeutil
from tracker.reports import queries
from tracker.tasks import filters as task_filters
from tracker.tasks.lights import light_for
from tracker.tasks.models import OPEN_STATES, ProgressReport, Task, TaskState


def recount(tasks: list[Task], now: datetime) -> dict:
    today = timeutil.local_today(now)
    lights = Counter(light_for(t, today, 7) for t in tasks)
    states = Counter(t.state.value for t in tasks)
    on_time = sum(1 for t in tasks if t.state is TaskState.completed
                  and timeutil.to_local(t.completed_at).date() <= t.original_due_on)
    due = sum(1 for t in tasks if t.state is not TaskState.cancelled
              and (t.original_due_on < today or t.state is TaskState.completed))
    overdue = sum(1 for t in tasks if t.state in OPEN_STATES and t.due_on < today)
    return {"lights": lights, "states": states, "on_time": on_time, "due": due, "overdue": overdue,
            "returns": sum(t.return_count for t in tasks)}


def check(tally: queries.Tally, expected: dict) -> None:
    assert tally.total == sum(expected["states"].values())
    for state in queries.STATES:
        assert tally.states[state] == expected["states"].get(state, 0), state
    for light in ("red", "yellow", "green", "none"):
        assert tally.lights[light] == expected["lights"].get(light, 0), light
    assert tally.on_time == expected["on_time"]
    assert tally.due_so_far == expected["due"]
    assert tally.overdue == expected["overdue"]
    assert tally.returns == expected["returns"]


@pytest.mark.parametrize("days", [0, 3, 30])
def test_overall_plan_and_unit_tallies_equal_a_python_recount(db, seeded, people, now, days):
    at = now + timedelta(days=days)
    tasks = list(db.session.scalars(sa.select(Task)))
    data = queries.dashboard(people.admin, at)
    check(data.overall, recount(tasks, at))
    for plan, tally in data.plans:
        check(tally, recount([t for t in tasks if t.plan_id == plan.id], at))
    for unit, tally in data.units:
        check(tally, recount([t for t in tasks if t.unit_id == unit.id], at))
    assert {u.id for u, _t in data.units} == {people.unit.id, people.other_unit.id}


def test_the_fixture_covers_every_light_and_local_time_on_time(db, seeded, people, now):
    data = queries.dashboard(people.admin, now)
    assert data.overall.lights == {"red": 1, "yellow": 2, "green": 4, "none": 1}
    # the west unit finished at 23:30 local time on its deadline day: on time
    west = dict((u.id, t) for u, t in data.units)[people.other_unit.id]
    assert west.on_time == 1
    assert data.overall.on_time == 2 and data.overall.due_so_far == 5


def test_ranking_orders_by_rate_then_overdue_and_sorts_by_other_columns(db, seeded, people, now):
    data = queries.dashboard(people.admin, now)
    ranked = queries.rank_units(data.units, "rate")
    rates = [t.on_time_rate for _r, _u, t in ranked]
    assert rates == sorted(rates, reverse=True)
    by_overdue = queries.rank_units(data.units, "overdue")
    assert by_overdue[0][1].id == people.other_unit.id
    assert [r for r, _u, _t in queries.rank_units(data.units, "nonsense")] == [1, 2]


def test_supervisor_sees_only_own_plans_and_unit_people_their_unit(db, seeded, people, now):
    mine = queries.dashboard(people.supervisor, now)
    assert [p.id for p, _t in mine.plans] == [seeded.plan.id]
    assert mine.overall.total == 6
    east = queries.dashboard(people.lead, now)
    assert {u.id for u, _t in east.units} == {people.unit.id}
    assert queries.dashboard(people.viewer, now).overall.total == 8


def test_missing_and_late_periodic_reports(db, seeded, people, now):
    later = now + timedelta(days=10)  # 2026-03-12: the February report was due by 03-05
    monthly = seeded.tasks[6]
    data = queries.dashboard(people.admin, later)
    assert data.overall.missing_reports == 1 and data.overall.late_reports == 0
    db.session.add(ProgressReport(task_id=monthly.id, text="二月份进展。", period_key="2026-02",
                                  created_at=datetime(2026, 3, 8, 2, 0, tzinfo=UTC)))
    db.session.commit()
    data = queries.dashboard(people.admin, later)
    assert data.overall.missing_reports == 0 and data.overall.late_reports == 1


def test_last_closed_period_keys():
    from datetime import date

    from tracker.tasks.models import ReportingPeriod as P

    assert queries.last_closed_period(P.monthly, date(2026, 3, 2))[0] == "2026-02"
    assert queries.last_closed_period(P.quarterly, date(2026, 3, 2))[0] == "2025-Q4"
    assert queries.last_closed_period(P.quarterly, date(2026, 8, 1))[:3] == ("2026-Q2", date(2026, 4, 1),
                                                                              date(2026, 6, 30))
    assert queries.last_closed_period(P.half_yearly, date(2026, 7, 1))[0] == "2026-H1"
    assert queries.last_closed_period(P.half_yearly, date(2026, 6, 30))[0] == "2025-H2"
    assert queries.last_closed_period(P.weekly, date(2026, 3, 2)) == ("2026-W09", date(2026, 2, 23),
                                                                      date(2026, 3, 1))
    assert queries.last_closed_period(P.weekly, date(2027, 1, 5))[0] == "2026-W53"
    assert queries.last_closed_period(P.yearly, date(2026, 3, 2)) == ("2025", date(2025, 1, 1), date(2025, 12, 31))


def test_trend_counts_completions_per_week_and_open_overdue(db, seeded, people, now):
    points = queries.trend(people.admin, now, "week", 8)
    assert sum(p.completed for p in points) == 3
    # at the last point (today) exactly the one red task is open past its deadline
    assert points[-1].overdue_open == 1
    months = queries.trend(people.admin, now, "month", 3)
    assert [p.label for p in months] == ["2026-01", "2026-02", "2026-03"]
    assert [p.completed for p in months] == [0, 3, 0]


def test_dashboard_query_count_is_constant_and_loads_no_tasks(app, db, seeded, people, now, make):
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def run() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            queries.dashboard(people.admin, now)
            queries.trend(people.admin, now)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    first = run()
    # ten more units with tasks: the same number of queries
    from tests.reports.conftest import add_task

    measure = seeded.tasks[0].measure
    for _i in range(10):
        add_task(db, measure, make.unit(), due=now.date() + timedelta(days=40))
    db.session.commit()
    assert run() == first
    assert first <= 8
    # no statement selects whole task rows
    assert not any("task.last_progress_text" in s or "task.version" in s for s in statements)


def test_filters_parse_and_reject_nonsense():
    from werkzeug.datastructures import MultiDict

    f = task_filters.parse_filters(MultiDict({"state": "completed", "plan_id": "3", "light": "red", "overdue": "1",
                                         "due_within": "7", "key": "1", "q": "图书"}))
    assert f.state is TaskState.completed and f.plan_id == 3 and f.overdue and f.key and f.due_within == 7
    assert f.as_args()["state"] == "completed"
    assert task_filters.parse_filters(MultiDict({"due": "overdue"})).overdue
    assert task_filters.parse_filters(MultiDict({"due": "15"})).due_within == 15
    for bad in ({"state": "foo"}, {"plan_id": "abc"}, {"due_within": "-5"}, {"light": "blue"},
                {"overdue": "maybe"}, {"due": "soon"}, {"unit_id": "1;drop"}, {"q": "长" * 101}):
        with pytest.raises(task_filters.FilterError):
            task_filters.parse_filters(MultiDict(bad))


def test_ledger_filters_select_the_right_tasks(db, seeded, people, now):
    def ids(**args):
        from werkzeug.datastructures import MultiDict

        from tracker.reports import ledger
        from tracker.tasks.filters import filter_conditions
        from tracker.tasks.models import Task

        f = task_filters.parse_filters(MultiDict(args))
        today = now.date()
        conditions = [queries.visible_condition(people.admin), *filter_conditions(f, today, 7)]
        return list(db.session.scalars(ledger.query(conditions, ledger.context(today, 7)).with_only_columns(Task.id)))

    tasks = seeded.tasks
    assert ids(overdue="1") == [tasks[3].id]
    assert ids(light="red") == [tasks[3].id]
    assert set(ids(light="yellow")) == {tasks[4].id, tasks[6].id}
    assert set(ids(state="completed")) == {t.id for t in tasks[:3]}
    assert ids(due_within="5") == [tasks[4].id]
    assert set(ids(q="审批")) == {tasks[6].id, tasks[7].id}
    assert ids(q="%") == []
    assert len(ids(plan_id=str(seeded.plan.id), unit_id=str(people.unit.id))) == 3


def recount_reports(tasks: list[Task], reports: list[ProgressReport], now: datetime) -> tuple[int, int]:
    """Missing and late periodic reports of the latest closed periods, task by task."""
    today = timeutil.local_today(now)
    missing = late = 0
    for task in tasks:
        if task.reporting_period not in queries.REPORT_PERIODS or task.state is TaskState.cancelled:
            continue
        key, _start, end = queries.last_closed_period(task.reporting_period, today)
        due_at = timeutil.end_of_day_utc(end + timedelta(days=5))
        if task.assigned_on > end or (task.completed_at is not None and task.completed_at <= due_at):
            continue
        times = [r.created_at for r in reports if r.task_id == task.id and r.period_key == key]
        if not times and due_at < now:
            missing += 1
        elif times and min(times) > due_at:
            late += 1
    return missing, late


@pytest.mark.parametrize("days", [10, 40, 130])
def test_missing_and_late_reports_equal_a_python_recount(db, seeded, people, now, make, days):
    from tests.reports.conftest import add_task
    from tracker.tasks.models import ReportingPeriod as P

    at = now + timedelta(days=days)
    measure = seeded.tasks[0].measure
    periods = [P.monthly, P.quarterly, P.half_yearly, P.monthly, P.quarterly, P.once, P.weekly, P.yearly]
    added = []
    for i, period in enumerate(periods * 2):
        unit = make.unit()
        done = datetime(2026, 3, 1, 2, 0, tzinfo=UTC) + timedelta(days=15 * i) if i % 4 == 3 else None
        added.append(add_task(db, measure, unit, due=date(2026, 12, 31), period=period,
                              state=TaskState.completed if done else TaskState.in_progress, completed_at=done,
                              assigned=date(2026, 1, 5) + timedelta(days=9 * i)))
    # on time, late and for the wrong period; several for one task (the first one counts)
    for i, task in enumerate(added):
        for key in ("2026-02", "2026-03", "2026-Q1", "2026-04", "2026-05", "2026-H1", "2026-W11", "2026-W15",
                    "2026-W29", "2026"):
            if (i + len(key)) % 3 == 0:
                db.session.add(ProgressReport(task_id=task.id, text="按期报送进展。", period_key=key,
                                              created_at=datetime(2026, 3, 3, tzinfo=UTC) + timedelta(days=7 * i)))
    db.session.commit()
    tasks = list(db.session.scalars(sa.select(Task)))
    reports = list(db.session.scalars(sa.select(ProgressReport)))
    data = queries.dashboard(people.admin, at)
    assert (data.overall.missing_reports, data.overall.late_reports) == recount_reports(tasks, reports, at)
    for unit, tally in data.units:
        mine = [t for t in tasks if t.unit_id == unit.id]
        assert (tally.missing_reports, tally.late_reports) == recount_reports(mine, reports, at), unit.name
    assert data.overall.missing_reports + data.overall.late_reports > 0


def test_trend_equals_a_python_recount(db, seeded, people, now):
    tasks = list(db.session.scalars(sa.select(Task)))
    for unit in ("week", "month"):
        for point in queries.trend(people.admin, now + timedelta(days=20), unit, 6):
            day = min(point.end, timeutil.local_today(now + timedelta(days=20)))
            at = timeutil.end_of_day_utc(day)
            expected = sum(1 for t in tasks if t.due_on < day and t.assigned_on <= day
                           and (t.completed_at is None or t.completed_at > at)
                           and (t.cancelled_at is None or t.cancelled_at > at)
                           and (t.state in OPEN_STATES or t.completed_at or t.cancelled_at))
            assert point.overdue_open == expected, point.label
            done = sum(1 for t in tasks if t.state is TaskState.completed
                       and point.start <= timeutil.to_local(t.completed_at).date() <= point.end)
            assert point.completed == done, point.label


def test_dashboard_is_computed_afresh_on_every_call(db, seeded, people, now):
    first = queries.dashboard(people.admin, now)
    task = seeded.tasks[3]
    task.state = TaskState.completed
    task.completed_at = now
    db.session.commit()
    second = queries.dashboard(people.admin, now)
    assert second.overall.states["completed"] == first.overall.states["completed"] + 1
    assert second.overall.overdue == first.overall.overdue - 1
