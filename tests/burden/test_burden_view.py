"""The burden view: requests a unit received per month, counted once per fact, against a cap."""

from __future__ import annotations

from datetime import date, timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from tracker.burden import queries
from tracker.notices import services as notice_services
from tracker.notify import outbox
from tracker.notify import services as notify_services
from tracker.notify.models import OutboxEmail
from tracker.tasks import services
from tracker.tasks.models import ReportingPeriod


@pytest.fixture
def scene(db, people, assign, measures, now):
    """东城区: a quarterly task (report periods end in March, June, September, December), a task due
    in three days (reminded and chased), this half year's 督办单, two reports filed in March."""
    [quarterly] = assign(measures[:1], period=ReportingPeriod.quarterly, due_on=date(2026, 12, 31))
    [due_soon] = assign(measures[1:2], due_on=date(2026, 3, 5))
    notify_services.run_reminders(now=now)
    notice_services.issue_chase_notice(due_soon, actor=people.supervisor, now=now)
    notice_services.issue_notices("2026-H1", unit_ids=[people.unit.id], actor=people.supervisor, now=now)
    services.report_progress(quarterly, actor=people.lead, text="一季度：完成招标。", percent=20, now=now)
    services.report_progress(due_soon, actor=people.lead, text="已完成大部分工作。", percent=90, now=now)
    db.session.commit()
    return quarterly, due_soon


def _march(user, unit_id):
    return queries.unit_loads(user, 2026)[unit_id].months["2026-03"]


def test_requests_and_reports_per_month(db, people, scene):
    loads = queries.unit_loads(people.supervisor, 2026)
    months = loads[people.unit.id].months
    march = months["2026-03"]
    reminder_rows = db.session.scalar(sa.select(sa.func.count(OutboxEmail.id)).where(
        OutboxEmail.kind == "task_due"))
    assert reminder_rows >= 1
    # the due-in-three-days reminder (one fact, whoever received it), the 催办单, the 督办单, the Q1 period
    assert (march.reminders, march.chases, march.notices, march.report_periods) == (1, 1, 1, 1)
    assert march.requests == 4 and march.reports == 2
    assert [months[m].report_periods for m in ("2026-06", "2026-09", "2026-12")] == [1, 1, 1]
    assert months["2026-04"].requests == 0
    assert people.other_unit.id not in loads


def test_a_fact_sent_to_many_people_or_by_many_channels_counts_once(db, people, scene, now):
    quarterly, _due_soon = scene
    before = _march(people.supervisor, people.unit.id).reminders
    def row(key, kind="task_report", at=now):
        outbox.insert_ignoring_duplicates(outbox.row_values(
            dedupe_key=key, address="a@example.cn", recipient_id=None, subject="提醒", body_text="", body_html="",
            reason="", kind=kind, now=at, related_type="task", related_id=quarterly.id))

    # one report reminder: by email to two people and by a second channel, on one day
    for key in ("task-report:x:user-1", "task-report:x:user-2", "sms:task-report:x:user-1"):
        row(key)
    # the next day's reminder is another request; a message that asks nothing is none
    row("task-report:y", at=now + timedelta(days=1))
    row("assigned:z", kind="task_assigned")
    db.session.commit()
    assert _march(people.supervisor, people.unit.id).reminders == before + 2


def test_what_a_supervisor_does_not_see_is_not_counted(db, make, people, scene):
    stranger = make.user(people.supervisor.role, name="赵督办")
    db.session.commit()
    assert queries.unit_loads(stranger, 2026) == {}
    assert _march(people.viewer, people.unit.id).requests == 4
    assert _march(people.admin, people.unit.id).requests == 4


def test_the_pages_warn_past_the_cap(app, db, auth, people, scene):
    app.config["BURDEN_MONTHLY_CAP"] = 3
    client = auth.client_for(people.supervisor)
    doc = lxml.html.fromstring(client.get("/burden?year=2026").get_data(as_text=True))
    warnings = [li.text_content() for li in doc.xpath("//section[contains(@class, 'burden-warnings')]//li")]
    assert len(warnings) == 1 and "东城区" in warnings[0] and "2026-03" in warnings[0] and "4" in warnings[0]
    assert len(doc.xpath("//td[contains(@class, 'over-cap')]")) == 1
    page = client.get(f"/units/{people.unit.id}/burden?year=2026").get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    assert len(doc.xpath("//tr[contains(@class, 'over-cap-row')]")) == 1
    cells = [td.text_content().strip() for td in doc.xpath("//tr[contains(@class, 'over-cap-row')]/td")]
    assert cells[:5] == ["2026-03", "1", "1", "1", "1"] and cells[6] == "2"
    app.config["BURDEN_MONTHLY_CAP"] = 4
    page = client.get(f"/units/{people.unit.id}/burden?year=2026").get_data(as_text=True)
    assert "over-cap-row" not in page


def test_a_year_that_makes_no_sense_is_explained(db, auth, people, scene, monkeypatch):
    client = auth.client_for(people.supervisor)
    for bad in ("abc", "1999", "99999"):
        response = client.get(f"/burden?year={bad}", follow_redirects=True)
        assert response.status_code == 200
        assert "无效" in response.get_data(as_text=True)


def test_only_staff_open_the_burden_pages(db, auth, people, scene):
    for user in (people.lead, people.member):
        client = auth.client_for(user)
        assert client.get("/burden").status_code == 403
        assert client.get(f"/units/{people.unit.id}/burden").status_code in (403, 404)
    assert auth.client_for(people.viewer).get(f"/units/{people.unit.id}/burden").status_code == 200
    assert auth.client_for(people.supervisor).get("/units/999999/burden").status_code == 404


def test_the_units_pages_link_to_it(db, auth, people):
    client = auth.client_for(people.admin)
    page = client.get("/admin/units/").get_data(as_text=True)
    assert "/burden" in page and f"/units/{people.unit.id}/burden" in page
    assert f"/units/{people.unit.id}/burden" in client.get(f"/admin/units/{people.unit.id}/edit").get_data(as_text=True)
    # supervisors, who have no units pages, come from the dashboard
    assert 'href="/burden"' in auth.client_for(people.supervisor).get("/dashboard").get_data(as_text=True)
