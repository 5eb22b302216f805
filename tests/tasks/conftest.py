"""Task fixtures: a plan supervised by people.supervisor, and helpers to assign and upload."""

from __future__ import annotations

import io
from datetime import date

import pytest
from werkzeug.datastructures import FileStorage

from tracker.plans.models import MeasureKind
from tracker.tasks import services
from tracker.tasks.models import ReportingPeriod, UnitRole

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name: str = "落实情况报告.pdf", data: bytes = PDF) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")


@pytest.fixture
def plan(make, people, db):
    plan = make.plan(supervisor=people.supervisor)
    for measure in plan.measures:
        if measure.level == 1:
            measure.kind = MeasureKind.heading
    db.session.commit()
    return plan


@pytest.fixture
def measures(plan):
    """The assignable measures (not headings) of the plan."""
    return [m for m in plan.measures if m.kind is MeasureKind.measure]


@pytest.fixture
def assign(db, people, plan, measures, now):
    """Assign measures to units and commit; returns the tasks."""

    def _assign(measure_list=None, units=None, *, due_on=date(2026, 6, 30), period=ReportingPeriod.once,
                evidence_required=True, actor=None, **kwargs):
        tasks = services.assign(
            plan, [m.id for m in (measure_list or measures[:1])], [u.id for u in (units or [people.unit])],
            role=kwargs.pop("role", UnitRole.lead), due_on=due_on, reporting_period=period,
            evidence_required=evidence_required, actor=actor or people.supervisor, now=now, **kwargs)
        db.session.commit()
        return tasks

    return _assign


@pytest.fixture
def task(assign):
    return assign()[0]
