"""Task pages: forms that fail say why and save nothing; assignment pre-fills from the parser."""

from __future__ import annotations

from datetime import date

import lxml.html
import sqlalchemy as sa

from tests.tasks.conftest import upload
from tracker.audit import AuditEntry
from tracker.notify.models import OutboxEmail
from tracker.tasks import services
from tracker.tasks.models import Task, TaskState
from tracker.units.models import Unit, UnitKind


def plan_rows(page: str) -> list[tuple[str, str, str, str]]:
    """The assignment list's rows as the page pre-fills them: (unit, role, deadline, period)."""
    rows = []
    for tr in lxml.html.fromstring(page).xpath("//form[@id='plan-assign']//tr[contains(@class, 'plan-row')]"):
        def chosen(name: str, tr=tr) -> str:
            found = tr.xpath(f".//select[substring(@name, string-length(@name) - {len(name)})='-{name}']"
                             "/option[@selected]/@value")
            return found[0] if found else ""
        unit = tr.xpath(".//input[contains(@name, '-unit_name')]/@value")
        rows.append((unit[0] if unit else "", chosen("role"), tr.xpath(".//input[@type='date']/@value")[0],
                     chosen("period")))
    return rows


def audit_count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_assign_page_prefills_from_suggestions(db, auth, people, plan, measures):
    measures[0].suggestions = {"deadline": "2030-06-30", "lead_units": ["东城区"], "support_units": ["西城区"],
                               "units": ["不存在的单位"], "period": "half-yearly"}
    db.session.commit()
    client = auth.client_for(people.supervisor)
    page = client.get(f"/plans/{plan.id}/assign?measure_id={measures[0].id}").get_data(as_text=True)
    rows = plan_rows(page)
    assert len(rows) == 4  # the three names, and an empty row to add a unit
    assert rows[:2] == [("东城区", "lead", "2030-06-30", "half_yearly"),
                        ("西城区", "support", "2030-06-30", "half_yearly")]
    # the unmatched name: a row to place by hand, and the panel to map it once
    # (listed as 责任单位 beside a named 牵头单位: it would support)
    assert rows[2] == ("", "support", "2030-06-30", "half_yearly") and "原文：不存在的单位" in page
    assert 'id="unmatched-names"' in page
    assert f'name="measure_id" value="{measures[0].id}" checked' in page
    heading = next(m for m in plan.measures if m not in measures)
    assert f'name="measure_id" value="{heading.id}"' not in page
    assert "全选县区" in page and "js/tasks.js" in page and "全选乡镇" not in page


def plan_form(page: str) -> dict[str, list[str]]:
    """What the browser would send from the assignment list as pre-filled (checked boxes, selected options)."""
    form = lxml.html.fromstring(page).xpath("//form[@id='plan-assign']")[0]
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


def test_one_post_creates_lead_and_support_tasks_as_the_plan_says(db, auth, people, make, plan, measures):
    tree = make.directory(people)
    measures[0].suggestions = {"lead_units": ["县教育局"], "support_units": ["东城区", "西城区"],
                               "deadline": "2030-06-30", "period": "half-yearly", "leaders": ["李副市长"]}
    measures[1].suggestions = {"units": ["各县区"], "deadline": "2030-12-31", "period": "weekly"}
    measures[2].suggestions = {"units": ["市水务局", "市场监管局"], "deadline_text": "长期坚持", "period": "daily"}
    db.session.commit()
    client = auth.client_for(people.supervisor)
    page = client.get(f"/plans/{plan.id}/assign?all=1").get_data(as_text=True)
    assert "李副市长" in page and "长期坚持" in page and "不设每日反馈" in page
    assert 'data-check-kind="township"' in page  # the tree has townships: they can be ticked at once
    assert "将交办 8 项任务：牵头 6 项，配合 2 项" in page
    data = plan_form(page)
    # the third measure has no deadline in the text: the supervisor fills it in
    for key in [k for k in data if k.endswith("-due_on") and not data[k][0]]:
        data[key] = ["2031-03-31"]
    response = client.post(f"/plans/{plan.id}/assign", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    tasks = {(t.measure_id, t.unit.name): t for t in db.session.scalars(sa.select(Task))}
    got = {key: (t.role.value, t.due_on.isoformat(), t.reporting_period.value) for key, t in tasks.items()}
    first, second, third = (m.id for m in measures)
    assert got == {
        (first, "市教育局"): ("lead", "2030-06-30", "half_yearly"),
        (first, "东城区"): ("support", "2030-06-30", "half_yearly"),
        (first, "西城区"): ("support", "2030-06-30", "half_yearly"),
        (second, "东城区"): ("lead", "2030-12-31", "weekly"),
        (second, "西城区"): ("lead", "2030-12-31", "weekly"),
        (second, "青山县"): ("lead", "2030-12-31", "weekly"),
        (third, "市水务局"): ("lead", "2031-03-31", "once"),
        (third, "市场监督管理局"): ("lead", "2031-03-31", "once"),
    }
    assert tree["市教育局"].id in {t.unit_id for t in tasks.values()}
    # the same list sent again updates the pairs in place, never duplicates them
    data["row-0-due_on"] = ["2030-09-30"]  # row 0: the first measure's lead, 市教育局
    assert client.post(f"/plans/{plan.id}/assign", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 8
    assert db.session.get(Task, tasks[(first, "市教育局")].id).due_on == date(2030, 9, 30)


def test_all_measures_means_those_not_yet_assigned(db, auth, people, plan, measures, assign):
    client = auth.client_for(people.supervisor)

    def listed() -> list[str]:
        page = client.get(f"/plans/{plan.id}/assign?all=1").get_data(as_text=True)
        return lxml.html.fromstring(page).xpath("//form[@id='plan-assign']//div[@data-measure]/@data-measure")

    assert listed() == [str(m.id) for m in measures]
    assign(measures[:1], due_on=date(2030, 6, 30))
    assert listed() == [str(m.id) for m in measures[1:]]
    assign(measures[1:], due_on=date(2030, 6, 30))
    assert listed() == [str(m.id) for m in measures]  # all assigned: all of them, to adjust


def test_the_list_is_corrected_before_confirming(db, auth, people, make, plan, measures):
    make.directory(people)
    measures[0].suggestions = {"lead_units": ["西城区"], "support_units": ["东城区"], "deadline": "2030-06-30"}
    db.session.commit()
    client = auth.client_for(people.supervisor)
    data = plan_form(client.get(f"/plans/{plan.id}/assign?measure_id={measures[0].id}").get_data(as_text=True))
    # swap the roles, untick nothing, add 青山县 as a supporting unit in the empty row
    data["row-0-role"], data["row-1-role"] = ["support"], ["lead"]
    qs = db.session.scalar(sa.select(Unit.id).where(Unit.name == "青山县"))
    data["row-2-unit"], data["row-2-role"], data["row-2-due_on"] = [str(qs)], ["support"], ["2030-05-31"]
    assert client.post(f"/plans/{plan.id}/assign", data=data).status_code == 302
    got = {t.unit.name: (t.role.value, t.due_on.isoformat()) for t in db.session.scalars(sa.select(Task))}
    assert got == {"西城区": ("support", "2030-06-30"), "东城区": ("lead", "2030-06-30"),
                   "青山县": ("support", "2030-05-31")}


def test_a_unit_is_picked_or_typed_by_name(db, auth, people, make, plan, measures):
    tree = make.directory(people)
    make.unit("教育局", kind=UnitKind.department, parent=people.unit)  # a second 教育局 name in the tree
    make.unit("教育局", kind=UnitKind.department, parent=people.other_unit)
    db.session.commit()
    client = auth.client_for(people.supervisor)
    page = client.get(f"/plans/{plan.id}/assign?measure_id={measures[0].id}").get_data(as_text=True)
    options = lxml.html.fromstring(page).xpath("//datalist[@id='unit-options']/option/@value")
    assert {"市水务局", "教育局（东城区）", "教育局（西城区）"} <= set(options) and len(options) == len(set(options))
    data = plan_form(page)
    data.update({"row-0-unit_name": "县水务局", "row-0-due_on": "2030-06-30", "row-0-role": "lead"})
    data["row-0-unit_name"] = "县水务局"  # typed as the plan writes it: the one unit it means
    response = client.post(f"/plans/{plan.id}/assign", data=data)
    assert response.status_code == 302
    assert [(t.unit_id, t.role.value) for t in db.session.scalars(sa.select(Task))] == [(tree["市水务局"].id, "lead")]
    for typed in ("不存在的局", "各县区", "教育局"):
        data.update({"row-0-unit_name": typed, "row-0-measure": str(measures[1].id)})
        response = client.post(f"/plans/{plan.id}/assign", data=data)
        assert response.status_code == 422 and f"单位“{typed}”不在单位目录中" in response.get_data(as_text=True)
        assert plan_rows(response.get_data(as_text=True))[0][0] == typed  # kept to correct
    data["row-0-unit_name"] = "教育局（西城区）"
    assert client.post(f"/plans/{plan.id}/assign", data=data).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 2


def test_a_bad_row_saves_nothing_and_keeps_the_list(db, auth, people, plan, measures):
    measures[0].suggestions = {"lead_units": ["东城区"], "support_units": ["西城区"], "deadline": "2030-06-30"}
    db.session.commit()
    client = auth.client_for(people.supervisor)
    data = plan_form(client.get(f"/plans/{plan.id}/assign?measure_id={measures[0].id}").get_data(as_text=True))
    data["row-1-due_on"] = ["2020-01-01"]
    assert "原文时限已过" not in client.get(f"/plans/{plan.id}/assign?measure_id={measures[0].id}").get_data(
        as_text=True)
    response = client.post(f"/plans/{plan.id}/assign", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "交西城区：完成时限不能早于今天" in page
    assert plan_rows(page)[:2] == [("东城区", "lead", "2030-06-30", "once"),
                                   ("西城区", "support", "2020-01-01", "once")]
    for row in plan_rows(page)[:2]:
        assert row[0]
    data["row-1-unit"] = [str(people.unit.id)]
    data["row-1-due_on"] = ["2030-06-30"]
    response = client.post(f"/plans/{plan.id}/assign", data=data)
    assert response.status_code == 422 and "只能交办一次" in response.get_data(as_text=True)
    # a plan of past years: its deadlines have passed, the page says so before anything is sent
    measures[0].suggestions = {**measures[0].suggestions, "deadline": "2016-12-31"}
    db.session.commit()
    assert "原文时限已过" in client.get(f"/plans/{plan.id}/assign?measure_id={measures[0].id}").get_data(
        as_text=True)
    data = {"mode": "plan", "rows": "1", "row-0-measure": str(measures[0].id), "row-0-unit": "",
            "row-0-keep": "1"}
    response = client.post(f"/plans/{plan.id}/assign", data=data)
    assert response.status_code == 422 and "请至少保留一项" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


def test_a_long_assignment_list_is_not_refused_for_its_size(db, auth, people, plan, measures):
    """A long plan's list (2000 rows, over a megabyte of form) is read in full; empty rows are skipped."""
    client = auth.client_for(people.supervisor)
    rows = {"mode": "plan", "rows": "2000"}
    for i in range(2000):
        rows.update({f"row-{i}-measure": str(measures[0].id), f"row-{i}-unit": "", f"row-{i}-role": "support",
                     f"row-{i}-due_on": "2030-06-30", f"row-{i}-period": "once", f"row-{i}-keep": "1",
                     f"row-{i}-written": "各乡镇（街道）有关责任单位" * 4})
    rows.update({"row-0-unit": str(people.unit.id), "row-0-role": "lead"})
    response = client.post(f"/plans/{plan.id}/assign", data=rows)
    assert response.status_code == 302
    assert [(t.unit_id, t.role.value) for t in db.session.scalars(sa.select(Task))] == [(people.unit.id, "lead")]


def test_unmatched_names_are_mapped_once_and_remembered(db, auth, people, make, plan, measures):
    tree = make.directory(people)
    measures[0].suggestions = {"lead_units": ["县农业农村局"], "deadline": "2030-06-30"}
    measures[1].suggestions = {"lead_units": ["县农业农村局"], "support_units": ["县乡村振兴局"]}
    db.session.commit()
    client = auth.client_for(people.supervisor)
    page = client.get(f"/plans/{plan.id}/assign").get_data(as_text=True)
    panel = lxml.html.fromstring(page).xpath("//section[@id='unmatched-names']")[0].text_content()
    assert panel.count("县农业农村局") == 1 and "2 项" in panel and "县乡村振兴局" in panel
    names = {"names": "2", "name-0": "县农业农村局", "choice-0": f"unit:{tree['市水务局'].id}",
             "name-1": "县乡村振兴局", "choice-1": "new:department", "measure_id": [str(measures[0].id)]}
    response = client.post(f"/plans/{plan.id}/assign/names", data=names)
    assert response.status_code == 302 and f"measure_id={measures[0].id}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="unmatched-names"' not in page
    assert plan_rows(page)[0] == ("市水务局", "lead", "2030-06-30", "once")
    created = db.session.scalar(sa.select(Unit).where(Unit.name == "县乡村振兴局"))
    assert created is not None and created.kind is UnitKind.department
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "unit.alias_added")) == 1
    # a unit lead may not
    lead = auth.client_for(people.lead)
    assert lead.post(f"/plans/{plan.id}/assign/names", data=names).status_code == 403


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
    assert matrix.count(" data-t=") == 6 and "0/2" in matrix  # one cell per task


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
