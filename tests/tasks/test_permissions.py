"""Every task route × every role: who gets the page, who is refused, who is told it does not exist."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from tests.tasks.conftest import PDF, upload
from tracker.audit import AuditEntry
from tracker.auth.models import Role
from tracker.tasks import permissions, services
from tracker.tasks.models import ReportingPeriod, Task, UnitRole

ROLES = ("anon", "viewer", "member", "lead", "other_lead", "supervisor", "other_supervisor", "admin")


@dataclass
class World:
    people: object
    users: dict
    plan: object
    assigned: Task
    working: Task
    submitted: Task
    evidence_id: int
    request_id: int


@pytest.fixture
def world(db, make, people, plan, measures, now):
    other_supervisor = make.user(Role.supervisor, name="赵督办")
    tasks = services.assign(plan, [m.id for m in measures], [people.unit.id], role=UnitRole.lead,
                            due_on=date(2030, 6, 30), reporting_period=ReportingPeriod.once,
                            actor=people.supervisor, now=now)
    assigned, working, submitted = tasks
    services.start(working, actor=people.lead, now=now)
    evidence = services.add_evidence(working, actor=people.lead, files=[upload()], now=now)[0]
    services.start(submitted, actor=people.lead, now=now)
    services.add_evidence(submitted, actor=people.lead, files=[upload("二.pdf")], now=now)
    services.submit(submitted, actor=people.lead, note="已完成", now=now)
    request = services.request_extension(assigned, actor=people.lead, new_due_on=date(2030, 9, 30), reason="汛期",
                                         now=now)
    db.session.commit()
    users = {"anon": None, "viewer": people.viewer, "member": people.member, "lead": people.lead,
             "other_lead": people.other_lead, "supervisor": people.supervisor,
             "other_supervisor": other_supervisor, "admin": people.admin}
    return World(people, users, plan, assigned, working, submitted, evidence.id, request.id)


def client_for(app, auth, world, role):
    user = world.users[role]
    return app.test_client() if user is None else auth.client_for(user)


def expect(table: str) -> dict[str, int]:
    """ "302 302 200 ..." in ROLES order."""
    codes = [int(c) for c in table.split()]
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


#                                 anon view memb lead othl sup  osup admin
GETS = {
    "/tasks/mine":               "302  302  200  200  200  302  302  302",
    "/tasks":                    "302  200  403  403  403  200  200  200",
    "/tasks/review":             "302  403  403  403  403  200  200  200",
    "/tasks/{working}":          "302  200  200  200  404  200  404  200",
    "/tasks/evidence/{evidence}": "302  200  200  200  404  200  404  200",
    "/tasks/999999":             "302  404  404  404  404  404  404  404",
    "/tasks/evidence/999999":    "302  404  404  404  404  404  404  404",
    "/plans/{plan}/assign":      "302  403  403  403  403  200  403  200",
    "/plans/{plan}/matrix":      "302  200  403  403  403  200  403  200",
    "/plans/999999/matrix":      "302  404  404  404  404  404  404  404",
}


def fill(url: str, world: World) -> str:
    return url.format(working=world.working.id, evidence=world.evidence_id, plan=world.plan.id)


@pytest.mark.parametrize("role", ROLES)
def test_get_routes(app, auth, world, role):
    client = client_for(app, auth, world, role)
    for url, table in GETS.items():
        response = client.get(fill(url, world))
        assert response.status_code == expect(table)[role], (url, role)
        if role == "anon":
            assert "/login" in response.headers["Location"]
        response.close()


# (name, method url, form data, expected codes); a 302 for a signed-in role means it worked
POSTS = {
    "start": ("/tasks/{assigned}/do/start", {}, "302  403  302  302  404  403  404  403"),
    "submit": ("/tasks/{working}/do/submit", {"note": "已完成"}, "302  403  302  302  404  403  404  403"),
    "progress": ("/tasks/{working}/progress", {"text": "已完成调研", "percent": "50"},
                 "302  403  302  302  404  403  404  403"),
    "evidence": ("/tasks/{working}/evidence", "file", "302  403  302  302  404  403  404  403"),
    "extension": ("/tasks/{working}/extension", {"new_due_on": "2030-08-31", "reason": "需协调资金"},
                  "302  403  302  302  404  403  404  403"),
    "owner": ("/tasks/{working}/owner", {"owner_id": "{member}"}, "302  403  403  302  404  302  404  302"),
    "approve": ("/tasks/{submitted}/do/approve", {"note": "同意"}, "302  403  403  403  404  302  404  302"),
    "return": ("/tasks/{submitted}/do/return", {"reason": "请补充照片"}, "302  403  403  403  404  302  404  302"),
    "cancel": ("/tasks/{working}/do/cancel", {"reason": "重复交办"}, "302  403  403  403  404  302  404  302"),
    "deadline": ("/tasks/{working}/deadline", {"due_on": "2030-10-31"}, "302  403  403  403  404  302  404  302"),
    "flags": ("/tasks/{working}/flags", {"is_key": "1"}, "302  403  403  403  404  302  404  302"),
    "decide": ("/tasks/extensions/{request}/decide", {"decision": "approve", "note": "同意"},
               "302  403  403  403  404  302  404  302"),
    "assign": ("/plans/{plan}/assign", "assign", "302  403  403  403  403  302  403  302"),
}


def post(client, world, name):
    url, data, _table = POSTS[name]
    url = url.format(assigned=world.assigned.id, working=world.working.id, submitted=world.submitted.id,
                     request=world.request_id, plan=world.plan.id)
    if data == "file":
        return client.post(url, data={"files": (io.BytesIO(PDF), "补充材料.pdf")}, content_type="multipart/form-data")
    if data == "assign":
        data = {"measure_id": [str(world.assigned.measure_id)], "unit_id": [str(world.people.other_unit.id)],
                "role": "support", "due_on": "2030-12-31", "reporting_period": "quarterly", "evidence_required": "1"}
    else:
        data = {k: v.format(member=world.people.member.id) for k, v in data.items()}
    return client.post(url, data=data)


def snapshot(db):
    db.session.expire_all()
    tasks = db.session.execute(sa.select(Task.id, Task.state, Task.version, Task.due_on, Task.owner_id, Task.is_key)
                               .order_by(Task.id)).all()
    # a refusal is itself recorded (security.permission_denied); nothing else may be
    return tasks, db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action != "security.permission_denied"))


CASES = [(name, role) for name, (_u, _d, table) in POSTS.items() for role, code in expect(table).items()
         if code == 302 and role != "anon"]


@pytest.mark.parametrize("name,allowed_role", CASES)
def test_post_routes(app, db, auth, world, name, allowed_role):
    table = expect(POSTS[name][2])
    before = snapshot(db)
    for role in ROLES:
        if table[role] == 302 and role != "anon":
            continue
        response = post(client_for(app, auth, world, role), world, name)
        assert response.status_code == table[role], (name, role, response.get_data(as_text=True)[:300])
        if role == "anon":
            assert "/login" in response.headers["Location"]
        assert snapshot(db) == before, (name, role)
    response = post(client_for(app, auth, world, allowed_role), world, name)
    assert response.status_code == 302, (name, allowed_role, response.get_data(as_text=True)[:2000])
    assert snapshot(db) != before


def test_viewer_sees_no_action_buttons(app, auth, world):
    page = auth.client_for(world.people.viewer).get(f"/tasks/{world.working.id}").get_data(as_text=True)
    assert "action=\"/tasks/" not in page and "<form method=\"post\" action=\"/tasks" not in page
    lead_page = auth.client_for(world.people.lead).get(f"/tasks/{world.working.id}").get_data(as_text=True)
    assert f"/tasks/{world.working.id}/progress" in lead_page


def test_visible_tasks_filters_in_sql(db, world, make):
    def ids(user):
        return set(db.session.scalars(permissions.visible_tasks(user).with_only_columns(Task.id)))

    everything = {world.assigned.id, world.working.id, world.submitted.id}
    people = world.people
    assert ids(people.admin) == ids(people.viewer) == ids(people.supervisor) == everything
    assert ids(world.users["other_supervisor"]) == set()
    assert ids(people.lead) == ids(people.member) == everything
    assert ids(people.other_lead) == set()
    # the region's people see the tasks of the units below it
    region_lead = make.user(Role.unit_lead, unit=people.region)
    assert ids(region_lead) == everything
    assert not permissions.can_work_on(region_lead, world.working)
    assert ids(None) == set()
