"""Statements per request of the busiest pages stay the same whatever the amount of data."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db as _db
from tracker.tasks import services as task_services
from tracker.tasks.models import ReportingPeriod, Task, UnitRole

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@contextmanager
def counted():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _grow(db, make, people, now, plan, measures: int, files: int) -> Task:
    """``measures`` more measures handed to both units; the first task of the lead's unit gets
    ``files`` files, reports and deadline changes more."""
    from tracker.plans.models import Measure, MeasureKind

    start = len(plan.measures)
    new = [Measure(plan_id=plan.id, position=start + i, level=2, number=str(start + i), text=f"第{start + i}项工作。",
                   kind=MeasureKind.measure) for i in range(measures)]
    db.session.add_all(new)
    db.session.flush()
    task_services.assign(plan, [m.id for m in new], [people.unit.id, people.other_unit.id], role=UnitRole.lead,
                         due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.monthly,
                         evidence_required=False, actor=people.supervisor, now=now)
    task = db.session.scalar(sa.select(Task).where(Task.unit_id == people.unit.id).order_by(Task.id))
    for n in range(files):
        at = now + timedelta(minutes=n)
        task_services.report_progress(task, actor=people.lead, text=f"第{n}次进展。", percent=n % 100, now=at,
                                      files=[_upload(f"材料{n}.pdf")])
        task_services.change_deadline(task, date(2026, 7, 1) + timedelta(days=n), actor=people.supervisor, now=at)
    db.session.commit()
    return task


def _upload(name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(PDF), filename=name, content_type="application/pdf")


PAGES = {
    "list": ("lead", lambda task: "/tasks/mine", 4),
    "task": ("lead", lambda task: f"/tasks/{task.id}", 6),
    "dashboard": ("admin", lambda task: "/dashboard", None),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_statements_per_request_do_not_grow_with_the_data(app, db, make, people, auth, now, page):
    role, url_of, limit = PAGES[page]
    plan = make.plan(supervisor=people.supervisor)
    client = auth.client_for(getattr(people, role))
    counts = []
    for measures, files in ((2, 1), (30, 6)):
        task = _grow(db, make, people, now, plan, measures, files)
        url = url_of(task)
        assert client.get(url).status_code == 200  # warm: first-request work is not the page's
        db.session.commit()
        # a fresh app context: the request has its own session and loads what it needs
        with app.app_context(), counted() as statements:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(statements)
    small, large = (len(s) for s in counts)
    assert large == small, "\n".join(counts[1])
    if limit is not None:
        assert large <= limit, "\n\n".join(counts[1])
