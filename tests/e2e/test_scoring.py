"""Scores in the browser: a supervisor tries edited rules, publishes the half year, and a unit lead
sees why the unit lost each point, on a desktop and on a phone (screenshots in tests/_artifacts/)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests import factories
from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_phone import PHONE, WIDE_ELEMENTS
from tests.scoring import world
from tracker.auth.models import User
from tracker.extensions import db
from tracker.units.models import Unit

pytestmark = pytest.mark.e2e


@pytest.fixture
def scored(live_app):
    emails = live_app.config["E2E_PEOPLE"]
    with live_app.app_context():
        by_email = {u.email: u for u in db.session.scalars(sa.select(User))}
        people = SimpleNamespace(
            supervisor=by_email[emails.supervisor], lead=by_email[emails.lead], other_lead=by_email[emails.other_lead],
            unit=db.session.get(Unit, emails.unit_id), other_unit=db.session.get(Unit, emails.other_unit_id))
        scene = world.build(db, factories.Factory(db), people)
        ids = {k: t.id for k, t in scene.tasks.items()}
        db.session.remove()
    return ids


def test_supervisor_tries_rules_publishes_and_a_unit_sees_its_points(live_server, new_page, scored):
    people = live_server.app.config["E2E_PEOPLE"]
    page = new_page()
    sign_in(page, live_server, people.supervisor)
    page.goto(live_server.url + "/scoring?scope=year:2026&period=2026-H1")
    rows = page.locator(".score-table tbody tr")
    assert rows.count() == 2 and "西城区" in rows.nth(0).inner_text()
    shot(page, "scoring-ranking-desktop")

    page.click("text=评分规则")
    page.fill("#rule-returned-points", "5")
    page.check("input[name=rule-early-on]")
    page.click("button[value=preview]")
    what_if = page.locator("#what-if")
    assert "东城区" in what_if.inner_text()
    shot(page, "scoring-what-if-desktop")
    page.fill("#rule-returned-cap", "-1")
    page.click("button[value=save]")
    assert "封顶分值不能为负数" in page.inner_text("body")

    page.goto(live_server.url + "/scoring?scope=year:2026&period=2026-H1")
    page.click("text=发布本期评分")
    assert "已发布评分结果" in page.inner_text("body")
    shot(page, "scoring-snapshot-desktop")

    lead = new_page()
    sign_in(lead, live_server, people.lead)
    lead.goto(live_server.url + "/scoring/mine?scope=year:2026&period=2026-H1")
    text = lead.inner_text("body")
    assert "退回" in text and f"任务 #{scored['t2']}" in text and "2026-Q1 定期反馈未报" in text
    shot(lead, "scoring-unit-desktop")

    phone = new_page(**PHONE)
    sign_in(phone, live_server, people.lead)
    phone.goto(live_server.url + "/scoring/mine?scope=year:2026&period=2026-H1")
    assert phone.evaluate(WIDE_ELEMENTS) == []
    shot(phone, "scoring-unit-phone")
    staff_phone = new_page(**PHONE)
    sign_in(staff_phone, live_server, people.supervisor)
    staff_phone.goto(live_server.url + "/scoring?scope=year:2026&period=2026-H1")
    assert staff_phone.evaluate(WIDE_ELEMENTS) == []
    shot(staff_phone, "scoring-ranking-phone")
