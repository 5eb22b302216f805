"""Task pages: forms that fail say why and save nothing; assignment pre-fills from the parser."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.tasks.conftest import upload
from tracker.audit import AuditEntry
from tracker.notify.models import OutboxEmail
from tracker.tasks import services
from tracker.tasks.models import Task, TaskState


def audit_count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_assign_page_prefills_from_suggestions(db, auth, people, plan, measures):
    measures[0].suggestions = {"deadline": "2030-06-30", "lead_units": ["东城区"], "support_units": ["西城区"],
                               "units": ["不存在的单位"]}
    db.session.commit()
    client = auth.client_for(people.supervisor)
    page = client.get(f"/plans/{plan.id}/assign?measure_id={measures[0].id}").get_data(as_text=True)
    assert 'value="2030-06-30"' in page
    assert f'name="unit_id" value="{people.unit.id}" data-kind="county" checked' in page
    assert f'name="unit_id" value="{people.other_unit.id}" data-kind="county" checked' in page
    assert f'name="measure_id" value="{measures[0].id}" checked' in page
    heading = next(m for m in plan.measures if m not in measures)
    assert f'name="measure_id" value="{heading.id}"' not in page
    assert "全选县区" in page and "js/tasks.js" in page


def test_assign_through_the_page_many_measures_many_units(db, auth, people, plan, measures):
    client = auth.client_for(people.supervisor)
    response = client.post(f"/plans/{plan.id}/assign", data={
        "measure_id": [str(m.id) for m in measures], "unit_id": [str(people.unit.id), str(people.other_unit.id)],
        "role": "lead", "due_on": "2030-06-30", "reporting_period": "half_yearly", "is_key": "1",
        "evidence_required": "1", "owner_id": str(people.member.id)})
    assert response.status_code == 302 and f"/plans/{plan.id}/matrix" in response.headers["Location"]
    tasks = db.session.scalars(sa.select(Task)).all()
    assert len(tasks) == 6 and all(t.is_key for t in tasks)
    assert {t.owner_id for t in tasks if t.unit_id == people.unit.id} == {people.member.id}
    matrix = client.get(f"/plans/{plan.id}/matrix").get_data(as_text=True)
    assert matrix.count("light light-") == 6 and "0/2" in matrix


def test_assign_errors_are_422_and_save_nothing(db, auth, people, plan, measures):
    client = auth.client_for(people.supervisor)
    base = {"measure_id": [str(measures[0].id)], "unit_id": [str(people.unit.id)], "role": "lead",
            "reporting_period": "once"}
    for data, message in (({**base, "due_on": "2020-01-01"}, "不能早于今天"),
                          ({**base, "due_on": "不是日期"}, "有效的完成时限"),
                          ({**base, "due_on": "2030-01-01", "unit_id": []}, "至少选择一个"),
                          ({**base, "due_on": "2030-01-01", "owner_id": str(people.other_lead.id)}, "责任人")):
        response = client.post(f"/plans/{plan.id}/assign", data=data)
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


def test_workflow_through_the_pages(db, auth, people, assign):
    task = assign(due_on=date(2030, 6, 30))[0]
    lead = auth.client_for(people.lead)
    supervisor = auth.client_for(people.supervisor)
    mine = lead.get("/tasks/mine").get_data(as_text=True)
    assert "开始办理" in mine and 'class="light light-' in mine
    assert lead.post(f"/tasks/{task.id}/do/start").status_code == 302
    # submitting without evidence: told why, nothing changes
    before = audit_count(db)
    response = lead.post(f"/tasks/{task.id}/do/submit")
    assert response.status_code == 422 and "佐证材料" in response.get_data(as_text=True)
    assert audit_count(db) == before
    services.add_evidence(db.session.get(Task, task.id), actor=people.lead, files=[upload()], now=_now())
    db.session.commit()
    assert lead.post(f"/tasks/{task.id}/do/submit", data={"note": "请审核"}).status_code == 302
    queue = supervisor.get("/tasks/review").get_data(as_text=True)
    assert f"/tasks/{task.id}/do/approve" in queue
    # a return without a reason is refused and nothing is saved
    response = supervisor.post(f"/tasks/{task.id}/do/return", data={"reason": " "})
    assert response.status_code == 422 and "退回原因" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Task, task.id).state is TaskState.submitted
    response = supervisor.post(f"/tasks/{task.id}/do/return", data={"reason": "请补充照片", "next": "/tasks/review"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks/review")
    # a state conflict is a 409
    response = supervisor.post(f"/tasks/{task.id}/do/approve")
    assert response.status_code == 409
    page = lead.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "请补充照片" in page and "退回次数" in page and "办理记录" in page
    assert lead.post(f"/tasks/{task.id}/do/explode").status_code == 404


def test_unsafe_next_is_ignored(db, auth, people, assign):
    task = assign(due_on=date(2030, 6, 30))[0]
    response = auth.client_for(people.lead).post(f"/tasks/{task.id}/do/start", data={"next": "//evil.example/x"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_extension_through_the_pages(db, auth, people, assign):
    task = assign(due_on=date(2030, 6, 30))[0]
    lead = auth.client_for(people.lead)
    response = lead.post(f"/tasks/{task.id}/extension", data={"new_due_on": "2030-05-01", "reason": "资金未到位"})
    assert response.status_code == 422 and "晚于当前时限" in response.get_data(as_text=True)
    assert lead.post(f"/tasks/{task.id}/extension",
                     data={"new_due_on": "2030-09-30", "reason": "资金未到位"}).status_code == 302
    supervisor = auth.client_for(people.supervisor)
    assert "资金未到位" in supervisor.get("/tasks/review").get_data(as_text=True)
    request_id = services.pending_extension(db.session.get(Task, task.id)).id
    response = supervisor.post(f"/tasks/extensions/{request_id}/decide", data={"decision": "refuse", "note": ""})
    assert response.status_code == 422
    assert supervisor.post(f"/tasks/extensions/{request_id}/decide",
                           data={"decision": "approve"}).status_code == 302
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.due_on == date(2030, 9, 30) and task.original_due_on == date(2030, 6, 30)
    page = lead.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "原定" in page and "2030-09-30" in page


def test_every_task_email_says_why_and_links_to_the_task(db, people, assign, now, app):
    task = assign(owner_by_unit={people.unit.id: people.member.id})[0]
    services.start(task, actor=people.lead, now=now)
    services.add_evidence(task, actor=people.lead, files=[upload()], now=now)
    services.submit(task, actor=people.lead, now=now)
    services.return_task(task, actor=people.supervisor, reason="请补充", now=now)
    services.request_extension(task, actor=people.lead, new_due_on=date(2026, 9, 30), reason="汛期", now=now)
    request = services.pending_extension(task)
    services.decide_extension(request, actor=people.supervisor, approve=True, now=now)
    services.change_deadline(task, date(2026, 10, 31), actor=people.supervisor, now=now)
    services.cancel(task, actor=people.supervisor, reason="合并办理", now=now)
    db.session.commit()
    rows = db.session.scalars(sa.select(OutboxEmail)).all()
    kinds = {r.kind for r in rows}
    assert kinds == {"task_assigned", "task_submitted", "task_returned", "task_extension_requested",
                     "task_extension_decided", "task_deadline_changed", "task_cancelled"}
    link = app.config["BASE_URL"].rstrip("/") + f"/tasks/{task.id}"
    for row in rows:
        assert "您收到这封邮件，是因为" in row.body_text, row.kind
        assert link in row.body_text and f'href="{link}"' in row.body_html, row.kind
        assert "\n" not in row.subject


def _now():
    from tracker.db import utcnow

    return utcnow()
