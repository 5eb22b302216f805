"""One-task links: what an email carries, what the link opens (its task, nothing else), its
lifecycle (expiry, renewal, revocation) and its rate limits. Bad links get a clear page and
change nothing."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tracker.audit import AuditEntry
from tracker.auth.permissions import PermissionDenied
from tracker.db import utcnow
from tracker.links import services as link_services
from tracker.links.models import TaskLink
from tracker.notify.models import OutboxEmail
from tracker.plans.models import MeasureKind
from tracker.tasks import services as task_services
from tracker.tasks.models import AckVia, Evidence, ReportingPeriod, Task, TaskState, UnitRole

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LINK = re.compile(r"/l/([A-Za-z0-9_-]{20,})")


def upload(name="现场照片.pdf"):
    return FileStorage(stream=io.BytesIO(PDF), filename=name, content_type="application/pdf")


@pytest.fixture
def plan(make, people, db):
    plan = make.plan(supervisor=people.supervisor)
    for measure in plan.measures:
        if measure.level == 1:
            measure.kind = MeasureKind.heading
    db.session.commit()
    return plan


@pytest.fixture
def hand_over(db, people, plan):
    """Assign measures to a unit now (the pages run on the real clock) and commit."""

    def _hand_over(index=0, unit=None):
        measure = [m for m in plan.measures if m.kind is MeasureKind.measure][index]
        [task] = task_services.assign(plan, [measure.id], [(unit or people.unit).id], role=UnitRole.lead,
                                      due_on=date(2030, 6, 30), reporting_period=ReportingPeriod.once,
                                      actor=people.supervisor, now=utcnow())
        db.session.commit()
        return task

    return _hand_over


def token_in_mail(db, user, task) -> str:
    row = db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.recipient_id == user.id, OutboxEmail.related_id == task.id).order_by(OutboxEmail.id.desc())).first()
    found = LINK.search(row.body_text)
    assert found, row.body_text
    assert f'/l/{found.group(1)}"' in row.body_html
    return found.group(1)


def audit_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


# --------------------------------------------------------------------------- what the email carries

def test_the_units_mail_carries_a_link_stored_only_as_its_hash(db, people, hand_over):
    task = hand_over()
    token = token_in_mail(db, people.lead, task)
    links = db.session.scalars(sa.select(TaskLink)).all()
    assert [(link.task_id, link.email) for link in links] == [(task.id, people.lead.email)]
    assert links[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    # the token itself is nowhere in the database but the outbox row that mails it
    for table in ("task_link", "audit_entry", "notification"):
        dump = " ".join(str(row) for row in db.session.execute(sa.text(f"SELECT * FROM {table}")))
        assert token not in dump, table
    lifetime = links[0].expires_at - links[0].created_at
    assert lifetime == timedelta(days=30)


def test_mail_to_the_supervisor_carries_the_signed_in_page(db, people, hand_over, client):
    task = hand_over()
    token = token_in_mail(db, people.lead, task)
    client.post(f"/l/{token}/acknowledge")
    client.post(f"/l/{token}/progress", data={"text": "已完成", "percent": "100", "files": [upload()]},
                content_type="multipart/form-data")
    assert client.post(f"/l/{token}/submit").status_code == 302
    row = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "task_submitted")).one()
    assert row.recipient_id == people.supervisor.id
    assert f"/tasks/{task.id}" in row.body_text and "/l/" not in row.body_text
    # the supervisor's mail names who submitted: the address the link was sent to
    assert people.lead.email in row.body_text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskLink)) == 1


def test_a_unit_with_links_off_gets_the_signed_in_page(db, people, hand_over, auth):
    task = hand_over(0)
    token = token_in_mail(db, people.lead, task)
    client = auth.client_for(people.lead)
    response = client.post(f"/units/{people.unit.id}/links", data={"enabled": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    assert people.unit.links_enabled is False
    # the live links of the unit's tasks stop working, and new mail carries the task page
    assert client.get(f"/l/{token}").status_code == 410
    second = hand_over(1)
    row = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.related_id == second.id)).first()
    assert f"/tasks/{second.id}" in row.body_text and "/l/" not in row.body_text
    # another unit's lead may not change it
    other = auth.client_for(people.other_lead)
    assert other.post(f"/units/{people.unit.id}/links", data={"enabled": "1"}).status_code == 403
    db.session.expire_all()
    assert people.unit.links_enabled is False


def test_set_unit_links_is_for_the_units_lead_or_an_admin(db, people):
    now = utcnow()
    for who in (people.member, people.other_lead, people.supervisor, people.viewer):
        with pytest.raises(PermissionDenied):
            link_services.set_unit_links(people.unit, False, actor=who, now=now)
    link_services.set_unit_links(people.unit, False, actor=people.admin, now=now)
    assert people.unit.links_enabled is False


# --------------------------------------------------------------------------- what a link opens and does

def test_the_link_page_acknowledges_reports_uploads_and_submits_as_the_address(db, people, hand_over, client):
    task = hand_over()
    token = token_in_mail(db, people.lead, task)
    page = client.get(f"/l/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert task.measure.label in html and "签收" in html and people.lead.email in html
    assert client.post(f"/l/{token}/acknowledge", data={"version": task.version}).status_code == 302
    response = client.post(f"/l/{token}/progress", data={"text": "已完成现场核查", "percent": "80",
                                                        "files": [upload()]}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert client.post(f"/l/{token}/submit", data={"note": "请审核"}).status_code == 302
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.state is TaskState.submitted and task.progress_percent == 80
    assert task.acknowledged_via is AckVia.link and task.acknowledged_email == people.lead.email
    assert task.acknowledged_by_id is None
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "task", AuditEntry.object_id == task.id,
        AuditEntry.action != "task.assigned").order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["task.acknowledged", "task.started", "task.progress",
                                           "task.evidence_added", "task.submitted"]
    assert all(e.actor_id is None and e.data["via"] == "link" and e.data["email"] == people.lead.email
               for e in entries)
    # the supervisor's timeline says who, by address
    assert f"{people.lead.email}（任务链接）" in _supervisor_page(task)


def _supervisor_page(task) -> str:
    from flask import current_app

    from tests import factories

    client = current_app.test_client()
    supervisor = task.plan.supervisor
    client.post("/login", data={"email": supervisor.email, "password": factories.PASSWORD})
    return client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_a_link_reaches_no_signed_in_page_and_no_other_task(db, people, hand_over, client):
    mine, other = hand_over(0), hand_over(1, unit=people.other_unit)
    token = token_in_mail(db, people.lead, mine)
    assert client.get(f"/l/{token}").status_code == 200
    for path in (f"/tasks/{mine.id}", f"/tasks/{other.id}", "/tasks/mine", "/tasks", "/dashboard",
                 "/reports/ledger.csv", f"/plans/{mine.plan_id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    assert client.get("/api/v1/tasks").status_code == 401
    # actions through the link act on its own task only, whatever the form says
    client.post(f"/l/{token}/acknowledge", data={"task_id": other.id})
    db.session.expire_all()
    assert db.session.get(Task, other.id).acknowledged_at is None


def test_downloads_through_a_link_are_its_tasks_files_only(db, people, hand_over, client):
    mine, other = hand_over(0), hand_over(1, unit=people.other_unit)
    [own_file] = task_services.add_evidence(mine, actor=people.lead, files=[upload("本任务.pdf")], now=utcnow())
    [foreign] = task_services.add_evidence(other, actor=people.other_lead, files=[upload("别人的.pdf")],
                                           now=utcnow())
    db.session.commit()
    token = token_in_mail(db, people.lead, mine)
    response = client.get(f"/l/{token}/evidence/{own_file.id}")
    assert response.status_code == 200 and response.data == PDF
    assert "attachment" in response.headers["Content-Disposition"]
    assert client.get(f"/l/{token}/evidence/{foreign.id}").status_code == 404
    # a deleted file is gone for the link as for a signed-in user
    own_file.is_deleted = True
    db.session.commit()
    assert client.get(f"/l/{token}/evidence/{own_file.id}").status_code == 404
    # and the other unit's link cannot fetch this task's files either
    other_token = token_in_mail(db, people.other_lead, other)
    own_file.is_deleted = False
    db.session.commit()
    assert client.get(f"/l/{other_token}/evidence/{own_file.id}").status_code == 404
    assert db.session.get(Evidence, foreign.id) is not None


# --------------------------------------------------------------------------- bad links

@pytest.mark.parametrize("token", ["x" * 43, "abc", "y" * 200])
def test_an_unknown_or_tampered_token_is_a_clear_404(db, people, hand_over, client, token):
    task = hand_over()
    real = token_in_mail(db, people.lead, task)
    before = audit_count(db)
    for path in (f"/l/{token}", f"/l/{real[:-1]}{'A' if real[-1] != 'A' else 'B'}"):
        response = client.get(path)
        assert response.status_code == 404 and "链接无效" in response.get_data(as_text=True)
    assert client.post(f"/l/{token}/acknowledge").status_code == 404
    assert audit_count(db) == before
    db.session.expire_all()
    assert db.session.get(Task, task.id).acknowledged_at is None


def test_an_expired_link_is_410_and_changes_nothing(db, people, hand_over, client):
    task = hand_over()
    token = token_in_mail(db, people.lead, task)
    link = db.session.scalars(sa.select(TaskLink)).one()
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = audit_count(db)
    response = client.get(f"/l/{token}")
    assert response.status_code == 410 and "已过期" in response.get_data(as_text=True)
    assert client.post(f"/l/{token}/acknowledge").status_code == 410
    response = client.post(f"/l/{token}/evidence", data={"files": [upload()]}, content_type="multipart/form-data")
    assert response.status_code == 410
    assert audit_count(db) == before
    db.session.expire_all()
    assert db.session.get(Task, task.id).acknowledged_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_each_new_email_renews_the_pairs_links(db, people, hand_over):
    task = hand_over()
    first = db.session.scalars(sa.select(TaskLink)).one()
    first.expires_at = first.created_at + timedelta(days=2)
    db.session.commit()
    now = utcnow() + timedelta(days=1)
    link_services.task_link(task, people.lead.email, now)
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(sa.select(TaskLink).order_by(TaskLink.id)).all()
    assert len(rows) == 2 and {r.expires_at for r in rows} == {now + timedelta(days=30)}


def test_the_supervisor_revokes_the_links(db, people, hand_over, client, auth):
    task = hand_over()
    token = token_in_mail(db, people.lead, task)
    assert client.get(f"/l/{token}").status_code == 200
    lead = auth.client_for(people.lead)
    assert lead.post(f"/tasks/{task.id}/links/revoke").status_code == 403
    assert client.get(f"/l/{token}").status_code == 200
    supervisor = auth.client_for(people.supervisor)
    assert people.lead.email in supervisor.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert supervisor.post(f"/tasks/{task.id}/links/revoke").status_code == 302
    response = client.get(f"/l/{token}")
    assert response.status_code == 410 and "已失效" in response.get_data(as_text=True)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "task.links_revoked")).one()
    assert entry.actor_id == people.supervisor.id and entry.data == {"count": 1}


def test_a_new_assignment_and_a_reassignment_revoke_the_links(db, people, hand_over, client):
    task = hand_over()
    token = token_in_mail(db, people.lead, task)
    # assigned again (the same measure to the same unit, a new deadline): the old mail's link dies
    task_services.assign(task.plan, [task.measure_id], [people.unit.id], role=UnitRole.lead,
                         due_on=date(2030, 9, 30), reporting_period=ReportingPeriod.once,
                         actor=people.supervisor, now=utcnow())
    db.session.commit()
    assert client.get(f"/l/{token}").status_code == 410
    fresh = token_in_mail(db, people.lead, task)
    assert fresh != token and client.get(f"/l/{fresh}").status_code == 200
    # refused and reassigned to another unit: this unit's link dies with its task
    refusal = task_services.refuse(task, actor=people.lead, reason="不属于本单位", now=utcnow())
    task_services.reassign(refusal, people.other_unit.id, actor=people.supervisor, now=utcnow())
    db.session.commit()
    assert client.get(f"/l/{fresh}").status_code == 410
    assert client.post(f"/l/{fresh}/acknowledge").status_code == 410


def test_the_outbox_pages_hide_the_links_token_from_the_supervisor(db, people, hand_over, auth):
    task = hand_over()
    token = token_in_mail(db, people.lead, task)
    row = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.recipient_id == people.lead.id)).first()
    supervisor = auth.client_for(people.supervisor)
    page = supervisor.get(f"/outbox/{row.id}").get_data(as_text=True)
    body = supervisor.get(f"/outbox/{row.id}/body").get_data(as_text=True)
    assert "/l/********" in page and "/l/********" in body
    assert token not in page and token not in body
