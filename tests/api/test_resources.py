"""The resources end to end through the test client: plans, assignments, tasks, evidence, extensions."""

from __future__ import annotations

import os
from datetime import date, timedelta

from tests.api.conftest import PDF
from tracker import audit
from tracker.tasks.models import Task, TaskState

PLAN_TEXT = "2026年民生实事实施方案\n一、加强组织领导\n1. 成立工作专班，明确责任分工。\n2. 每季度召开一次推进会。\n"


def test_import_plan_from_text_and_read_outline(api_for, people):
    api = api_for(people.supervisor)
    response = api.post("/plans", json={"title": "民生实事方案", "text": PLAN_TEXT, "activate": True})
    assert response.status_code == 201, response.get_json()
    [plan] = response.get_json()["plans"]
    assert plan["title"] == "民生实事方案"
    assert plan["state"] == "active"
    section = plan["items"][0]
    assert section["number"] == "一" and section["text"] == "加强组织领导"
    assert [child["number"] for child in section["children"]] == ["1", "2"]
    assert all(isinstance(child["id"], int) for child in section["children"])

    detail = api.get(f"/plans/{plan['id']}").get_json()
    assert detail["items"] == plan["items"]
    listed = api.get("/plans").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == plan["id"]


def test_import_plan_from_file(api_for, people):
    api = api_for(people.supervisor)
    response = api.upload("/plans", [(PLAN_TEXT.encode("utf-8"), "实施方案.txt")], title="上传的方案")
    assert response.status_code == 201, response.get_json()
    [plan] = response.get_json()["plans"]
    assert plan["title"] == "上传的方案" and plan["state"] == "draft"


def test_unparseable_plan_is_422_and_nothing_saved(api_for, people, db):
    api = api_for(people.supervisor)
    response = api.post("/plans", json={"text": "没有编号的一段话"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    assert api.get("/plans").get_json()["total"] == 0


def test_assign_then_work_a_task(api_for, people, plan, db):
    supervisor, lead = api_for(people.supervisor), api_for(people.lead)
    measure_id = plan.measures[1].id
    due = (date.today() + timedelta(days=60)).isoformat()
    response = supervisor.post(f"/plans/{plan.id}/assignments", json={
        "measure_ids": [measure_id], "unit_ids": [people.unit.id, people.other_unit.id], "role": "lead",
        "owner_id": people.member.id, "due_on": due, "reporting_period": "quarterly", "is_key": True})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["tasks"]
    assert {t["unit_id"] for t in created} == {people.unit.id, people.other_unit.id}
    mine = next(t for t in created if t["unit_id"] == people.unit.id)
    assert mine["owner_id"] == people.member.id and mine["is_key"] is True

    page = lead.get("/tasks").get_json()
    assert [t["id"] for t in page["items"]] == [mine["id"]]
    assert page["total"] == 1 and page["page"] == 1

    assert lead.post(f"/tasks/{mine['id']}/transitions", json={"action": "start"}).status_code == 200
    report = lead.post(f"/tasks/{mine['id']}/progress", json={"text": "已成立专班", "percent": 50})
    assert report.status_code == 201, report.get_json()
    assert lead.get(f"/tasks/{mine['id']}/progress").get_json()["items"][0]["text"] == "已成立专班"

    # the period the files prove is one of the task's own: today's, of the task's kind
    from tracker import periods
    key = periods.bounds(date.today(), mine["reporting_period"])[0]
    wrong = lead.upload(f"/tasks/{mine['id']}/evidence", [(PDF, "专班成立通知.pdf")], proves="1999年上半年")
    assert wrong.status_code == 422 and "报送期次" in str(wrong.get_json())
    uploaded = lead.upload(f"/tasks/{mine['id']}/evidence", [(PDF, "专班成立通知.pdf"), (PDF, "会议纪要.pdf")],
                           note="两份文件", period_key=key)
    assert uploaded.status_code == 201, uploaded.get_json()
    files = uploaded.get_json()["items"]
    assert files[0]["period_key"] == key and files[0]["proves"] is None
    assert [f["original_name"] for f in files] == ["专班成立通知.pdf", "会议纪要.pdf"]
    download = lead.client.get(files[0]["download_url"], headers=lead.headers())
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")

    submitted = lead.post(f"/tasks/{mine['id']}/transitions", json={"action": "submit", "note": "请审核"})
    assert submitted.get_json()["state"] == "submitted"
    again = lead.post(f"/tasks/{mine['id']}/transitions", json={"action": "submit"})
    assert again.status_code == 409, again.get_json()
    approved = supervisor.post(f"/tasks/{mine['id']}/transitions", json={"action": "approve"})
    assert approved.status_code == 200 and approved.get_json()["state"] == "completed"
    assert db.session.get(Task, mine["id"]).state is TaskState.completed


def test_task_filters_and_paging(api_for, people, tasks):
    api = api_for(people.admin)
    assert api.get("/tasks").get_json()["total"] == 2
    assert api.get(f"/tasks?unit_id={people.unit.id}").get_json()["total"] == 1
    assert api.get("/tasks?overdue=true").get_json()["total"] == 0
    assert api.get("/tasks?overdue=false").get_json()["total"] == 2
    assert api.get("/tasks?due_before=2099-06-29").get_json()["total"] == 0
    assert api.get("/tasks?state=assigned&per_page=1&page=2").get_json()["items"][0]["id"] in {
        t.id for t in tasks.values()}
    assert api.get("/tasks?per_page=101").status_code == 422
    assert api.get("/tasks?due_before=明天").status_code == 422


def test_extension_request_and_decision(api_for, people, tasks):
    task = tasks[people.unit.id]
    lead, supervisor = api_for(people.lead), api_for(people.supervisor)
    response = lead.post(f"/tasks/{task.id}/extensions", json={"new_due_on": "2099-09-30", "reason": "汛期施工受阻"})
    assert response.status_code == 201, response.get_json()
    ext = response.get_json()
    assert ext["state"] == "pending"
    decided = supervisor.post(f"/tasks/{task.id}/extensions/{ext['id']}/decision", json={"approve": True})
    assert decided.status_code == 200 and decided.get_json()["state"] == "approved"
    assert supervisor.get(f"/tasks/{task.id}").get_json()["due_on"] == "2099-09-30"
    twice = supervisor.post(f"/tasks/{task.id}/extensions/{ext['id']}/decision", json={"approve": False, "note": "否"})
    assert twice.status_code == 409
    # an extension id under another task is not found there
    other = tasks[people.other_unit.id]
    assert supervisor.post(f"/tasks/{other.id}/extensions/{ext['id']}/decision",
                           json={"approve": True}).status_code == 404


def test_units(api_for, people, db):
    people.unit.aliases = ["东城"]
    db.session.commit()
    items = api_for(people.member).get("/units").get_json()["items"]
    assert {u["name"] for u in items} >= {"示范市", "东城区", "西城区"}
    assert {u["name"]: u["aliases"] for u in items}["东城区"] == ["东城"]


def test_malformed_and_invalid_bodies(api_for, people, tasks):
    api = api_for(people.lead)
    task = tasks[people.unit.id]
    bad = api.client.post(f"/api/v1/tasks/{task.id}/transitions", data="{not json", headers={
        **api.headers(), "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
    assert api.post(f"/tasks/{task.id}/transitions", json=["start"]).status_code == 422
    wrong = api.post(f"/tasks/{task.id}/transitions", json={"action": "fly"})
    assert wrong.status_code == 422 and "action" in wrong.get_json()["error"]["message"]
    assert api.post(f"/tasks/{task.id}/progress", json={"text": "x", "percent": True}).status_code == 422


def test_too_large_upload_is_413(app, api_for, people, tasks):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    api = api_for(people.lead)
    response = api.upload(f"/tasks/{tasks[people.unit.id].id}/evidence", [(PDF + b"0" * 4096, "大文件.pdf")])
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_messages_follow_accept_language(api_for, people):
    api = api_for(people.lead)
    zh = api.get("/tasks/999")
    assert zh.status_code == 404 and zh.get_json()["error"]["message"] == "对象不存在或您无权查看。"
    assert zh.headers["Content-Language"].startswith("zh")
    en = api.get("/tasks/999", headers={"Accept-Language": "en"})
    assert en.get_json()["error"]["code"] == "not_found"
    assert en.headers["Content-Language"] == "en"


def test_stale_version_is_409(api_for, people, tasks):
    api = api_for(people.lead)
    task = api.get(f"/tasks/{tasks[people.unit.id].id}").get_json()
    started = api.post(f"/tasks/{task['id']}/transitions", json={"action": "start", "version": task["version"]})
    assert started.status_code == 200 and started.get_json()["version"] > task["version"]
    stale = api.post(f"/tasks/{task['id']}/transitions", json={"action": "cancel", "version": task["version"]})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "state_conflict"


def test_api_actions_are_audited_as_their_user(api_for, people, tasks, db):
    """The API calls the page's services: the same audit entry, with the token's user as actor."""
    task = tasks[people.unit.id]
    assert api_for(people.member).post(f"/tasks/{task.id}/transitions", json={"action": "start"}).status_code == 200
    [entry] = [e for e in audit.entries_for("task", task.id) if e.action == "task.started"]
    assert entry.actor_id == people.member.id


def test_plan_file_over_the_limit_is_413(app, api_for, people):
    app.config["PLAN_MAX_MB"] = 1
    api = api_for(people.supervisor)
    big = (PLAN_TEXT * 20000).encode("utf-8")
    assert len(big) > 1024 * 1024
    response = api.upload("/plans", [(big, "超大方案.txt")])
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"
    assert api.get("/plans").get_json()["total"] == 0


def test_evidence_file_over_the_per_file_limit_is_413_and_nothing_kept(app, api_for, people, tasks, db):
    app.config["EVIDENCE_MAX_MB"] = 1
    api = api_for(people.lead)
    task = tasks[people.unit.id]
    response = api.upload(f"/tasks/{task.id}/evidence", [(PDF + b"0" * (1024 * 1024 + 1), "超大佐证材料.pdf")])
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "payload_too_large" and "超大佐证材料.pdf" in error["message"]
    assert api.get(f"/tasks/{task.id}/evidence").get_json()["items"] == []
    folder = os.path.join(app.instance_path, "evidence")
    assert not os.path.isdir(folder) or not [n for n in os.listdir(folder) if not n.startswith(".")]


def test_me_names_the_tokens_user(api_for, people):
    me = api_for(people.lead).get("/me")
    assert me.status_code == 200
    assert me.get_json() == {"id": people.lead.id, "name": people.lead.name, "email": people.lead.email,
                             "role": "unit_lead", "unit_id": people.unit.id, "locale": people.lead.locale}
    assert api_for(None).get("/me").status_code == 401


def test_assign_as_planned_with_entries(api_for, people, db):
    """Each entry its own role, deadline and period; one transaction, an error saves nothing."""
    supervisor = api_for(people.supervisor)
    plan = supervisor.post("/plans", json={"text": PLAN_TEXT, "activate": True}).get_json()["plans"][0]
    measure_id = plan["items"][0]["children"][0]["id"]
    entries = [{"measure_id": measure_id, "unit_id": people.unit.id, "role": "lead", "due_on": "2030-06-30",
                "reporting_period": "weekly"},
               {"measure_id": measure_id, "unit_id": people.other_unit.id, "role": "support",
                "due_on": "2030-05-31", "reporting_period": "yearly"}]
    late = {**entries[0], "due_on": "2020-01-01", "unit_id": people.region.id}
    bad = supervisor.post(f"/plans/{plan['id']}/assignment-plans", json={"entries": [*entries, late]})
    assert bad.status_code == 422 and "不能早于今天" in bad.get_json()["error"]["message"]
    assert db.session.query(Task).count() == 0
    response = supervisor.post(f"/plans/{plan['id']}/assignment-plans", json={"entries": entries})
    assert response.status_code == 201, response.get_json()
    got = {(t["unit_id"], t["role"], t["due_on"], t["reporting_period"]) for t in response.get_json()["tasks"]}
    assert got == {(people.unit.id, "lead", "2030-06-30", "weekly"),
                   (people.other_unit.id, "support", "2030-05-31", "yearly")}
    again = supervisor.post(f"/plans/{plan['id']}/assignment-plans", json={"entries": entries[:1]})
    assert again.status_code == 201 and db.session.query(Task).count() == 2
    lead = api_for(people.lead)
    assert lead.post(f"/plans/{plan['id']}/assignment-plans", json={"entries": entries}).status_code in (403, 404)
