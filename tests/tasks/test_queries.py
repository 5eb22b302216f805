"""Lists and the matrix run a fixed number of SQL statements; filters, rollup, review queue, timeline."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
import sqlalchemy as sa

from tests.tasks.conftest import upload
from tracker.plans.models import Measure
from tracker.tasks import queries, services
from tracker.tasks.filters import FilterError, TaskFilters, parse_filters
from tracker.tasks.models import ReportingPeriod, UnitRole


@contextlib.contextmanager
def count_queries(engine):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def seed(db, make, people, plan, n_measures, units, now):
    measures = []
    for i in range(n_measures):
        measure = Measure(plan_id=plan.id, position=1000 + i, level=2, number=str(i + 1), text=f"第{i + 1}项措施")
        db.session.add(measure)
        measures.append(measure)
    db.session.flush()
    for unit in units:
        make.user(unit=unit, name=f"{unit.name}干事")
    tasks = services.assign(plan, [m.id for m in measures], [u.id for u in units], role=UnitRole.lead,
                            due_on=date(2030, 6, 30), reporting_period=ReportingPeriod.once,
                            actor=people.supervisor, now=now)
    for i, task in enumerate(tasks):
        task.owner_id = None if i % 2 else people.member.id if task.unit_id == people.unit.id else None
    db.session.commit()
    return tasks


def test_pages_run_a_constant_number_of_queries(app, db, make, people, plan, now, auth):
    """The unit list and the matrix pages: 10 tasks, then 200, the same number of statements."""
    units = [people.unit] + [make.unit(f"下属单位{i}", parent=people.unit) for i in range(9)]
    lead = auth.client_for(people.lead)
    supervisor = auth.client_for(people.supervisor)

    def measure():
        with count_queries(db.engine) as page_statements:
            response = lead.get("/tasks/mine?page=1")
            assert response.status_code == 200
        with count_queries(db.engine) as matrix_statements:
            assert supervisor.get(f"/plans/{plan.id}/matrix").status_code == 200
        rows = response.get_data(as_text=True).count('<td class="nowrap"><span class="light light-')
        return len(page_statements), len(matrix_statements), rows

    seed(db, make, people, plan, 1, units, now)
    small = measure()
    seed(db, make, people, plan, 19, units, now)
    large = measure()
    assert small[2] == 10 and large[2] == 20  # a full page of 20 rows
    assert small[:2] == large[:2]


def test_query_counts_do_not_grow(app, db, make, people, plan, now):
    """The same check in one test, independent of test order: 10 tasks, then 200."""
    units = [people.unit] + [make.unit(f"下属单位{i}", parent=people.unit) for i in range(9)]
    filters = TaskFilters()

    def measure():
        db.session.expire_all()
        with count_queries(db.engine) as a:
            page = queries.unit_task_page(people.lead, filters, date(2026, 3, 2), page=1, per_page=100)
            names = [(row.task.measure.text, row.task.plan.title, row.task.unit.name, row.task.owner)
                     for row in page.rows]
        assert len(names) == len(page.rows)
        with count_queries(db.engine) as b:
            queries.plan_matrix(plan, people.lead, today=date(2026, 3, 2))
        return len(a), len(b), len(page.rows)

    seed(db, make, people, plan, 1, units, now)
    small = measure()
    seed(db, make, people, plan, 19, units, now)
    large = measure()
    assert small[2] == 10 and large[2] == 100
    assert small[:2] == large[:2]
    # the matrix: measures, the plan's units, one page's cells, the 办结 counts (and the lead's unit tree)
    assert small[0] <= 8 and small[1] <= 5


def test_filters(db, make, people, plan, measures, now):
    services.assign(plan, [measures[0].id], [people.unit.id], role=UnitRole.lead, due_on=date(2026, 3, 5),
                    reporting_period=ReportingPeriod.once, is_key=True, actor=people.supervisor, now=now)
    services.assign(plan, [measures[1].id], [people.unit.id], role=UnitRole.lead, due_on=date(2026, 6, 30),
                    reporting_period=ReportingPeriod.once, actor=people.supervisor, now=now)
    db.session.commit()

    def ids(**kwargs):
        today = kwargs.pop("today", date(2026, 3, 2))
        page = queries.unit_task_page(people.lead, TaskFilters(**kwargs), today)
        return [row.task.measure_id for row in page.rows]

    assert ids() == [measures[0].id, measures[1].id]
    assert ids(key=True) == [measures[0].id]
    assert ids(due_within=7) == [measures[0].id]
    assert ids(overdue=True) == []
    assert ids(overdue=True, today=date(2026, 4, 1)) == [measures[0].id]
    assert ids(light="yellow") == [measures[0].id]
    assert ids(open=True) == [measures[0].id, measures[1].id]
    assert ids(q="不存在的内容") == []
    assert ids(plan_id=plan.id + 1) == []
    assert ids(unit_id=people.other_unit.id) == []
    filters = parse_filters({"state": "assigned", "due": "7", "plan_id": "3", "key": "1"})
    assert filters.due == "7" and filters.plan_id == 3 and filters.key and filters.state.value == "assigned"
    for bad in ({"due": "bogus"}, {"plan_id": "x"}, {"state": "nope"}, {"light": "blue"}, {"due_within": "-5"}):
        with pytest.raises(FilterError):
            parse_filters(bad)


def test_rollup_review_queue_and_timeline(db, people, plan, measures, now, make):
    tasks = services.assign(plan, [measures[0].id], [people.unit.id, people.other_unit.id], role=UnitRole.lead,
                            due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.once,
                            actor=people.supervisor, now=now)
    mine = tasks[0]
    services.start(mine, actor=people.lead, now=now)
    services.report_progress(mine, actor=people.lead, text="已完成", percent=100, files=[upload()], now=now)
    services.submit(mine, actor=people.lead, note="已完成", now=now)
    services.request_extension(tasks[1], actor=people.other_lead, new_due_on=date(2026, 8, 1), reason="资金未到位",
                               now=now)
    db.session.commit()
    queue = queries.review_queue(people.supervisor)
    assert [t.id for t in queue.submitted] == [mine.id]
    assert [x.task_id for x in queue.extensions] == [tasks[1].id]
    assert queries.review_queue(make.user(people.supervisor.role)).submitted == []
    services.approve(mine, actor=people.supervisor, now=now)
    db.session.commit()
    assert queries.measure_rollup(plan.id) == {measures[0].id: (1, 2)}
    kinds = [(item.kind, item.action) for item in queries.task_timeline(mine)]
    assert kinds[0] == ("audit", "task.assigned")
    # starting acknowledged the task (签收) on the way
    assert kinds[1:3] == [("audit", "task.acknowledged"), ("audit", "task.started")]
    assert kinds[3:5] == [("report", ""), ("evidence", "")]
    assert kinds[-1] == ("audit", "task.approved")


def test_overdue_is_one_rule_in_python_and_sql(db, assigned_task):
    from tracker.tasks.models import Task, TaskState

    today = date(2026, 3, 2)
    for state in TaskState:
        for due_on in (date(2026, 3, 1), today, date(2026, 3, 3)):
            assigned_task.state, assigned_task.due_on = state, due_on
            db.session.commit()
            in_sql = db.session.scalar(sa.select(sa.func.count(Task.id)).where(Task.overdue_condition(today))) == 1
            assert in_sql == assigned_task.is_overdue(today)
            assert in_sql == (state in (TaskState.assigned, TaskState.in_progress, TaskState.submitted,
                                        TaskState.returned) and due_on < today)
