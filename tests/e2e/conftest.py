"""End-to-end fixtures: the app served on loopback in a thread, driven by Debian's chromium."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from tests import factories
from tracker import create_app
from tracker.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts"

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app(app_config):
    """A real app on a file database with CSRF on, as a browser would meet it."""
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            db.create_all()
        people = factories.Factory(db).people()
        # plain values: the ORM objects do not outlive this session
        app.config["E2E_PEOPLE"] = SimpleNamespace(
            **{role: getattr(people, role).email
               for role in ("admin", "supervisor", "viewer", "lead", "member", "other_lead")},
            unit=people.unit.name, other_unit=people.other_unit.name,
            unit_id=people.unit.id, other_unit_id=people.other_unit.id,
        )
        db.session.remove()
    return app


@pytest.fixture
def live_server(live_app):
    live_app.config["BASE_URL"] = "http://127.0.0.1"
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture
def new_page(browser, request):
    """A fresh browser context per user (own cookies); screenshots land in tests/_artifacts/."""
    contexts = []

    def make(width: int = 1280, height: int = 900, locale: str = "zh-CN"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, server, email: str, password: str = factories.PASSWORD) -> None:
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state("networkidle")


def seed_tasks(app, *, due_in_days: int = 10, measures: int = 2) -> list[int]:
    """A plan of the supervisor's with ``measures`` measures assigned to both units; the task ids.

    For pages that need tasks to show without walking the whole import and assignment in the browser.
    """
    import sqlalchemy as sa

    from tracker import timeutil
    from tracker.auth.models import User
    from tracker.plans.models import Measure
    from tracker.tasks import services
    from tracker.tasks.models import ReportingPeriod, UnitRole

    people = app.config["E2E_PEOPLE"]
    with app.app_context():
        supervisor = db.session.scalar(sa.select(User).where(User.email == people.supervisor))
        plan = factories.Factory(db).plan("2026年优化营商环境重点任务", supervisor=supervisor)
        picked = db.session.scalars(sa.select(Measure.id).where(Measure.plan_id == plan.id, Measure.level > 1)
                                    .order_by(Measure.position).limit(measures)).all()
        now = timeutil.utcnow()
        tasks = services.assign(plan, picked, [people.unit_id, people.other_unit_id], role=UnitRole.lead,
                                due_on=timeutil.local_today(now) + timedelta(days=due_in_days),
                                reporting_period=ReportingPeriod.once, actor=supervisor, now=now)
        db.session.commit()
        ids = [task.id for task in tasks]
        db.session.remove()
    return ids
