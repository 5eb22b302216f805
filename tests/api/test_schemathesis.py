"""Property tests over the published document: no 5xx, and every response matches its schema.

Schemathesis generates requests from /api/openapi.json and sends them to the app in process
(WSGI), with a supervisor's token and a database holding a plan, tasks, evidence and notices,
so that generated ids sometimes hit real objects.
"""

from __future__ import annotations

import io

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.datastructures import FileStorage

from tests.api.conftest import PDF, make_token
from tracker.api import openapi
from tracker.db import utcnow
from tracker.notices import services as notice_services
from tracker.tasks import services as task_services

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def secret(db, people, tasks):
    task = tasks[people.unit.id]
    task_services.add_evidence(task, actor=people.lead, now=utcnow(), files=[
        FileStorage(io.BytesIO(PDF), filename="佐证.pdf", content_type="application/pdf")])
    task_services.request_extension(task, actor=people.lead, new_due_on=task.due_on.replace(year=2100),
                                    reason="工期顺延", now=utcnow())
    notice_services.issue_notices("2026-H1", actor=people.supervisor, now=utcnow())
    db.session.commit()
    return make_token(db, people.supervisor)


#: the document is static, so it is loaded once; each operation's test gets its own app and database
schema = schemathesis.openapi.from_dict(openapi.document())


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_document(case, app, secret):
    # generated cases may carry a made-up Authorization (from the security scheme); use the real token,
    # missing and bad tokens have their own tests
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
    case.call_and_validate(app=app, checks=CHECKS)


def test_served_document_is_the_tested_one(client):
    assert client.get("/api/openapi.json").get_json() == openapi.document()
