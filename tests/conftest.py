"""Shared fixtures: an app per test with its own database (SQLite file, or PostgreSQL when
``TRACKER_TEST_DATABASE_URL`` is set), clients signed in per role, and small factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

from tests import factories
from tracker import create_app
from tracker.auth.models import Role
from tracker.extensions import db as _db
from tracker.tasks import services as task_services
from tracker.tasks.models import ReportingPeriod, UnitRole

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A database of this test run's own on the PostgreSQL server, dropped at the end.

    Several runs (and xdist workers) can share one server without seeing each other's rows.
    """
    if not PG_URL:
        yield None
        return
    admin_url = sa.make_url(PG_URL)
    name = f"duban_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()


_pg_schema_ready: set[str] = set()


def _reset_postgres(url: str) -> None:
    """Tables are created once per run; each test starts from empty tables."""
    import tracker.models  # noqa: F401

    engine = sa.create_engine(url)
    try:
        if url not in _pg_schema_ready:
            _db.metadata.drop_all(engine)
            _db.metadata.create_all(engine)
            _pg_schema_ready.add(url)
        else:
            names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def app_config(tmp_path, pg_database) -> dict:
    """Overrides for this test's app; a test may change them before asking for ``app``."""
    if pg_database:
        _reset_postgres(pg_database)
        uri = pg_database
    else:
        uri = "sqlite:///" + str(tmp_path / "test.sqlite")
    return {
        "CONFIG": "testing",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": uri,
        "UPLOAD_FOLDER": str(tmp_path / "instance" / "evidence"),
    }


class TestClient(FlaskClient):
    """Each request starts with a clean ``g``, as it would in its own process.

    The test holds one app context for its whole run (so factories and assertions share
    ``db.session`` with the requests); without this, Flask-Login's user cached in ``g`` by
    one client's request would leak into the next client's request.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for name in list(vars(g)):
                delattr(g, name)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = TestClient
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now() -> datetime:
    """A fixed time for services that take ``now``: 2026-03-02 10:00 in Shanghai."""
    return datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def make(app):
    """Factories bound to this test's database: ``make.user(role=...)``, ``make.unit()``, …"""
    return factories.Factory(_db)


@pytest.fixture
def people(make):
    """One user per role, and two county units with a lead each."""
    return make.people()


@pytest.fixture
def assigned_task(db, make, people, now):
    """One measure of a plan supervised by people.supervisor, handed to people.unit."""
    plan = make.plan(supervisor=people.supervisor)
    [task] = task_services.assign(plan, [plan.measures[1].id], [people.unit.id], role=UnitRole.lead,
                                  due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.once,
                                  actor=people.supervisor, now=now)
    db.session.commit()
    return task


class AuthActions:
    def __init__(self, app):
        self.app = app

    def client_for(self, user, password: str = factories.PASSWORD):
        client = self.app.test_client()
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client


@pytest.fixture
def auth(app):
    return AuthActions(app)


ROLES = [None, Role.viewer, Role.unit_member, Role.unit_lead, Role.supervisor, Role.admin]
