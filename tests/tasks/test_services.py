"""The workflow, assignment, progress, deadlines and extensions, with each bad input."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.tasks.conftest import upload
from tracker.audit import AuditEntry
from tracker.auth.permissions import PermissionDenied
from tracker.notify.models import Notification, OutboxEmail
from tracker.plans.models import MeasureKind
from tracker.tasks import services
from tracker.tasks.models import (
    ExtensionState,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskState,
    UnitRole,
)
from tracker.tasks.services import StateConflict, TaskError
from tracker.timeutil import local_today


def actions(db, task):
    return [e.action for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "task", AuditEntry.object_id == task.id)
        .order_by(AuditEntry.id))]


def test_assign_one_measure_to_fourteen_units_in_one_call(db, make, people, plan, measures, now):
    counties = [make.unit(f"第{i}县", parent=people.region) for i in range(14)]
    tasks = services.assign(plan, [measures[0].id], [u.id for u in counties], role=UnitRole.lead,
                            due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.quarterly, is_key=True,
                            actor=people.supervisor, now=now)
    db.session.commit()
    assert len(tasks) == 14
    assert {t.unit_id for t in tasks} == {u.id for u in counties}
    task = tasks[0]
    assert task.state is TaskState.assigned
    assert task.due_on == task.original_due_on == date(2026, 6, 30)
    assert task.assigned_on == date(2026, 3, 2)
    assert task.is_key and task.evidence_required and task.plan_id == plan.id
    assert actions(db, task) == ["task.assigned"]


def test_assign_again_updates_instead_of_duplicating(db, people, plan, measures, assign):
    first = assign(measures[:2])
    again = assign(measures[:2], due_on=date(2026, 9, 30), role=UnitRole.support)
    assert {t.id for t in first} == {t.id for t in again}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 2
    task = db.session.get(Task, first[0].id)
    assert task.due_on == date(2026, 9, 30) and task.role is UnitRole.support
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_id == task.id)
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.action == "task.assigned" and entry.data["updated"] is True
    assert entry.data["before"]["due_on"] == "2026-06-30"


def test_assign_queues_mail_for_unit_leads_and_owner_once(db, people, plan, measures, assign):
    tasks = assign(owner_by_unit={people.unit.id: people.member.id})
    assert tasks[0].owner_id == people.member.id
    rows = list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))
    assert {r.recipient_id for r in rows} == {people.lead.id, people.member.id}
    assert all(r.kind == "task_assigned" for r in rows)
    # the unit's mail carries a one-task link; the in-app notice the signed-in page
    assert "/l/" in rows[0].body_text
    assert db.session.scalars(sa.select(Notification.link)).first().endswith(f"/tasks/{tasks[0].id}")
    assert "交办" in rows[0].subject and "您收到这封邮件，是因为" in rows[0].body_text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2
    assign(owner_by_unit={people.unit.id: people.member.id})  # the same fact again: nothing new
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 2


@pytest.mark.parametrize("due_on", [date(2026, 3, 1), "2026-06-30", None, datetime(2026, 6, 30, 0, 0)])
def test_assign_refuses_a_past_or_non_date_deadline(db, people, plan, measures, now, due_on):
    with pytest.raises(TaskError):
        services.assign(plan, [measures[0].id], [people.unit.id], role=UnitRole.lead, due_on=due_on,
                        reporting_period=ReportingPeriod.once, actor=people.supervisor, now=now)


def test_assign_allows_local_today(db, people, plan, measures, now):
    # 2026-03-02 02:00 UTC is 10:00 in Shanghai: today is 2026-03-02
    tasks = services.assign(plan, [measures[0].id], [people.unit.id], role=UnitRole.lead, due_on=date(2026, 3, 2),
                            reporting_period=ReportingPeriod.once, actor=people.supervisor, now=now)
    assert tasks[0].due_on == date(2026, 3, 2)


def test_assign_refuses_headings_foreign_owner_and_strangers(db, people, plan, measures, now):
    heading = next(m for m in plan.measures if m.kind is MeasureKind.heading)
    common = dict(role=UnitRole.lead, due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.once, now=now)
    with pytest.raises(TaskError, match="标题"):
        services.assign(plan, [heading.id], [people.unit.id], actor=people.supervisor, **common)
    with pytest.raises(TaskError, match="责任人"):
        services.assign(plan, [measures[0].id], [people.unit.id], owner_by_unit={people.unit.id: people.other_lead.id},
                        actor=people.supervisor, **common)
    with pytest.raises(TaskError):
        services.assign(plan, [], [people.unit.id], actor=people.supervisor, **common)
    for stranger in (people.viewer, people.lead, people.member):
        with pytest.raises(PermissionDenied):
            services.assign(plan, [measures[0].id], [people.unit.id], actor=stranger, **common)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0
    # an admin may assign any plan
    services.assign(plan, [measures[0].id], [people.unit.id], actor=people.admin, **common)


def test_full_workflow_with_return(db, people, task, now):
    services.start(task, actor=people.member, now=now)
    assert task.state is TaskState.in_progress
    services.add_evidence(task, actor=people.member, files=[upload()], now=now)
    services.submit(task, actor=people.lead, note="已完成", now=now)
    assert task.state is TaskState.submitted and task.submitted_at == now
    services.return_task(task, actor=people.supervisor, reason="材料不全，请补充会议纪要", now=now)
    assert task.state is TaskState.returned and task.return_count == 1
    services.report_progress(task, actor=people.lead, text="已补充会议纪要", percent=90, now=now)
    assert task.state is TaskState.in_progress and task.progress_percent == 90
    services.submit(task, actor=people.lead, note="已完成", now=now)
    services.approve(task, actor=people.supervisor, note="同意办结", now=now)
    db.session.commit()
    assert task.state is TaskState.completed and task.completed_at == now
    assert actions(db, task) == [
        "task.assigned", "task.acknowledged", "task.started", "task.evidence_added", "task.submitted", "task.returned",
        "task.started", "task.progress", "task.submitted", "task.approved",
    ]
    kinds = set(db.session.scalars(sa.select(OutboxEmail.kind)))
    assert {"task_submitted", "task_returned", "task_approved"} <= kinds


def test_returned_task_may_be_submitted_directly(db, people, task, now):
    services.start(task, actor=people.lead, now=now)
    services.add_evidence(task, actor=people.lead, files=[upload()], now=now)
    services.submit(task, actor=people.lead, note="已完成", now=now)
    services.return_task(task, actor=people.supervisor, reason="请补充", now=now)
    services.submit(task, actor=people.lead, note="已完成", now=now)
    assert task.state is TaskState.submitted


@pytest.mark.parametrize("action,actor_name", [
    ("approve", "supervisor"), ("return", "supervisor"), ("submit", "lead"),
])
def test_transition_not_allowed_from_assigned_changes_nothing(db, people, task, now, action, actor_name):
    version = task.version
    with pytest.raises(StateConflict):
        services.transition(task, action, actor=getattr(people, actor_name), note="原因", now=now)
    db.session.rollback()
    task = db.session.get(Task, task.id)
    assert task.state is TaskState.assigned and task.version == version and task.return_count == 0
    assert actions(db, task) == ["task.assigned"]


def test_transition_dispatch_and_unknown_action(db, people, task, now):
    services.transition(task, "start", actor=people.lead, now=now)
    assert task.state is TaskState.in_progress
    with pytest.raises(TaskError):
        services.transition(task, "explode", actor=people.lead, now=now)
    services.transition(task, "cancel", actor=people.supervisor, note="重复交办", now=now)
    assert task.state is TaskState.cancelled and task.cancelled_at == now
    with pytest.raises(StateConflict):
        services.transition(task, "start", actor=people.lead, now=now)


def test_reopening_a_cancelled_task_is_its_own_transition(db, people, task, now, assign):
    services.start(task, actor=people.lead, now=now)
    with pytest.raises(StateConflict):
        services.reopen(task, actor=people.supervisor, now=now)
    services.cancel(task, actor=people.supervisor, reason="交错单位", now=now)
    db.session.commit()
    for stranger in (people.lead, people.viewer, people.member):
        with pytest.raises(PermissionDenied):
            services.reopen(task, actor=stranger, now=now)
    db.session.rollback()
    later = now + timedelta(days=3)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
    services.reopen(task, actor=people.supervisor, now=later)
    db.session.commit()
    assert task.state is TaskState.assigned and task.cancelled_at is None
    assert task.assigned_on == local_today(later) != task.original_due_on
    assert actions(db, task)[-2:] == ["task.cancelled", "task.reopened"]
    rows = db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()[before:]
    assert [(r.kind, r.recipient_id) for r in rows] == [("task_assigned", people.lead.id)]
    assert "重新交办" in rows[0].subject
    with pytest.raises(StateConflict):
        services.reopen(task, actor=people.supervisor, now=later)
    db.session.rollback()
    # assigning a cancelled task again goes through the same transition: one message, not two
    services.cancel(task, actor=people.supervisor, reason="再次撤销", now=later)
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
    [again] = assign(due_on=date(2026, 7, 31))
    assert again.id == task.id and again.state is TaskState.assigned
    assert actions(db, task)[-3:] == ["task.cancelled", "task.reopened", "task.assigned"]
    rows = db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()[before:]
    assert len(rows) == 1 and "重新交办" in rows[0].subject


def test_completed_task_cannot_be_cancelled_or_restarted(db, people, task, now):
    task.evidence_required = False
    services.start(task, actor=people.lead, now=now)
    services.submit(task, actor=people.lead, note="已完成", now=now)
    services.approve(task, actor=people.supervisor, now=now)
    for action, actor in (("cancel", people.supervisor), ("start", people.lead), ("return", people.supervisor)):
        with pytest.raises(StateConflict):
            services.transition(task, action, actor=actor, note="x", now=now)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_and_cancel_need_a_reason(db, people, task, now, reason):
    services.start(task, actor=people.lead, now=now)
    with pytest.raises(TaskError, match="原因"):
        services.cancel(task, actor=people.supervisor, reason=reason, now=now)
    task.evidence_required = False
    services.submit(task, actor=people.lead, note="已完成", now=now)
    with pytest.raises(TaskError, match="原因"):
        services.return_task(task, actor=people.supervisor, reason=reason, now=now)
    assert task.state is TaskState.submitted and task.return_count == 0


def test_submit_needs_evidence_unless_waived(db, people, task, now):
    services.start(task, actor=people.lead, now=now)
    with pytest.raises(TaskError, match="佐证材料"):
        services.submit(task, actor=people.lead, note="已完成", now=now)
    assert task.state is TaskState.in_progress
    services.set_flags(task, evidence_required=False, actor=people.supervisor, now=now)
    services.submit(task, actor=people.lead, note="已完成", now=now)
    assert task.state is TaskState.submitted


def test_who_may_do_what(db, people, task, now):
    for stranger in (people.other_lead, people.viewer, people.supervisor, people.admin):
        with pytest.raises(PermissionDenied):
            services.start(task, actor=stranger, now=now)
    services.start(task, actor=people.member, now=now)
    task.evidence_required = False
    services.submit(task, actor=people.member, note="已完成", now=now)
    for stranger in (people.lead, people.member, people.viewer, people.other_lead):
        with pytest.raises(PermissionDenied):
            services.approve(task, actor=stranger, now=now)
    services.approve(task, actor=people.admin, now=now)


def test_progress_report_rules(db, people, task, now):
    with pytest.raises(TaskError, match="办理情况"):
        services.report_progress(task, actor=people.lead, text="  ", percent=10, now=now)
    for bad in (-1, 101, "五十", True):
        with pytest.raises(TaskError, match="进度"):
            services.report_progress(task, actor=people.lead, text="推进中", percent=bad, now=now)
    with pytest.raises(TaskError, match="期次"):
        services.report_progress(task, actor=people.lead, text="推进中", percent=10, period_key="2026-Q1", now=now)
    report = services.report_progress(task, actor=people.lead, text="已制定方案", percent=None,
                                      files=[upload("方案.pdf")], proves="2026年上半年", now=now)
    db.session.commit()
    assert task.state is TaskState.in_progress and task.progress_percent == 0
    assert task.last_progress_text == "已制定方案" and task.last_progress_at == now
    assert [e.original_name for e in report.evidence] == ["方案.pdf"]
    assert report.evidence[0].period_key == "2026-H1" and report.evidence[0].proves is None
    with pytest.raises(PermissionDenied):
        services.report_progress(task, actor=people.other_lead, text="x", percent=1, now=now)


def test_change_deadline_and_owner(db, people, task, now):
    with pytest.raises(TaskError):
        services.change_deadline(task, date(2026, 1, 1), actor=people.supervisor, now=now)
    with pytest.raises(TaskError):
        services.change_deadline(task, "明天", actor=people.supervisor, now=now)
    with pytest.raises(PermissionDenied):
        services.change_deadline(task, date(2026, 8, 1), actor=people.lead, now=now)
    services.change_deadline(task, date(2026, 8, 1), actor=people.supervisor, now=now)
    assert task.due_on == date(2026, 8, 1)
    services.set_owner(task, people.member.id, actor=people.lead, now=now)
    assert task.owner_id == people.member.id
    with pytest.raises(TaskError, match="责任人"):
        services.set_owner(task, people.other_lead.id, actor=people.lead, now=now)
    with pytest.raises(PermissionDenied):
        services.set_owner(task, people.lead.id, actor=people.member, now=now)
    services.set_owner(task, None, actor=people.supervisor, now=now)
    assert task.owner_id is None
    assert actions(db, task)[-3:] == ["task.deadline_changed", "task.owner_changed", "task.owner_changed"]


def test_extension_request_and_approval_moves_due_on_only(db, people, task, now):
    request = services.request_extension(task, actor=people.lead, new_due_on=date(2026, 7, 31),
                                         reason="受汛期影响，施工推迟", now=now)
    assert request.state is ExtensionState.pending and request.old_due_on == date(2026, 6, 30)
    with pytest.raises(StateConflict, match="延期申请"):
        services.request_extension(task, actor=people.lead, new_due_on=date(2026, 8, 31), reason="再延", now=now)
    with pytest.raises(PermissionDenied):
        services.decide_extension(request, actor=people.lead, approve=True, now=now)
    services.decide_extension(request, actor=people.supervisor, approve=True, note="同意", now=now)
    db.session.commit()
    assert task.due_on == date(2026, 7, 31) and task.original_due_on == date(2026, 6, 30) and task.is_extended
    assert request.state is ExtensionState.approved and request.decided_by_id == people.supervisor.id
    with pytest.raises(StateConflict):
        services.decide_extension(request, actor=people.supervisor, approve=False, note="撤回", now=now)
    assert "task.extension_approved" in actions(db, task)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)
                             .where(OutboxEmail.kind == "task_extension_decided")) >= 1


def test_extension_refusal_keeps_deadline_and_needs_a_reason(db, people, task, now):
    request = services.request_extension(task, actor=people.member, new_due_on=date(2026, 7, 31), reason="人手不足",
                                         now=now)
    with pytest.raises(TaskError):
        services.decide_extension(request, actor=people.supervisor, approve=False, note="", now=now)
    services.decide_extension(request, actor=people.supervisor, approve=False, note="请按期完成", now=now)
    assert task.due_on == date(2026, 6, 30) and request.state is ExtensionState.refused


@pytest.mark.parametrize("new_due_on,reason,message", [
    (date(2026, 6, 30), "理由", "晚于"),
    (date(2026, 5, 1), "理由", "晚于"),
    (date(2026, 7, 31), "  ", "理由"),
    ("2026-07-31", "理由", "日期"),
])
def test_extension_bad_input(db, people, task, now, new_due_on, reason, message):
    with pytest.raises(TaskError, match=message):
        services.request_extension(task, actor=people.lead, new_due_on=new_due_on, reason=reason, now=now)


def test_extension_only_before_the_deadline(db, people, task, now):
    late = now + timedelta(days=200)
    with pytest.raises(TaskError, match="已过完成时限"):
        services.request_extension(task, actor=people.lead, new_due_on=date(2026, 12, 31), reason="来不及", now=late)
    # on the deadline day itself it is still allowed
    on_the_day = datetime(2026, 6, 30, 8, 0, tzinfo=now.tzinfo)
    services.request_extension(task, actor=people.lead, new_due_on=date(2026, 12, 31), reason="来不及",
                               now=on_the_day)


def test_expected_and_missing_periodic_reports(db, people, assign, now):
    quarterly = assign(period=ReportingPeriod.quarterly, due_on=date(2026, 12, 31))[0]
    assert services.expected_periods(quarterly, date(2026, 3, 31)) == []
    assert services.expected_periods(quarterly, date(2026, 4, 1)) == ["2026-Q1"]
    assert services.expected_periods(quarterly, date(2027, 2, 1)) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    services.report_progress(quarterly, actor=people.lead, text="一季度完成", percent=25, period_key="2026-Q1", now=now)
    assert services.missing_reports(quarterly, date(2026, 10, 8)) == ["2026-Q2", "2026-Q3"]
    db.session.add(ProgressReport(task_id=quarterly.id, text="二季度", period_key="2026-Q2", created_at=now))
    assert services.missing_reports(quarterly, date(2026, 10, 8)) == ["2026-Q3"]


def test_monthly_and_half_yearly_period_keys(db, people, make, plan, measures, now):
    tasks = services.assign(plan, [measures[1].id], [people.unit.id], role=UnitRole.lead, due_on=date(2026, 12, 31),
                            reporting_period=ReportingPeriod.monthly, actor=people.supervisor, now=now)
    assert services.expected_periods(tasks[0], date(2026, 5, 15)) == ["2026-03", "2026-04"]
    tasks[0].reporting_period = ReportingPeriod.half_yearly
    assert services.expected_periods(tasks[0], date(2026, 7, 1)) == ["2026-H1"]
    tasks[0].reporting_period = ReportingPeriod.once
    assert services.expected_periods(tasks[0], date(2027, 1, 1)) == []


def test_weekly_and_yearly_period_keys(db, people, plan, measures, now):
    tasks = services.assign(plan, [measures[1].id], [people.unit.id], role=UnitRole.lead, due_on=date(2027, 3, 31),
                            reporting_period=ReportingPeriod.weekly, actor=people.supervisor, now=now)
    task = tasks[0]  # assigned on Monday 2026-03-02, ISO week 10
    assert services.expected_periods(task, date(2026, 3, 8)) == []
    assert services.expected_periods(task, date(2026, 3, 16)) == ["2026-W10", "2026-W11"]
    services.report_progress(task, actor=people.lead, text="第10周完成摸底。", percent=10, period_key="2026-W10",
                             now=now)
    assert services.missing_reports(task, date(2026, 3, 16)) == ["2026-W11"]
    assert services.current_period_key(task, date(2026, 3, 16)) == "2026-W11"
    for bad in ("2026-10", "2026-W54", "2026-W00", "2026"):
        with pytest.raises(services.TaskError):
            services.report_progress(task, actor=people.lead, text="报送", percent=None, period_key=bad, now=now)
    task.reporting_period = ReportingPeriod.yearly
    assert services.expected_periods(task, date(2027, 1, 1)) == ["2026"]
    assert services.current_period_key(task, date(2026, 6, 1)) == "2026"
    services.report_progress(task, actor=people.lead, text="年度总结", percent=100, period_key="2026", now=now)
    assert services.missing_reports(task, date(2027, 1, 5)) == []


def test_more_time_is_offered_only_before_the_deadline(db, people, task, now):
    services.start(task, actor=people.lead, now=now)
    db.session.commit()
    assert "extension" in services.available_actions(people.lead, task, task.due_on)
    overdue = services.available_actions(people.lead, task, task.due_on + timedelta(days=1))
    assert "extension" not in overdue and {"progress", "evidence"} <= overdue
