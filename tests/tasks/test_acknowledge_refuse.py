"""签收 (acknowledge) and 退回交办 (refuse, then reassign or insist): each state change, who may make
it, its audit entry, and bad input that changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.tasks.conftest import upload
from tracker.audit import AuditEntry
from tracker.auth.permissions import PermissionDenied
from tracker.notify import services as notify_services
from tracker.notify.models import OutboxEmail
from tracker.tasks import queries, services
from tracker.tasks.models import AckVia, RefusalState, Task, TaskRefusal, TaskState


def audits(db, task, action=None):
    query = sa.select(AuditEntry.action).where(AuditEntry.object_type == "task", AuditEntry.object_id == task.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def later(now, days):
    return now + timedelta(days=days)


# --------------------------------------------------------------------------- 签收

def test_new_task_waits_for_acknowledgement_and_the_unit_acknowledges(db, people, task, now):
    assert task.awaits_acknowledgement and task.acknowledged_at is None
    assert "acknowledge" in services.available_actions(people.member, task, date(2026, 3, 2))
    assert "acknowledge" not in services.available_actions(people.supervisor, task, date(2026, 3, 2))
    at = later(now, 2)
    services.acknowledge(task, actor=people.member, now=at)
    db.session.commit()
    assert task.acknowledged_at == at and task.acknowledged_by_id == people.member.id
    assert task.acknowledged_via is AckVia.signed_in and not task.awaits_acknowledgement
    # the clock starts at 签收, the deadline stays as assigned
    assert task.assigned_on == date(2026, 3, 4) and task.due_on == date(2026, 6, 30)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "task.acknowledged")).one()
    assert entry.actor_id == people.member.id and entry.data == {"via_channel": "signed_in"}


def test_second_acknowledgement_is_refused_and_changes_nothing(db, people, task, now):
    services.acknowledge(task, actor=people.lead, now=now)
    db.session.commit()
    version = task.version
    with pytest.raises(services.StateConflict, match="已签收，无需重复签收"):
        services.acknowledge(task, actor=people.member, now=later(now, 1))
    db.session.rollback()
    assert task.acknowledged_by_id == people.lead.id and task.acknowledged_at == now and task.version == version
    assert audits(db, task, "task.acknowledged") == ["task.acknowledged"]


@pytest.mark.parametrize("who", ["supervisor", "viewer", "other_lead", "admin"])
def test_only_the_tasks_own_unit_acknowledges(db, people, task, now, who):
    with pytest.raises(PermissionDenied):
        services.acknowledge(task, actor=getattr(people, who), now=now)
    db.session.rollback()
    assert task.acknowledged_at is None and audits(db, task, "task.acknowledged") == []


def test_working_on_a_task_acknowledges_it_once(db, people, task, now):
    services.report_progress(task, actor=people.lead, text="已部署", percent=10, files=[upload()], now=now)
    db.session.commit()
    assert task.acknowledged_at == now and task.acknowledged_via is AckVia.signed_in
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "task.acknowledged")).one()
    assert entry.data == {"via_channel": "signed_in", "implicit": True}


def test_closed_task_cannot_be_acknowledged(db, people, task, now):
    services.cancel(task, actor=people.supervisor, reason="合并办理", now=now)
    db.session.commit()
    with pytest.raises(services.StateConflict, match="不能签收"):
        services.acknowledge(task, actor=people.lead, now=now)
    db.session.rollback()
    assert task.acknowledged_at is None


def test_unacknowledged_filter_and_matrix(db, people, assign, plan, measures, now):
    first, second = assign(measures[:2])
    services.acknowledge(first, actor=people.lead, now=now)
    db.session.commit()
    from tracker.tasks.filters import TaskFilters, filter_conditions

    ids = set(db.session.scalars(sa.select(Task.id).where(
        *filter_conditions(TaskFilters(unacknowledged=True), date(2026, 3, 5)))))
    assert ids == {second.id}
    grid = queries.plan_matrix(plan, people.supervisor, today=date(2026, 3, 5))
    # the cell's last field: still waiting for 签收
    assert grid.cell(second.measure_id, people.unit.id)[4] is True
    assert grid.cell(first.measure_id, people.unit.id)[4] is False
    # the dashboard's 未签收 count comes from the tally and agrees with a recount from the tasks
    from tracker.reports import queries as report_queries
    board = report_queries.dashboard(people.supervisor, now + timedelta(days=3))
    check = report_queries.dashboard_recount(people.supervisor, now + timedelta(days=3))
    assert board.unacknowledged == check.unacknowledged == 1
    assert board.longest_wait_days == check.longest_wait_days == 3


# --------------------------------------------------------------------------- the reminder rule

def test_reminder_chases_a_task_not_acknowledged_after_n_working_days_once(app, db, people, task, now):
    app.config["ACK_REMIND_WORKDAYS"] = 2
    # assigned Monday 2026-03-02: Tuesday is one working day, Wednesday the second
    tuesday = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    assert notify_services.run_reminders(now=tuesday).by_kind.get("task_unacknowledged") is None
    wednesday = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    result = notify_services.run_reminders(now=wednesday)
    db.session.commit()
    assert result.by_kind["task_unacknowledged"] == 1  # the unit's lead (no owner)
    row = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "task_unacknowledged")).one()
    assert row.recipient_id == people.lead.id and "签收提醒" in row.subject and "/l/" in row.body_text
    # the same fact is not queued again, and an acknowledged task is not chased
    assert notify_services.run_reminders(now=later(wednesday, 1)).by_kind.get("task_unacknowledged") is None
    services.acknowledge(task, actor=people.lead, now=wednesday)
    db.session.commit()
    assert notify_services.run_reminders(now=later(wednesday, 7)).by_kind.get("task_unacknowledged") is None


def test_reminder_skips_a_task_whose_refusal_waits(app, db, people, task, now):
    services.refuse(task, actor=people.lead, reason="不属于本单位职责", now=now)
    db.session.commit()
    result = notify_services.run_reminders(now=later(now, 10))
    assert result.by_kind.get("task_unacknowledged") is None


# --------------------------------------------------------------------------- 退回交办

def test_refuse_then_reassign_keeps_the_measures_history(db, people, task, now):
    refusal = services.refuse(task, actor=people.lead, reason="该事项属西城区职责", now=later(now, 1))
    db.session.commit()
    assert refusal.state is RefusalState.pending and services.pending_refusal(task) == refusal
    assert [r.id for r in queries.pending_refusals(people.supervisor)] == [refusal.id]
    assert queries.pending_refusals(people.lead) == []
    assert db.session.scalars(sa.select(OutboxEmail.kind).where(
        OutboxEmail.recipient_id == people.supervisor.id)).all() == ["task_refused"]
    new = services.reassign(refusal, people.other_unit.id, actor=people.supervisor, note="改由西城区办理",
                            now=later(now, 2))
    db.session.commit()
    assert task.state is TaskState.cancelled and task.replaced_by_id == new.id
    assert refusal.state is RefusalState.reassigned and refusal.new_task_id == new.id
    assert (new.measure_id, new.unit_id, new.due_on, new.state) == (task.measure_id, people.other_unit.id,
                                                                   task.due_on, TaskState.assigned)
    assert new.awaits_acknowledgement
    assert audits(db, task)[-2:] == ["task.refused", "task.refusal_reassigned"]
    assert audits(db, new) == ["task.assigned"]
    # the new task's timeline carries the refused task's history, marked with its unit
    timeline = queries.task_timeline(new)
    earlier = [(i.action, i.data.get("earlier_unit")) for i in timeline if i.data.get("earlier_unit")]
    assert ("task.refused", "东城区") in earlier and ("task.refusal_reassigned", "东城区") in earlier
    assert services.replaced_task_of(new) == task
    kinds = {(r.recipient_id, r.kind) for r in db.session.scalars(sa.select(OutboxEmail))}
    assert (people.other_lead.id, "task_assigned") in kinds and (people.lead.id, "task_refusal_decided") in kinds


def test_insisting_is_final(db, people, task, now):
    refusal = services.refuse(task, actor=people.member, reason="不属于本单位", now=now)
    services.insist(refusal, actor=people.supervisor, note="属于贵单位职责", now=now)
    db.session.commit()
    assert refusal.state is RefusalState.insisted and task.refusal_closed and task.state is TaskState.assigned
    assert "refuse" not in services.available_actions(people.lead, task, date(2026, 3, 2))
    with pytest.raises(services.StateConflict, match="不能再次退回"):
        services.refuse(task, actor=people.lead, reason="仍然不属于", now=now)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskRefusal)) == 1
    assert audits(db, task)[-2:] == ["task.refused", "task.refusal_insisted"]
    # a decided refusal is not decided again
    with pytest.raises(services.StateConflict, match="已处理"):
        services.reassign(refusal, people.other_unit.id, actor=people.supervisor, now=now)
    db.session.rollback()
    assert task.state is TaskState.assigned


def test_refusal_past_the_window_is_refused_with_the_date(app, db, people, task, now):
    app.config["REFUSAL_WINDOW_DAYS"] = 3
    with pytest.raises(services.TaskError, match="已超过退回期限.*2026-03-05"):
        services.refuse(task, actor=people.lead, reason="不属于本单位", now=later(now, 4))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskRefusal)) == 0
    assert audits(db, task, "task.refused") == []
    # the last day of the window still counts
    services.refuse(task, actor=people.lead, reason="不属于本单位", now=later(now, 3))


@pytest.mark.parametrize("reason", ["", "   "])
def test_refusal_needs_a_reason(db, people, task, now, reason):
    with pytest.raises(services.TaskError, match="请填写退回理由"):
        services.refuse(task, actor=people.lead, reason=reason, now=now)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskRefusal)) == 0


def test_acknowledged_task_cannot_be_refused_and_a_second_pending_refusal_is_refused(db, people, assign,
                                                                                    measures, now):
    first, second = assign(measures[:2])
    services.acknowledge(first, actor=people.lead, now=now)
    with pytest.raises(services.StateConflict, match="已签收，不能再退回"):
        services.refuse(first, actor=people.lead, reason="不属于", now=now)
    db.session.rollback()
    services.refuse(second, actor=people.lead, reason="不属于", now=now)
    db.session.commit()
    with pytest.raises(services.StateConflict, match="已有一份退回申请"):
        services.refuse(second, actor=people.member, reason="确实不属于", now=now)
    db.session.rollback()
    # while the ruling waits, the unit neither acknowledges nor works on it
    with pytest.raises(services.StateConflict, match="等待督办人处理"):
        services.acknowledge(second, actor=people.lead, now=now)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskRefusal)) == 1


@pytest.mark.parametrize("who", ["supervisor", "other_lead", "viewer"])
def test_only_the_unit_refuses(db, people, task, now, who):
    with pytest.raises(PermissionDenied):
        services.refuse(task, actor=getattr(people, who), reason="不属于", now=now)


def test_only_the_plans_supervisor_decides_and_reassign_checks_the_unit(db, people, task, now, make):
    refusal = services.refuse(task, actor=people.lead, reason="不属于", now=now)
    db.session.commit()
    for who in (people.lead, people.viewer, make.user(people.supervisor.role)):
        with pytest.raises(PermissionDenied):
            services.insist(refusal, actor=who, now=now)
        db.session.rollback()
    for unit_id, message in ((None, "请选择改派"), (people.unit.id, "另一个责任单位"), (999999, "不存在")):
        with pytest.raises(services.TaskError, match=message):
            services.reassign(refusal, unit_id, actor=people.supervisor, now=now)
        db.session.rollback()
    assert refusal.state is RefusalState.pending and task.state is TaskState.assigned
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_refuse_and_decide_through_the_pages(db, people, plan, measures, auth):
    from tracker.db import utcnow
    from tracker.tasks.models import ReportingPeriod, UnitRole

    # the pages run on the real clock: a task handed over now, due in the future
    [task] = services.assign(plan, [measures[0].id], [people.unit.id], role=UnitRole.lead, due_on=date(2030, 6, 30),
                             reporting_period=ReportingPeriod.once, actor=people.supervisor, now=utcnow())
    db.session.commit()
    lead = auth.client_for(people.lead)
    page = lead.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "未签收" in page and "退回交办" in page
    response = lead.post(f"/tasks/{task.id}/refuse", data={"reason": "", "version": task.version})
    assert "请填写退回理由" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskRefusal)) == 0
    lead.post(f"/tasks/{task.id}/refuse", data={"reason": "属于西城区职责", "version": task.version})
    refusal = db.session.scalars(sa.select(TaskRefusal)).one()
    supervisor = auth.client_for(people.supervisor)
    assert "属于西城区职责" in supervisor.get("/tasks/review").get_data(as_text=True)
    response = supervisor.post(f"/tasks/refusals/{refusal.id}/decide",
                               data={"decision": "reassign", "unit_id": people.other_unit.id})
    assert response.status_code == 302
    db.session.expire_all()
    new = db.session.get(Task, db.session.get(TaskRefusal, refusal.id).new_task_id)
    assert response.location.endswith(f"/tasks/{new.id}") and new.unit_id == people.other_unit.id
    assert "东城区退回后改派" in supervisor.get(f"/tasks/{new.id}").get_data(as_text=True)


def test_acknowledge_through_the_page_and_the_api(db, people, assign, measures, auth, app):
    first, second = assign(measures[:2])
    client = auth.client_for(people.member)
    assert client.post(f"/tasks/{first.id}/acknowledge", data={"version": first.version}).status_code == 302
    from tracker.api import auth as api_auth
    from tracker.db import utcnow

    _token, secret = api_auth.create_token(people.lead, "签收", actor=people.lead, now=utcnow())
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    response = api.post(f"/api/v1/tasks/{second.id}/acknowledgement", headers=headers)
    assert response.status_code == 200 and response.get_json()["acknowledged_via"] == "api"
    again = api.post(f"/api/v1/tasks/{second.id}/acknowledgement", headers=headers)
    assert again.status_code == 409 and "无需重复签收" in again.get_json()["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Task, first.id).acknowledged_via is AckVia.signed_in
    assert db.session.get(Task, second.id).acknowledged_via is AckVia.api
