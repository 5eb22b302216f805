"""The outbox page, the sandboxed message body, re-queuing, and each user's notices."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from tracker.notices import services as notice_services
from tracker.notify import services
from tracker.notify.models import Notification, OutboxEmail, OutboxStatus


def seed(db, people, make_task, make, title="2026年<b>重点</b>工作"):
    plan = make.plan(title, supervisor=people.supervisor)
    make_task(people.unit, date(2026, 3, 3), owner=people.member, plan=plan)
    services.run_reminders(now=datetime(2026, 3, 2, 1, tzinfo=UTC))
    db.session.commit()
    return db.session.scalars(sa.select(OutboxEmail)).one()


def test_outbox_for_supervisors_only(db, people, make_task, make, auth):
    row = seed(db, people, make_task, make)
    assert auth.client_for(people.member).get("/outbox").status_code == 403
    client = auth.client_for(people.supervisor)
    page = client.get("/outbox?status=pending")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert row.subject in html and "未配置邮件服务器" in html
    assert row.subject not in client.get("/outbox?status=sent").get_data(as_text=True)
    assert row.subject not in client.get("/outbox?recipient=nobody").get_data(as_text=True)


def test_message_body_is_sandboxed_and_escaped(db, people, make_task, make, auth):
    row = seed(db, people, make_task, make)
    client = auth.client_for(people.admin)
    page = client.get(f"/outbox/{row.id}").get_data(as_text=True)
    assert "<iframe" in page and "sandbox" in page
    body = client.get(f"/outbox/{row.id}/body")
    assert body.status_code == 200
    assert body.headers["Content-Security-Policy"].startswith("sandbox")
    text = body.get_data(as_text=True)
    assert "2026年&lt;b&gt;重点&lt;/b&gt;工作" in text and "<b>重点" not in text


def test_requeue_in_doubt_message(db, people, make_task, make, auth):
    row = seed(db, people, make_task, make)
    client = auth.client_for(people.supervisor)
    assert client.post(f"/outbox/{row.id}/requeue").status_code == 409  # pending: nothing to do
    row.status = OutboxStatus.sending
    db.session.commit()
    row.claimed_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    assert "状态不明的邮件" in client.get("/outbox").get_data(as_text=True)
    response = client.post(f"/outbox/{row.id}/requeue")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row.id).status is OutboxStatus.pending


def test_attachment_download(app, db, people, make_task, make, auth, now):
    make_task(people.unit, date(2026, 6, 30), supervisor=people.supervisor)
    notice_services.issue_notices("2026-H1", now=now)
    db.session.commit()
    row = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "notice_supervision")).first()
    client = auth.client_for(people.supervisor)
    response = client.get(f"/outbox/{row.id}/attachments/0")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert client.get(f"/outbox/{row.id}/attachments/5").status_code == 404


def test_my_notifications_and_bell(db, people, make_task, make, auth):
    seed(db, people, make_task, make)
    client = auth.client_for(people.member)
    home = client.get("/notifications").get_data(as_text=True)
    assert "距截止还有1天" in home
    assert '<span class="count">1</span>' in home
    note = db.session.scalars(sa.select(Notification)).one()
    other = auth.client_for(people.lead)
    assert other.post(f"/notifications/{note.id}/read").status_code == 403
    assert client.post(f"/notifications/{note.id}/read").status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None
    assert '<span class="count">' not in client.get("/notifications").get_data(as_text=True)


def test_send_now_without_server(db, people, make_task, make, auth):
    row = seed(db, people, make_task, make)
    client = auth.client_for(people.admin)
    response = client.post("/outbox/send", follow_redirects=True)
    assert "未配置邮件服务器" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row.id).status is OutboxStatus.pending


def test_following_a_notice_stays_on_the_site_the_user_came_by(db, people, make_task, make, auth, app):
    """The stored link carries BASE_URL for the email; in the browser the redirect is a path."""
    app.config["BASE_URL"] = "http://duban.example.gov.cn:8443"
    seed(db, people, make_task, make)
    note = db.session.scalars(sa.select(Notification)).one()
    note.link = "http://duban.example.gov.cn:8443/tasks/7?tab=files#evidence"
    db.session.commit()
    response = auth.client_for(people.member).post(f"/notifications/{note.id}/read", data={"go": "link"})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks/7?tab=files#evidence"
    note.read_at = None
    note.link = "https://elsewhere.example//evil"
    db.session.commit()
    response = auth.client_for(people.member).post(f"/notifications/{note.id}/read", data={"go": "link"})
    assert response.headers["Location"] == "/"
