"""API fixtures: tokens for the standard people, and a JSON client that sends them."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from werkzeug.serving import make_server

from tracker.api import auth as api_auth
from tracker.db import utcnow
from tracker.tasks import services as task_services
from tracker.tasks.models import ReportingPeriod, UnitRole

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Api:
    """A test client that adds ``Authorization: Bearer`` for one token."""

    def __init__(self, app, secret: str | None):
        self.client = app.test_client()
        self.secret = secret

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kw):
        return self.client.get("/api/v1" + path, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self.headers(kw.pop("headers", None)), **kw)

    def upload(self, path: str, files: list[tuple[bytes, str]], **form):
        data = {"file": [(io.BytesIO(content), name) for content, name in files], **form}
        return self.client.post("/api/v1" + path, data=data, content_type="multipart/form-data",
                                headers=self.headers())


def make_token(db, user, name: str = "测试令牌") -> str:
    _token, secret = api_auth.create_token(user, name, actor=user, now=utcnow())
    db.session.commit()
    return secret


@pytest.fixture
def api_for(app, db):
    def build(user, name: str = "测试令牌") -> Api:
        return Api(app, make_token(db, user, name) if user is not None else None)

    return build


@pytest.fixture
def plan(make, people):
    return make.plan(supervisor=people.supervisor)


@pytest.fixture
def tasks(db, plan, people):
    """Measure “成立工作专班” handed to both county units; returns {unit_id: task}."""
    measure = plan.measures[1]
    created = task_services.assign(plan, [measure.id], [people.unit.id, people.other_unit.id], role=UnitRole.lead,
                                   due_on=date(2099, 6, 30), reporting_period=ReportingPeriod.once,
                                   actor=people.supervisor, now=utcnow())
    db.session.commit()
    return {task.unit_id: task for task in created}


@pytest.fixture
def server(app):
    """The test app behind a real HTTP server on a free port, in a thread."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
