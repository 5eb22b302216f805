"""The pages' permission matrix, repeated for the API: the same services say no the same way."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from tests.api.conftest import PDF, Api
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.tasks import services as task_services


@pytest.fixture
def evidence(db, people, tasks):
    """One PDF on each unit's task, uploaded by that unit."""
    out = {}
    for unit_id, task in tasks.items():
        uploader = people.lead if unit_id == people.unit.id else people.other_lead
        [row] = task_services.add_evidence(task, actor=uploader, files=[
            FileStorage(io.BytesIO(PDF), filename="佐证.pdf", content_type="application/pdf")], now=utcnow())
        out[unit_id] = row
    db.session.commit()
    return out


READS = ["/tasks/{task}", "/tasks/{task}/progress", "/tasks/{task}/evidence", "/tasks/{task}/evidence/{evidence}",
         "/tasks/{task}/extensions"]


def test_anonymous_gets_401_everywhere(app, people, tasks, evidence):
    api = Api(app, None)
    task = tasks[people.unit.id]
    for path in READS + ["/tasks", "/plans", "/units", "/notices"]:
        response = api.get(path.format(task=task.id, evidence=evidence[people.unit.id].id))
        assert response.status_code == 401, path
    assert api.post(f"/tasks/{task.id}/transitions", json={"action": "start"}).status_code == 401


def test_unit_lead_cannot_see_another_units_task_or_evidence(api_for, people, tasks, evidence):
    api = api_for(people.lead)
    mine, theirs = tasks[people.unit.id], tasks[people.other_unit.id]
    for path in READS:
        own = api.get(path.format(task=mine.id, evidence=evidence[people.unit.id].id))
        assert own.status_code == 200, path
        other = api.get(path.format(task=theirs.id, evidence=evidence[people.other_unit.id].id))
        assert other.status_code == 404, path
        assert other.get_json()["error"]["code"] == "not_found"
    # the other unit's file under my own task id is not found either
    assert api.get(f"/tasks/{mine.id}/evidence/{evidence[people.other_unit.id].id}").status_code == 404
    assert api.post(f"/tasks/{theirs.id}/transitions", json={"action": "start"}).status_code == 404
    assert [t["id"] for t in api.get("/tasks").get_json()["items"]] == [mine.id]
    assert api.get(f"/tasks?unit_id={people.other_unit.id}").get_json()["total"] == 0


def test_viewer_reads_but_cannot_write(api_for, people, plan, tasks):
    api = api_for(people.viewer)
    task = tasks[people.unit.id]
    assert api.get(f"/tasks/{task.id}").status_code == 200
    writes = [
        api.post(f"/tasks/{task.id}/transitions", json={"action": "start"}),
        api.post(f"/tasks/{task.id}/progress", json={"text": "越权报送", "percent": 10}),
        api.upload(f"/tasks/{task.id}/evidence", [(PDF, "越权.pdf")]),
        api.post(f"/tasks/{task.id}/extensions", json={"new_due_on": "2099-12-31", "reason": "越权"}),
        api.post("/plans", json={"text": "一、加强领导\n1. 成立专班。\n"}),
        api.post(f"/plans/{plan.id}/assignments", json={"measure_ids": [plan.measures[2].id],
                                                        "unit_ids": [people.unit.id], "due_on": "2099-01-01"}),
    ]
    for response in writes:
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role, status", [
    (Role.unit_member, 200), (Role.unit_lead, 200), (Role.supervisor, 403), (Role.admin, 403), (Role.viewer, 403)])
def test_who_may_start_a_task(api_for, people, tasks, role, status):
    """Only the task's own unit works on it; reviewers and viewers may not."""
    response = api_for(people.by_role(role)).post(f"/tasks/{tasks[people.unit.id].id}/transitions",
                                                  json={"action": "start"})
    assert response.status_code == status, response.get_json()


def test_unit_lead_cannot_approve_own_task(api_for, people, tasks):
    api = api_for(people.lead)
    task = tasks[people.unit.id]
    api.post(f"/tasks/{task.id}/transitions", json={"action": "start"})
    api.upload(f"/tasks/{task.id}/evidence", [(PDF, "材料.pdf")])
    assert api.post(f"/tasks/{task.id}/transitions", json={"action": "submit", "note": "已完成"}).status_code == 200
    assert api.post(f"/tasks/{task.id}/transitions", json={"action": "approve"}).status_code == 403
