"""Task actions: assign, the workflow from start to 办结, evidence, progress, deadlines, extensions.

Every action takes the acting user and the time explicitly, checks permission, validates its
input, records an audit entry and queues notifications, all in the caller's transaction: it
flushes, the view or job commits. A concurrent change to the same task surfaces as StateConflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from tracker import access, audit, periods
from tracker.audit import AuditEntry
from tracker.auth.models import User
from tracker.auth.permissions import PermissionDenied
from tracker.errors import Conflict, TooLarge, UserError
from tracker.extensions import db
from tracker.links import services as link_services
from tracker.links.models import LinkGrant
from tracker.notify import channels as notify_channels
from tracker.notify import links
from tracker.notify.outbox import Message, queue, queue_channels
from tracker.plans.models import Measure, MeasureKind, Plan
from tracker.tasks import permissions, storage
from tracker.tasks.labels import period_key_label, state_label
from tracker.tasks.models import (
    OPEN_STATES,
    AckVia,
    Evidence,
    EvidenceOpening,
    ExtensionRequest,
    ExtensionState,
    ProgressReport,
    RefusalState,
    ReportingPeriod,
    Task,
    TaskRefusal,
    TaskState,
    UnitRole,
)
from tracker.timeutil import local_today, utcnow
from tracker.units.models import Unit


class TaskError(UserError):
    """Bad input for a task action; the message is for the user."""


class StateConflict(TaskError, Conflict):
    """The task is not in a state that allows this, or someone else changed it meanwhile."""


class EvidenceTooLarge(TaskError, TooLarge):
    """A file is over the per-file limit (the API answers 413)."""


#: the workflow: from each state, where each action may take a task
ALLOWED_TRANSITIONS: dict[TaskState, set[TaskState]] = {
    TaskState.assigned: {TaskState.in_progress, TaskState.cancelled},
    TaskState.in_progress: {TaskState.submitted, TaskState.cancelled},
    TaskState.submitted: {TaskState.completed, TaskState.returned},
    TaskState.returned: {TaskState.in_progress, TaskState.submitted, TaskState.cancelled},
    TaskState.completed: set(),
    TaskState.cancelled: set(),
}
#: states in which the unit may still report and add files
WORKING_STATES = (TaskState.assigned, TaskState.in_progress, TaskState.returned)
MAX_TEXT = 5000


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


def _flush() -> None:
    """Flush, turning a lost optimistic-lock race into a message the user understands."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StateConflict(_("任务已被他人更新，请刷新后重试。")) from exc


def _touch(task: Task, now: datetime) -> None:
    """Write the task row even if nothing else changed, so its version moves and a racing change fails."""
    task.updated_at = now
    flag_modified(task, "updated_at")


def check_version(task: Task, version: int | str | None) -> None:
    """Refuse an action made on a page older than the task's last change (the form sends the version)."""
    if version in (None, ""):
        return
    try:
        seen = int(version)
    except (TypeError, ValueError) as exc:
        raise TaskError(_("请求有误，请刷新后重试。")) from exc
    if seen != task.version:
        raise StateConflict(_("任务已被他人更新，请刷新后重试。"))


def _move(task: Task, target: TaskState) -> TaskState:
    previous = task.state
    if target not in ALLOWED_TRANSITIONS.get(previous, set()):
        raise StateConflict(_("任务当前为“%(state)s”，不能执行此操作。", state=state_label(previous)))
    task.state = target
    return previous


def _clean_text(value: str | None, *, required: bool, message: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise TaskError(message)
    if len(text) > limit:
        raise TaskError(_("内容不能超过 %(n)d 个字符。", n=limit))
    return text


def _check_due(value: Any, now: datetime) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TaskError(_("请填写有效的完成时限（日期）。"))
    if value < local_today(now):
        raise TaskError(_("完成时限不能早于今天。"))
    return value


# -- notifications ---------------------------------------------------------------------------

def task_path(task_id: int) -> str:
    """The task page's path, also outside a request (jobs, the CLI)."""
    return current_app.url_map.bind("").build("tasks.view_task", {"task_id": task_id})


def task_link(task: Task, recipient: User | None = None, now: datetime | None = None) -> str:
    return links.task_url(task, recipient, now)


def _unit_leads(unit_id: int) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(access.unit_leads_condition(unit_id))
        .order_by(User.id)
    ))


def _unit_recipients(task: Task) -> list[User]:
    people = _unit_leads(task.unit_id)
    if task.owner is not None and task.owner.is_active and task.owner not in people:
        people.append(task.owner)
    return people


def _supervisor_recipients(task: Task) -> list[User]:
    supervisor = task.plan.supervisor if task.plan is not None else None
    if supervisor is not None and supervisor.is_active:
        return [supervisor]
    return list(db.session.scalars(sa.select(User).where(access.admins_condition())))


def _notify(users: Iterable[User], task: Task, *, kind: str, subject: str, reason: str, fact: str,
            now: datetime, actor: User | None, unit_chat: bool = False, **context: Any) -> None:
    """Queue one message per user; ``fact`` names the event so a retried request queues nothing new.
    ``unit_chat``: the unit's group robot and SMS phone get it too, as short Chinese text."""
    link = task_link(task)
    if unit_chat and task.unit is not None and notify_channels.unit_channels(task.unit):
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            text = f"{subject}\n{task.unit.name}：{reason}\n{link_services.chat_link(task, now)}"
        queue_channels(task.unit, kind=kind, text=text, dedupe_key=f"{kind}:{task.id}:{fact}", now=now,
                       related_type="task", related_id=task.id)
    for user in users:
        if actor is not None and user.id == actor.id:
            continue
        queue(user, Message(kind=kind, subject=subject, template=kind, reason=reason, link=link, task_id=task.id,
                            related_type="task", related_id=task.id,
                            context={"task": task, "measure": task.measure, "plan": task.plan, "unit": task.unit,
                                     "actor": actor, **context}),
              f"{kind}:{task.id}:{fact}:{user.id}", now=now)


# -- assignment ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Assignment:
    """One task to create or update: a measure handed to a unit as 牵头 or 配合, with its deadline
    and reporting period (one row of the assignment page, or of the API's ``entries``)."""

    measure_id: int
    unit_id: int
    role: UnitRole
    due_on: date | None
    reporting_period: ReportingPeriod
    owner_id: int | None = None


def assign(plan: Plan, measure_ids: Sequence[int], unit_ids: Sequence[int], *, role: UnitRole, due_on: date,
           reporting_period: ReportingPeriod, is_key: bool = False, evidence_required: bool = True,
           owner_by_unit: dict[int, int] | None = None, actor: User, now: datetime) -> list[Task]:
    """One task per (measure, unit), all with the same role, deadline and period; an existing pair
    is updated in place, never duplicated."""
    _require(permissions.can_assign(actor, plan))
    if plan.is_deleted:
        raise TaskError(_("该计划已删除。"))
    measure_ids = list(dict.fromkeys(int(m) for m in measure_ids))
    unit_ids = list(dict.fromkeys(int(u) for u in unit_ids))
    if not measure_ids:
        raise TaskError(_("请至少选择一项措施。"))
    if not unit_ids:
        raise TaskError(_("请至少选择一个责任单位。"))
    due_on = _check_due(due_on, now)
    if not isinstance(role, UnitRole):
        raise TaskError(_("请选择牵头或配合。"))
    if not isinstance(reporting_period, ReportingPeriod):
        raise TaskError(_("请选择反馈周期。"))
    measures = _plan_measures(plan, measure_ids)
    units = _units(unit_ids)
    owners: dict[int, User] = {}
    for unit_id, owner_id in (owner_by_unit or {}).items():
        if owner_id in (None, ""):
            continue
        if int(unit_id) not in units:
            raise TaskError(_("责任人必须是所选责任单位的人员。"))
        owners[int(unit_id)] = _owner(int(owner_id), int(unit_id))
    entries = [Assignment(m, u, role, due_on, reporting_period, owners[u].id if u in owners else None)
               for m in measure_ids for u in unit_ids]
    return _apply_assignments(plan, entries, measures, units, is_key=is_key, evidence_required=evidence_required,
                              actor=actor, now=now)


def assign_many(plan: Plan, entries: Sequence[Assignment], *, is_key: bool = False, evidence_required: bool = True,
                actor: User, now: datetime) -> list[Task]:
    """Hand many measures to their units at once, each (measure, unit) with its own role, deadline
    and period: what the plan says for each measure, as the supervisor confirmed it. All or nothing;
    an existing pair is updated in place, never duplicated."""
    _require(permissions.can_assign(actor, plan))
    if plan.is_deleted:
        raise TaskError(_("该计划已删除。"))
    entries = list(entries)
    if not entries:
        raise TaskError(_("请至少保留一项要交办的任务。"))
    if len(entries) > MAX_ASSIGNMENTS:
        raise TaskError(_("一次最多交办 %(n)d 项任务。", n=MAX_ASSIGNMENTS))
    measures = _plan_measures(plan, [e.measure_id for e in entries])
    units = _units([e.unit_id for e in entries])
    seen: set[tuple[int, int]] = set()
    checked: list[Assignment] = []
    for entry in entries:
        where = _("“%(measure)s”交%(unit)s", measure=_short(measures[entry.measure_id].label, 20),
                  unit=units[entry.unit_id].name)
        if (entry.measure_id, entry.unit_id) in seen:
            raise TaskError(_("%(where)s：同一措施对同一单位只能交办一次。", where=where))
        seen.add((entry.measure_id, entry.unit_id))
        if not isinstance(entry.role, UnitRole):
            raise TaskError(_("%(where)s：请选择牵头或配合。", where=where))
        if not isinstance(entry.reporting_period, ReportingPeriod):
            raise TaskError(_("%(where)s：请选择反馈周期。", where=where))
        try:
            due_on = _check_due(entry.due_on, now)
        except TaskError as exc:
            raise TaskError(_("%(where)s：%(problem)s", where=where, problem=str(exc))) from exc
        if entry.owner_id is not None:
            _owner(entry.owner_id, entry.unit_id)
        checked.append(Assignment(entry.measure_id, entry.unit_id, entry.role, due_on, entry.reporting_period,
                                  entry.owner_id))
    return _apply_assignments(plan, checked, measures, units, is_key=is_key, evidence_required=evidence_required,
                              actor=actor, now=now)


#: the most (measure, unit) pairs one assignment may create
MAX_ASSIGNMENTS = 5000


def _plan_measures(plan: Plan, measure_ids: Sequence[int]) -> dict[int, Measure]:
    ids = set(int(m) for m in measure_ids)
    measures = {m.id: m for m in db.session.scalars(
        sa.select(Measure).where(Measure.id.in_(ids), Measure.plan_id == plan.id))}
    if len(measures) != len(ids):
        raise TaskError(_("所选措施不属于该计划。"))
    if any(m.kind is MeasureKind.heading for m in measures.values()):
        raise TaskError(_("标题不能交办，请选择具体措施。"))
    return measures


def _units(unit_ids: Sequence[int]) -> dict[int, Unit]:
    ids = set(int(u) for u in unit_ids)
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids)))}
    if len(units) != len(ids):
        raise TaskError(_("所选单位不存在。"))
    return units


def _owner(owner_id: int, unit_id: int) -> User:
    owner = db.session.get(User, int(owner_id))
    if owner is None or owner.unit_id != int(unit_id) or not owner.is_active:
        raise TaskError(_("责任人必须是该责任单位的人员。"))
    return owner


def _apply_assignments(plan: Plan, entries: list[Assignment], measures: dict[int, Measure], units: dict[int, Unit],
                       *, is_key: bool, evidence_required: bool, actor: User, now: datetime) -> list[Task]:
    """Create or update the checked tasks, then audit and notify each: the one write path of both
    ways to assign."""
    pairs = [(e.measure_id, e.unit_id) for e in entries]
    existing: dict[tuple[int, int], Task] = {}
    if pairs:
        for task in db.session.scalars(sa.select(Task).where(
                Task.measure_id.in_({m for m, _u in pairs}), Task.unit_id.in_({u for _m, u in pairs}))):
            existing[(task.measure_id, task.unit_id)] = task
    today = local_today(now)
    tasks: list[Task] = []
    updated: dict[int, dict[str, Any]] = {}
    for entry in entries:
        measure_id, unit_id, role, due_on = entry.measure_id, entry.unit_id, entry.role, entry.due_on
        reporting_period = entry.reporting_period
        task = existing.get((measure_id, unit_id))
        owner = db.session.get(User, entry.owner_id) if entry.owner_id is not None else None
        if task is None:
            task = Task(measure_id=measure_id, plan_id=plan.id, unit_id=unit_id, role=role, due_on=due_on,
                        original_due_on=due_on, assigned_on=today, reporting_period=reporting_period,
                        is_key=is_key, evidence_required=evidence_required, state=TaskState.assigned,
                        owner_id=owner.id if owner else None, assigned_by_id=actor.id, return_count=0,
                        progress_percent=0)
            db.session.add(task)
        else:
            before = {"role": task.role, "due_on": task.due_on, "reporting_period": task.reporting_period,
                      "is_key": task.is_key, "evidence_required": task.evidence_required,
                      "owner_id": task.owner_id, "state": task.state}
            task.role, task.reporting_period = role, reporting_period
            task.is_key, task.evidence_required = is_key, evidence_required
            if task.due_on != due_on:
                # an approved extension keeps the original deadline; otherwise both move
                if not task.is_extended:
                    task.original_due_on = due_on
                task.due_on = due_on
            if owner is not None:
                task.owner_id = owner.id
            updated[id(task)] = before
            # a new assignment replaces what earlier emails said: their links stop working
            link_services.revoke_all(task, link_services.REVOKED_BY_ASSIGNMENT, now)
        task.measure, task.unit, task.plan = measures[measure_id], units[unit_id], plan
        if owner is not None:
            task.owner = owner
        tasks.append(task)
    _flush()
    reopened = set()
    for task in tasks:
        if task.state is TaskState.cancelled:
            # handing a cancelled task out again reopens it; the reopening tells the unit
            reopen(task, actor=actor, now=now)
            reopened.add(id(task))
    for task in tasks:
        before = updated.get(id(task))
        data = {"measure_id": task.measure_id, "unit_id": task.unit_id, "role": task.role,
                "due_on": task.due_on, "reporting_period": task.reporting_period, "is_key": task.is_key,
                "evidence_required": task.evidence_required, "owner_id": task.owner_id,
                "updated": before is not None}
        if before is not None:
            data["before"] = before
        audit.record(actor, "task.assigned", task, data, now=now)
        if id(task) in reopened:
            continue
        _notify(_unit_recipients(task), task, kind="task_assigned",
                subject=_l("【交办】%(plan)s：%(measure)s", plan=plan.title, measure=_short(task.measure.label)),
                reason=_l("您单位收到一项交办任务"), fact=f"{task.due_on.isoformat()}:{task.role.value}",
                now=now, actor=actor, unit_chat=True)
    return tasks


def _short(text: str, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- workflow --------------------------------------------------------------------------------

def start(task: Task, *, actor: User, now: datetime) -> Task:
    """The unit starts work (开始办理)."""
    _require(permissions.can_work_on(actor, task))
    previous = _move(task, TaskState.in_progress)
    _acknowledge_implicitly(task, actor, now)
    _flush()
    audit.record(actor, "task.started", task, {"from": previous}, now=now)
    return task


def evidence_count(task: Task) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Evidence)
        .where(Evidence.task_id == task.id, Evidence.is_deleted.is_(False))
    ) or 0


def submit(task: Task, *, actor: User, note: str = "", now: datetime) -> Task:
    """The unit says the work is done and asks for review (提交审核)."""
    _require(permissions.can_work_on(actor, task))
    note = _clean_text(note, required=False, message="")
    if TaskState.submitted not in ALLOWED_TRANSITIONS.get(task.state, set()):
        raise StateConflict(_("任务当前为“%(state)s”，不能提交审核。", state=state_label(task.state)))
    if task.evidence_required and evidence_count(task) == 0:
        raise TaskError(_("该任务需要佐证材料，请先上传至少一份材料再提交。"))
    if task.progress_percent < 100 and not note:
        raise TaskError(_("完成进度为 %(p)d%%，尚未完成：请说明为何现在提交审核。", p=task.progress_percent))
    previous = _move(task, TaskState.submitted)
    task.submitted_at = now
    _acknowledge_implicitly(task, actor, now)
    _flush()
    audit.record(actor, "task.submitted", task, {"from": previous, "note": note,
                                                 "percent": task.progress_percent}, now=now)
    _notify(_supervisor_recipients(task), task, kind="task_submitted",
            subject=_l("【待审核】%(unit)s 提交了：%(measure)s", unit=task.unit.name,
                      measure=_short(task.measure.label)),
            reason=_l("有一项任务提交审核，等待您办结或退回"), fact=f"{task.version}", now=now, actor=actor, note=note)
    return task


def approve(task: Task, *, actor: User, note: str = "", now: datetime) -> Task:
    """The supervisor accepts the work (办结)."""
    _require(permissions.can_review(actor, task))
    note = _clean_text(note, required=False, message="")
    _move(task, TaskState.completed)
    task.completed_at = now
    _flush()
    audit.record(actor, "task.approved", task, {"note": note}, now=now)
    _notify(_unit_recipients(task), task, kind="task_approved",
            subject=_l("【已办结】%(measure)s", measure=_short(task.measure.label)),
            reason=_l("您单位提交的任务已审核通过"), fact=f"{task.version}", now=now, actor=actor, note=note)
    return task


def unopened_evidence(task: Task, user: User) -> int:
    """How many of the task's files ``user`` has not opened yet."""
    opened = sa.select(EvidenceOpening.evidence_id).where(EvidenceOpening.user_id == user.id)
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Evidence)
        .where(Evidence.task_id == task.id, Evidence.is_deleted.is_(False), Evidence.id.not_in(opened))
    ) or 0


def evidence_opened(task: Task, user: User) -> bool:
    """Whether ``user`` opened every file of the task, and it has at least one: what batch approval needs."""
    return evidence_count(task) > 0 and unopened_evidence(task, user) == 0


def approve_many(tasks: Sequence[Task], *, actor: User, now: datetime) -> list[Task]:
    """Approve several submitted tasks at once (批量办结): only tasks whose every file this reviewer
    has opened; all or nothing."""
    tasks = list(dict.fromkeys(tasks))
    if not tasks:
        raise TaskError(_("请至少勾选一项任务。"))
    for task in tasks:
        _require(permissions.can_review(actor, task))
        if not evidence_opened(task, actor):
            raise TaskError(_("“%(measure)s”（%(unit)s）的佐证材料还没有全部打开查看，不能批量办结。",
                              measure=_short(task.measure.label, 20), unit=task.unit.name))
    for task in tasks:
        approve(task, actor=actor, note="", now=now)
    return tasks


def return_task(task: Task, *, actor: User, reason: str, now: datetime) -> Task:
    """The supervisor sends the work back with a reason (退回); the unit works on it again."""
    _require(permissions.can_review(actor, task))
    reason = _clean_text(reason, required=True, message=_("请填写退回原因。"))
    _move(task, TaskState.returned)
    task.return_count = (task.return_count or 0) + 1
    task.submitted_at = None
    _flush()
    audit.record(actor, "task.returned", task, {"reason": reason, "return_count": task.return_count}, now=now)
    _notify(_unit_recipients(task), task, kind="task_returned",
            subject=_l("【退回】%(measure)s", measure=_short(task.measure.label)),
            reason=_l("您单位提交的任务被退回，需要重新办理"), fact=f"{task.return_count}", now=now, actor=actor,
            unit_chat=True, return_reason=reason)
    return task


def cancel(task: Task, *, actor: User, reason: str, now: datetime) -> Task:
    """The supervisor withdraws a task (撤销), e.g. a measure handed to the wrong unit."""
    _require(permissions.can_review(actor, task))
    reason = _clean_text(reason, required=True, message=_("请填写撤销原因。"))
    previous = _move(task, TaskState.cancelled)
    task.cancelled_at = now
    link_services.revoke_all(task, link_services.REVOKED_BY_CANCEL, now)
    _flush()
    audit.record(actor, "task.cancelled", task, {"reason": reason, "from": previous}, now=now)
    _notify(_unit_recipients(task), task, kind="task_cancelled",
            subject=_l("【撤销】%(measure)s", measure=_short(task.measure.label)),
            reason=_l("交给您单位的一项任务已撤销"), fact=f"{task.version}", now=now, actor=actor,
            cancel_reason=reason)
    return task


def reopen(task: Task, *, actor: User, now: datetime) -> Task:
    """Hand a cancelled task out again (重新交办): assigned from today, under whoever may assign its plan."""
    _require(permissions.can_assign(actor, task.plan))
    if task.state is not TaskState.cancelled:
        raise StateConflict(_("任务当前为“%(state)s”，不能执行此操作。", state=state_label(task.state)))
    cancelled_at = task.cancelled_at
    task.state, task.cancelled_at, task.assigned_on = TaskState.assigned, None, local_today(now)
    # handed out anew: the unit acknowledges it again, and may refuse it again
    task.acknowledged_at = task.acknowledged_by_id = task.acknowledged_via = task.acknowledged_email = None
    task.refusal_closed = False
    task.replaced_by_id = None
    link_services.revoke_all(task, link_services.REVOKED_BY_ASSIGNMENT, now)
    _touch(task, now)
    _flush()
    audit.record(actor, "task.reopened", task,
                 {"from": TaskState.cancelled, "cancelled_at": cancelled_at}, now=now)
    _notify(_unit_recipients(task), task, kind="task_assigned",
            subject=_l("【重新交办】%(plan)s：%(measure)s", plan=task.plan.title, measure=_short(task.measure.label)),
            reason=_l("交给您单位的一项已撤销任务重新交办"), fact=f"reopened:{task.version}", now=now, actor=actor,
            unit_chat=True)
    return task


TRANSITIONS = ("start", "submit", "approve", "return", "cancel")
_TARGETS = {"start": TaskState.in_progress, "submit": TaskState.submitted, "approve": TaskState.completed,
            "return": TaskState.returned, "cancel": TaskState.cancelled}


def available_actions(user: Any, task: Task, today: date | None = None) -> set[str]:
    """What ``user`` may do to ``task`` on ``today`` (the local date by default): the buttons a page
    shows (the services still check)."""
    allowed = ALLOWED_TRANSITIONS.get(task.state, set())
    actions: set[str] = set()
    today = today or local_today(utcnow())
    if permissions.can_work_on(user, task) and task.awaits_acknowledgement:
        actions.add("acknowledge")
        if access.may_refuse(user, task) and may_still_refuse(task, today):
            actions.add("refuse")
    if permissions.can_work_on(user, task):
        actions |= {a for a in ("start", "submit") if _TARGETS[a] in allowed}
        if task.state in WORKING_STATES:
            actions |= {"progress", "evidence"}
            # more time is asked for before the deadline (request_extension refuses it after)
            if today <= task.due_on:
                actions.add("extension")
        if task.state is TaskState.returned:
            # a returned task has one way on: revise (report, add or remove files) and resubmit
            actions -= {"start", "extension"}
        if permissions.can_lead(user, task):
            actions.add("owner")
    if permissions.can_review(user, task):
        actions |= {a for a in ("approve", "return", "cancel") if _TARGETS[a] in allowed}
        if task.is_open:
            actions |= {"deadline", "owner", "flags", "decide"}
    return actions


def transition(task: Task, action: str, *, actor: User, note: str = "", now: datetime) -> Task:
    """Run a workflow action by name (the API and the task page's buttons use this)."""
    if action == "start":
        return start(task, actor=actor, now=now)
    if action == "submit":
        return submit(task, actor=actor, note=note, now=now)
    if action == "approve":
        return approve(task, actor=actor, note=note, now=now)
    if action == "return":
        return return_task(task, actor=actor, reason=note, now=now)
    if action == "cancel":
        return cancel(task, actor=actor, reason=note, now=now)
    raise TaskError(_("未知的操作。"))


# -- 签收 and 退回交办 -------------------------------------------------------------------------

def _ack_via(actor: Any, via: AckVia | None) -> AckVia:
    if isinstance(actor, LinkGrant):
        return AckVia.link
    return via or AckVia.signed_in


def _set_acknowledged(task: Task, actor: Any, via: AckVia, now: datetime) -> None:
    task.acknowledged_at = now
    task.acknowledged_by_id = getattr(actor, "id", None)
    task.acknowledged_via = via
    task.acknowledged_email = actor.email if isinstance(actor, LinkGrant) else None
    # the unit's clock (the expected pace, the reporting periods) starts at 签收; the deadline stays
    task.assigned_on = max(task.assigned_on, local_today(now))


def acknowledge(task: Task, *, actor: Any, now: datetime, via: AckVia | None = None) -> Task:
    """The unit acknowledges receipt of the task (签收); its clock starts now, its deadline stays."""
    _require(access.may_acknowledge(actor, task))
    if task.acknowledged_at is not None:
        raise StateConflict(_("该任务已签收，无需重复签收。"))
    if not task.is_open:
        raise StateConflict(_("任务当前为“%(state)s”，不能签收。", state=state_label(task.state)))
    if pending_refusal(task) is not None:
        raise StateConflict(_("该任务的退回申请正在等待督办人处理，暂不能签收。"))
    via = _ack_via(actor, via)
    _set_acknowledged(task, actor, via, now)
    _flush()
    audit.record(actor, "task.acknowledged", task, {"via_channel": via.value}, now=now)
    return task


def _acknowledge_implicitly(task: Task, actor: Any, now: datetime) -> None:
    """Working on a task acknowledges it: a unit that reports has plainly received it."""
    if task.acknowledged_at is not None:
        return
    if pending_refusal(task) is not None:
        raise StateConflict(_("该任务的退回申请正在等待督办人处理，暂不能办理。"))
    via = _ack_via(actor, None)
    _set_acknowledged(task, actor, via, now)
    _flush()
    audit.record(actor, "task.acknowledged", task, {"via_channel": via.value, "implicit": True}, now=now)


def pending_refusal(task: Task) -> TaskRefusal | None:
    if task.id is None:
        return None
    # no autoflush: a pending change to the task is flushed by _flush, where a lost race is explained
    with db.session.no_autoflush:
        return db.session.scalar(sa.select(TaskRefusal).where(
            TaskRefusal.task_id == task.id, TaskRefusal.state == RefusalState.pending))


def refusal_deadline(task: Task) -> date:
    """The last day the unit may refuse the task (退回交办): N days after it was handed over."""
    days = int(current_app.config.get("REFUSAL_WINDOW_DAYS", 3))
    return date.fromordinal(task.assigned_on.toordinal() + days)


def may_still_refuse(task: Task, today: date) -> bool:
    """Whether the refusal button is worth showing (``refuse`` checks each rule with its message)."""
    return (task.state is TaskState.assigned and task.acknowledged_at is None and not task.refusal_closed
            and today <= refusal_deadline(task))


def refuse(task: Task, *, actor: User, reason: str, now: datetime) -> TaskRefusal:
    """The unit says the task is not theirs (退回交办), with a reason, before 签收 and within the window."""
    _require(access.may_refuse(actor, task))
    reason = _clean_text(reason, required=True, message=_("请填写退回理由。"))
    if task.refusal_closed:
        raise StateConflict(_("督办人已确定由您单位承办此任务，不能再次退回。"))
    if pending_refusal(task) is not None:
        raise StateConflict(_("已有一份退回申请在等待督办人处理。"))
    if task.acknowledged_at is not None:
        raise StateConflict(_("任务已签收，不能再退回。"))
    if task.state is not TaskState.assigned:
        raise StateConflict(_("任务当前为“%(state)s”，不能退回。", state=state_label(task.state)))
    if local_today(now) > refusal_deadline(task):
        raise TaskError(_("已超过退回期限（交办后 %(n)d 天内，截至 %(day)s），不能再退回。",
                          n=int(current_app.config.get("REFUSAL_WINDOW_DAYS", 3)),
                          day=refusal_deadline(task).isoformat()))
    refusal = TaskRefusal(task_id=task.id, reason=reason, refused_by_id=actor.id, created_at=now,
                          state=RefusalState.pending)
    db.session.add(refusal)
    _touch(task, now)
    _flush()
    audit.record(actor, "task.refused", task, {"refusal_id": refusal.id, "reason": reason}, now=now)
    _notify(_supervisor_recipients(task), task, kind="task_refused",
            subject=_l("【退回交办】%(unit)s：%(measure)s", unit=task.unit.name, measure=_short(task.measure.label)),
            reason=_l("一个责任单位认为交办的任务不属于本单位，等待您改派或坚持交办"), fact=f"{refusal.id}",
            now=now, actor=actor, refusal=refusal)
    return refusal


def _check_pending(refusal: TaskRefusal) -> None:
    if refusal.state is not RefusalState.pending:
        raise StateConflict(_("该退回申请已处理。"))


def insist(refusal: TaskRefusal, *, actor: User, note: str = "", now: datetime) -> TaskRefusal:
    """The supervisor keeps the task with the unit; final: the unit cannot refuse it again."""
    task = refusal.task
    _require(access.may_decide_refusal(actor, refusal))
    _check_pending(refusal)
    note = _clean_text(note, required=False, message="")
    refusal.state = RefusalState.insisted
    refusal.decided_by_id, refusal.decided_at, refusal.decision_note = actor.id, now, note or None
    task.refusal_closed = True
    _touch(task, now)
    _flush()
    audit.record(actor, "task.refusal_insisted", task, {"refusal_id": refusal.id, "note": note}, now=now)
    _notify(_unit_recipients(task), task, kind="task_refusal_decided",
            subject=_l("【坚持交办】%(measure)s", measure=_short(task.measure.label)),
            reason=_l("督办人确定此任务仍由您单位承办，请签收办理"), fact=f"{refusal.id}", now=now, actor=actor,
            refusal=refusal, insisted=True, note=note)
    return refusal


def reassign(refusal: TaskRefusal, unit_id: int | None, *, actor: User, note: str = "", now: datetime) -> Task:
    """The supervisor gives the refused measure to another unit: a new task for the same measure,
    with the same role, deadline and period; the refused task ends cancelled, pointing to it."""
    task = refusal.task
    _require(access.may_decide_refusal(actor, refusal))
    _check_pending(refusal)
    note = _clean_text(note, required=False, message="")
    if unit_id in (None, ""):
        raise TaskError(_("请选择改派的责任单位。"))
    unit = db.session.get(Unit, int(unit_id))
    if unit is None or not unit.is_active:
        raise TaskError(_("所选单位不存在。"))
    if unit.id == task.unit_id:
        raise TaskError(_("请选择另一个责任单位。"))
    if db.session.scalar(sa.select(Task.id).where(Task.measure_id == task.measure_id, Task.unit_id == unit.id)):
        raise TaskError(_("%(unit)s 已承办此措施，请选择其他单位。", unit=unit.name))
    new = Task(measure_id=task.measure_id, plan_id=task.plan_id, unit_id=unit.id, role=task.role, due_on=task.due_on,
               original_due_on=task.original_due_on, assigned_on=max(task.assigned_on, local_today(now)),
               reporting_period=task.reporting_period, is_key=task.is_key,
               evidence_required=task.evidence_required, state=TaskState.assigned, assigned_by_id=actor.id,
               return_count=0, progress_percent=0)
    new.measure, new.plan, new.unit = task.measure, task.plan, unit
    db.session.add(new)
    _flush()
    _move(task, TaskState.cancelled)
    task.cancelled_at = now
    task.replaced_by_id = new.id
    link_services.revoke_all(task, link_services.REVOKED_BY_REASSIGNMENT, now)
    refusal.state = RefusalState.reassigned
    refusal.decided_by_id, refusal.decided_at, refusal.decision_note = actor.id, now, note or None
    refusal.new_task_id = new.id
    _flush()
    audit.record(actor, "task.refusal_reassigned", task, {"refusal_id": refusal.id, "to_unit_id": unit.id,
                                                          "new_task_id": new.id, "note": note}, now=now)
    audit.record(actor, "task.assigned", new, {
        "measure_id": new.measure_id, "unit_id": new.unit_id, "role": new.role, "due_on": new.due_on,
        "reporting_period": new.reporting_period, "is_key": new.is_key, "evidence_required": new.evidence_required,
        "owner_id": None, "updated": False, "reassigned_from": task.id}, now=now)
    _notify(_unit_recipients(task), task, kind="task_refusal_decided",
            subject=_l("【同意退回】%(measure)s", measure=_short(task.measure.label)),
            reason=_l("您单位退回的任务已改派其他单位"), fact=f"{refusal.id}", now=now, actor=actor,
            refusal=refusal, insisted=False, note=note)
    _notify(_unit_recipients(new), new, kind="task_assigned",
            subject=_l("【交办】%(plan)s：%(measure)s", plan=new.plan.title, measure=_short(new.measure.label)),
            reason=_l("您单位收到一项交办任务"), fact=f"{new.due_on.isoformat()}:{new.role.value}", now=now,
            actor=actor)
    return new


def replaced_task_of(task: Task) -> Task | None:
    """The refused task this one was reassigned from, if any (the measure's history)."""
    return db.session.scalar(sa.select(Task).where(Task.replaced_by_id == task.id))


# -- progress and evidence -------------------------------------------------------------------

def _check_working(task: Task) -> None:
    if task.state not in WORKING_STATES:
        raise StateConflict(_("任务当前为“%(state)s”，不能再报送或上传材料。", state=state_label(task.state)))


def report_progress(task: Task, *, actor: User, text: str, percent: int | None, period_key: str | None = None,
                    files: Sequence[Any] = (), proves: str | None = None, now: datetime) -> ProgressReport:
    """The unit reports what it did (报送进展); an assigned or returned task is then in progress."""
    _require(permissions.can_work_on(actor, task))
    _check_working(task)
    text = _clean_text(text, required=True, message=_("请填写办理情况。"))
    if percent is not None:
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise TaskError(_("完成进度必须是 0 到 100 之间的整数。"))
    period_key = (period_key or "").strip() or None
    if period_key is not None:
        if not periods.is_valid_key(task.reporting_period.value, period_key):
            raise TaskError(_("反馈期次格式不正确。"))
    _acknowledge_implicitly(task, actor, now)
    evidence_period = _evidence_period(task, proves, now) if files else None
    if task.state is not TaskState.in_progress:
        previous = _move(task, TaskState.in_progress)
        audit.record(actor, "task.started", task, {"from": previous, "by": "progress"}, now=now)
    report = ProgressReport(task_id=task.id, author_id=actor.id, text=text, percent=percent, period_key=period_key,
                            created_at=now)
    db.session.add(report)
    if percent is not None:
        task.progress_percent = percent
    task.last_progress_at = now
    task.last_progress_text = text[:1000]
    _flush()
    audit.record(actor, "task.progress", task, {"report_id": report.id, "percent": percent,
                                                "period_key": period_key}, now=now)
    if files:
        add_evidence(task, actor=actor, files=files, period_key=evidence_period, report=report, now=now)
    return report


def evidence_periods(task: Task, today: date) -> list[str]:
    """The periods a file of this task may prove: the task's own reporting periods from its
    assignment to its deadline, none later than the current one (a one-off task: the half-years)."""
    kind = task.reporting_period.value if task.reporting_period is not ReportingPeriod.once else "half_yearly"
    last = min(task.due_on, max(today, task.assigned_on))
    return periods.keys_between(kind, task.assigned_on, last)


def _evidence_period(task: Task, value: str | None, now: datetime) -> str | None:
    """The period key a file proves, from a key or the way it is written; one of the task's periods."""
    text = (value or "").strip()
    if not text:
        return None
    key = periods.parse_key(text)
    allowed = evidence_periods(task, local_today(now))
    if key is None or key not in allowed:
        raise TaskError(_("材料证明的期次须从该任务的报送期次中选择：%(periods)s。",
                          periods="、".join(period_key_label(k) for k in allowed)))
    return key


def add_evidence(task: Task, *, actor: User, files: Sequence[Any], note: str | None = None,
                 period_key: str | None = None, proves: str | None = None, report: ProgressReport | None = None,
                 now: datetime) -> list[Evidence]:
    """Store files that show the work was done (佐证材料); all files or none. The period they prove
    is one of the task's own (``period_key``; ``proves`` may write it as text, "2026年上半年")."""
    _require(permissions.can_work_on(actor, task))
    _check_working(task)
    files = [f for f in files if f is not None and getattr(f, "filename", None)]
    if not files:
        raise TaskError(_("请选择要上传的文件。"))
    note = _clean_text(note, required=False, message="") or None
    _acknowledge_implicitly(task, actor, now)
    period_key = _evidence_period(task, period_key or proves, now)
    rows: list[Evidence] = []
    for file in files:
        try:
            stored = storage.save(file, db.session())
        except storage.FileTooLarge as exc:
            raise EvidenceTooLarge(str(exc)) from exc
        except storage.StorageError as exc:
            raise TaskError(str(exc)) from exc
        evidence = Evidence(task_id=task.id, report_id=report.id if report else None, uploader_id=actor.id,
                            original_name=stored.original_name, stored_name=stored.stored_name,
                            content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                            period_key=period_key, note=note, created_at=now)
        db.session.add(evidence)
        rows.append(evidence)
    _flush()
    for evidence in rows:
        audit.record(actor, "task.evidence_added", task, {"evidence_id": evidence.id, "name": evidence.original_name,
                                                          "size": evidence.size, "sha256": evidence.sha256,
                                                          "period_key": period_key}, now=now)
    return rows


MAX_REUSE = 50


def reuse_evidence(task: Task, evidence_ids: Sequence[int], *, actor: User, proves: str | None = None,
                   note: str | None = None, now: datetime, period_key: str | None = None) -> list[Evidence]:
    """Attach files already uploaded for other tasks of the same unit (引用已上传材料), without
    uploading them again: each gets a row of its own on ``task`` naming the same stored file, so
    it is stored once, and removing it from one task leaves it on the others. All or nothing."""
    _require(permissions.can_work_on(actor, task))
    _check_working(task)
    ids = list(dict.fromkeys(int(i) for i in evidence_ids))
    if not ids:
        raise TaskError(_("请选择要引用的材料。"))
    if len(ids) > MAX_REUSE:
        raise TaskError(_("一次最多引用 %(n)d 份材料。", n=MAX_REUSE))
    # the period the file proves for this task: one of its own, or else the original file's
    period_key = _evidence_period(task, period_key or proves, now)
    note = _clean_text(note, required=False, message="") or None
    _acknowledge_implicitly(task, actor, now)
    # locked and read afresh: a removal of the same row in another transaction either finishes
    # first (the row reads deleted, and is refused) or waits for this one (and then sees the new
    # row naming the file, so it keeps the file)
    found = {e.id: e for e in db.session.scalars(
        sa.select(Evidence).where(Evidence.id.in_(ids)).with_for_update()
        .execution_options(populate_existing=True))}
    on_task = set(db.session.scalars(sa.select(Evidence.stored_name).where(
        Evidence.task_id == task.id, Evidence.is_deleted.is_(False))))
    rows: list[tuple[Evidence, Evidence]] = []
    for evidence_id in ids:
        source = found.get(evidence_id)
        # one message for a file that does not exist and one the actor may not take: nothing leaks
        if source is None or not access.may_reuse_evidence(actor, source, task):
            raise TaskError(_("只能引用本单位其他任务中已上传的材料。"))
        if source.stored_name in on_task:
            raise TaskError(_("材料“%(name)s”已在本任务中。", name=source.original_name))
        on_task.add(source.stored_name)
        row = Evidence(task_id=task.id, uploader_id=actor.id, original_name=source.original_name,
                       stored_name=source.stored_name, content_type=source.content_type, size=source.size,
                       sha256=source.sha256, period_key=period_key or source.period_key,
                       proves=None if period_key else source.proves, note=note or source.note,
                       reused_from_id=source.reused_from_id or source.id, created_at=now)
        db.session.add(row)
        rows.append((row, source))
    _flush()
    for row, source in rows:
        audit.record(actor, "task.evidence_reused", task, {
            "evidence_id": row.id, "from_evidence_id": source.id, "from_task_id": source.task_id,
            "name": row.original_name, "sha256": row.sha256}, now=now)
    return [row for row, _source in rows]


def _last_submitted_at(task: Task) -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.at)).where(
        AuditEntry.object_type == "task", AuditEntry.object_id == task.id, AuditEntry.action == "task.submitted"))


def may_delete_evidence(user: Any, evidence: Evidence) -> bool:
    """A unit may remove a file of its task until the file has been submitted for review: while the
    task is being worked on, and only files added since its last submission."""
    task = evidence.task
    if evidence.is_deleted or not permissions.can_work_on(user, task) or task.state not in WORKING_STATES:
        return False
    submitted = _last_submitted_at(task)
    return submitted is None or evidence.created_at > submitted


def deletable_evidence(user: Any, task: Task, items: Sequence[Evidence], *,
                       last_submitted: datetime | None | bool = False) -> set[int]:
    """The ids among ``items`` that ``user`` may delete: added since the task's last submission
    (``last_submitted`` when the caller knows it, else one query)."""
    if not permissions.can_work_on(user, task) or task.state not in WORKING_STATES:
        return set()
    submitted = _last_submitted_at(task) if last_submitted is False else last_submitted
    return {e.id for e in items if not e.is_deleted and (submitted is None or e.created_at > submitted)}


def delete_evidence(evidence: Evidence, *, actor: User, now: datetime) -> Evidence:
    """Remove a wrong file before submitting (audited). The row stays, marked deleted, for the
    record; the stored file leaves the disk when the transaction commits, unless another task's row
    still names it (a file reused with 引用), and stays if the transaction does not commit."""
    task = evidence.task
    _require(access.may_remove_evidence(actor, evidence) or evidence.is_deleted)
    if evidence.is_deleted:
        raise StateConflict(_("该材料已删除。"))
    if not may_delete_evidence(actor, evidence):
        raise StateConflict(_("材料已随任务提交审核，不能再删除。"))
    evidence.is_deleted, evidence.deleted_at = True, now
    _touch(task, now)
    _flush()
    still_used = db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(
        Evidence.stored_name == evidence.stored_name, Evidence.is_deleted.is_(False)))
    audit.record(actor, "task.evidence_deleted", task, {
        "evidence_id": evidence.id, "name": evidence.original_name, "sha256": evidence.sha256,
        "file_kept": bool(still_used)}, now=now)
    if not still_used:
        storage.remove_after_commit(evidence.stored_name, db.session())
    return evidence


def record_opening(evidence: Evidence, *, actor: User, now: datetime) -> None:
    """Note that ``actor`` opened the file (the review queue's batch approval reads it); the first time counts."""
    if db.session.get(EvidenceOpening, (evidence.id, actor.id)) is None:
        db.session.add(EvidenceOpening(evidence_id=evidence.id, user_id=actor.id, opened_at=now))
        db.session.flush()


# -- deadline, owner, flags ------------------------------------------------------------------

def change_deadline(task: Task, new_due_on: date, *, actor: User, now: datetime) -> Task:
    """The supervisor moves the deadline in force; the original deadline stays for scoring."""
    _require(permissions.can_review(actor, task))
    if not task.is_open:
        raise StateConflict(_("任务已结束，不能调整时限。"))
    new_due_on = _check_due(new_due_on, now)
    if new_due_on == task.due_on:
        return task
    old = task.due_on
    task.due_on = new_due_on
    _flush()
    audit.record(actor, "task.deadline_changed", task, {"from": old, "to": new_due_on}, now=now)
    _notify(_unit_recipients(task), task, kind="task_deadline_changed",
            subject=_l("【时限调整】%(measure)s", measure=_short(task.measure.label)),
            reason=_l("您单位一项任务的完成时限已调整"), fact=new_due_on.isoformat(), now=now, actor=actor,
            unit_chat=True, old_due_on=old)
    return task


def set_owner(task: Task, owner_id: int | None, *, actor: User, now: datetime) -> Task:
    """Name the person who answers for the task (责任人): the unit lead, the supervisor or an admin."""
    _require(permissions.can_lead(actor, task) or permissions.can_review(actor, task))
    owner = None
    if owner_id not in (None, ""):
        owner = db.session.get(User, int(owner_id))
        if owner is None or owner.unit_id != task.unit_id or not owner.is_active:
            raise TaskError(_("责任人必须是该责任单位的人员。"))
    if (owner.id if owner else None) == task.owner_id:
        return task
    old = task.owner_id
    task.owner_id = owner.id if owner else None
    task.owner = owner
    _flush()
    audit.record(actor, "task.owner_changed", task, {"from": old, "to": task.owner_id}, now=now)
    if owner is not None:
        _notify([owner], task, kind="task_assigned",
                subject=_l("【责任人】%(measure)s", measure=_short(task.measure.label)),
                reason=_l("您被指定为这项任务的责任人"), fact=f"owner:{owner.id}:{task.version}", now=now, actor=actor)
    return task


def set_flags(task: Task, is_key: bool | None = None, evidence_required: bool | None = None, *, actor: User,
              now: datetime) -> Task:
    """Mark a task as key work (重点) or waive the evidence it needs: the supervisor."""
    _require(permissions.can_review(actor, task))
    changes: dict[str, list[bool]] = {}
    if is_key is not None and bool(is_key) != task.is_key:
        changes["is_key"] = [task.is_key, bool(is_key)]
        task.is_key = bool(is_key)
    if evidence_required is not None and bool(evidence_required) != task.evidence_required:
        changes["evidence_required"] = [task.evidence_required, bool(evidence_required)]
        task.evidence_required = bool(evidence_required)
    if changes:
        _flush()
        audit.record(actor, "task.flags_changed", task, changes, now=now)
    return task


# -- extensions ------------------------------------------------------------------------------

def pending_extension(task: Task) -> ExtensionRequest | None:
    return db.session.scalar(sa.select(ExtensionRequest).where(
        ExtensionRequest.task_id == task.id, ExtensionRequest.state == ExtensionState.pending))


def request_extension(task: Task, *, actor: User, new_due_on: date, reason: str, now: datetime) -> ExtensionRequest:
    """The unit asks for more time (延期申请): before the deadline, for a later date, with a reason."""
    _require(permissions.can_work_on(actor, task))
    if task.state not in WORKING_STATES:
        raise StateConflict(_("任务当前为“%(state)s”，不能申请延期。", state=state_label(task.state)))
    if not isinstance(new_due_on, date) or isinstance(new_due_on, datetime):
        raise TaskError(_("请填写有效的延期时限（日期）。"))
    reason = _clean_text(reason, required=True, message=_("请填写延期理由。"))
    if local_today(now) > task.due_on:
        raise TaskError(_("任务已过完成时限，不能再申请延期。"))
    if new_due_on <= task.due_on:
        raise TaskError(_("延期时限必须晚于当前时限 %(due)s。", due=task.due_on.isoformat()))
    if pending_extension(task) is not None:
        raise StateConflict(_("已有一份延期申请在审核中。"))
    request = ExtensionRequest(task_id=task.id, requested_by_id=actor.id, reason=reason, old_due_on=task.due_on,
                               new_due_on=new_due_on, state=ExtensionState.pending, created_at=now)
    db.session.add(request)
    _touch(task, now)
    _flush()
    audit.record(actor, "task.extension_requested", task, {"request_id": request.id, "from": task.due_on,
                                                           "to": new_due_on, "reason": reason}, now=now)
    _notify(_supervisor_recipients(task), task, kind="task_extension_requested",
            subject=_l("【延期申请】%(unit)s：%(measure)s", unit=task.unit.name, measure=_short(task.measure.label)),
            reason=_l("有一份延期申请等待您审核"), fact=f"{request.id}", now=now, actor=actor, extension=request)
    return request


def decide_extension(request: ExtensionRequest, *, actor: User, approve: bool, note: str = "",
                     now: datetime) -> ExtensionRequest:
    """The supervisor approves (the deadline in force moves, the original stays) or refuses."""
    task = request.task
    _require(permissions.can_review(actor, task))
    if request.state is not ExtensionState.pending:
        raise StateConflict(_("该延期申请已处理。"))
    note = _clean_text(note, required=not approve, message=_("请填写不同意延期的理由。"))
    request.state = ExtensionState.approved if approve else ExtensionState.refused
    request.decided_by_id, request.decided_at, request.decision_note = actor.id, now, note or None
    old = task.due_on
    if approve:
        if not task.is_open:
            raise StateConflict(_("任务已结束，不能延期。"))
        task.due_on = request.new_due_on
    # touch the task so its version moves: of two racing decisions, one gets StateConflict
    _touch(task, now)
    _flush()
    action = "task.extension_approved" if approve else "task.extension_refused"
    audit.record(actor, action, task, {"request_id": request.id, "from": old, "to": request.new_due_on,
                                       "note": note}, now=now)
    recipients = _unit_recipients(task)
    if request.requested_by is not None and request.requested_by not in recipients:
        recipients.append(request.requested_by)
    _notify(recipients, task, kind="task_extension_decided",
            subject=(_l("【延期已同意】%(measure)s", measure=_short(task.measure.label)) if approve
                     else _l("【延期未同意】%(measure)s", measure=_short(task.measure.label))),
            reason=_l("您单位的延期申请已有审核结果"), fact=f"{request.id}", now=now, actor=actor,
            extension=request, approved=approve, note=note)
    return request


# -- periodic reports ------------------------------------------------------------------------

def _period_of(day: date, period: ReportingPeriod) -> tuple[str, date]:
    """The key of the period containing ``day`` and that period's last day."""
    found = periods.bounds(day, period.value)
    if found is None:
        raise ValueError(period)
    return found[0], found[2]


def expected_periods(task: Task, today: date) -> list[str]:
    """Periods a periodic task must have reported on by ``today``: those that have ended, from the
    period of assignment up to the period of the deadline."""
    if task.reporting_period is ReportingPeriod.once:
        return []
    keys: list[str] = []
    day = task.assigned_on
    last = task.due_on
    while day <= last:
        key, end = _period_of(day, task.reporting_period)
        if end >= today:
            break
        keys.append(key)
        day = date.fromordinal(end.toordinal() + 1)
    return keys


def missing_reports(task: Task, today: date, reported: set[str] | None = None) -> list[str]:
    """Expected periods with no progress report for that period_key (``reported``: the task's
    period keys when the caller has them already)."""
    expected = expected_periods(task, today)
    if not expected:
        return []
    done = reported if reported is not None else set(db.session.scalars(sa.select(ProgressReport.period_key).where(
        ProgressReport.task_id == task.id, ProgressReport.period_key.in_(expected))))
    return [key for key in expected if key not in done]


def current_period_key(task: Task, today: date, reported: set[str] | None = None) -> str | None:
    """The period a report made today would normally answer: the oldest missing one, else the current."""
    if task.reporting_period is ReportingPeriod.once:
        return None
    missing = missing_reports(task, today, reported)
    return missing[0] if missing else _period_of(today, task.reporting_period)[0]


__all__ = [
    "ALLOWED_TRANSITIONS", "OPEN_STATES", "Assignment", "acknowledge", "insist", "reassign", "refuse",
    "StateConflict", "TaskError", "add_evidence", "approve",
    "approve_many", "assign", "assign_many", "delete_evidence", "evidence_periods", "record_opening",
    "cancel", "change_deadline", "check_version", "decide_extension", "expected_periods", "missing_reports",
    "reopen", "report_progress", "request_extension",
    "reuse_evidence", "return_task", "set_flags", "set_owner", "start", "submit",
    "transition",
]
