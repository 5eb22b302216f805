"""Who sees what and who may change it: the one place the roles are read.

Every page, API route, export, report, filter list, dropdown and count asks this module, either
object by object (``can_see_*``, ``may_*``) or as a SQL condition (``*_condition``, ``visible_*``)
that says the same thing, so the two cannot disagree. The rules:

- Admins see and change everything.
- Supervisors supervise the plans whose supervisor they are, and the plans with no supervisor when
  ``SUPERVISORS_SEE_UNSUPERVISED_PLANS`` is on. What they supervise they see, edit, assign and
  review, with its measures, tasks, evidence and reports. They issue 督办单, and read the outbox
  mail to themselves and about what they see.
- Unit leads and members see their own unit and the units below it: its tasks (and the plans,
  measures, evidence, reports and 督办单 of those), never another unit's. They work on the tasks of
  their own unit; a lead also picks the owner.
- Viewers see everything and change nothing.
- A one-task link (``LinkGrant``, from an email) opens its own task and nothing else: it sees that
  task and its evidence, and works on it as the unit would (签收, report, upload, submit).
- The audit trail: admins read all of it; supervisors read the events of the plans they supervise
  and of those plans' tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy.sql import ColumnElement, Select

from tracker.audit import AuditEntry
from tracker.auth.models import Role, User
from tracker.errors import PermissionDenied
from tracker.extensions import db
from tracker.links.models import LinkGrant, chat_address
from tracker.notices.models import NoticeItem, SupervisionNotice
from tracker.notify.models import Notification, OutboxEmail
from tracker.plans.models import Measure, Plan
from tracker.scoring.models import ScoreSnapshot, ScoreSnapshotLine
from tracker.tasks.models import Evidence, ExtensionRequest, ProgressReport, Task, TaskRefusal
from tracker.units.models import Unit

UNIT_ROLES = (Role.unit_lead, Role.unit_member)
SEE_ALL_ROLES = (Role.admin, Role.viewer)


# --------------------------------------------------------------------------- who the user is

def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return None
    return user.role


def is_admin(user: Any) -> bool:
    return _role(user) is Role.admin


def is_supervisor(user: Any) -> bool:
    """A supervisor proper (admins pass every rule on their own)."""
    return _role(user) is Role.supervisor


def is_unit_person(user: Any) -> bool:
    """A unit lead or member (with or without a unit yet)."""
    return _role(user) in UNIT_ROLES


def is_unit_user(user: Any) -> bool:
    """A unit lead or member of a unit: sees that unit and the units below it."""
    return _role(user) in UNIT_ROLES and user.unit_id is not None


def is_staff(user: Any) -> bool:
    """Admins, supervisors and viewers: the people who look across units (ledger, dashboard)."""
    return _role(user) in (Role.admin, Role.supervisor, Role.viewer)


def sees_everything(user: Any) -> bool:
    return _role(user) in SEE_ALL_ROLES


def sees_whole_plans(user: Any) -> bool:
    """Whether ``task_condition`` of ``user`` depends on plans only (never on units)."""
    return sees_everything(user) or is_supervisor(user) or not is_unit_user(user)


def may_write(user: Any) -> bool:
    """Viewers change nothing."""
    role = _role(user)
    return role is not None and role is not Role.viewer


def may_manage(user: Any) -> bool:
    """Units, users, bulk imports: admins only."""
    return is_admin(user)


def may_supervise(user: Any) -> bool:
    """Import plans, review, issue 督办单, read the outbox: supervisors and admins."""
    return _role(user) in (Role.admin, Role.supervisor)


def home_endpoint(user: Any) -> str:
    """Where a user lands after signing in."""
    return "tasks.my_tasks" if is_unit_person(user) else "reports.dashboard"


def supervisors_see_unsupervised_plans() -> bool:
    """Off by default: every plan imported through Duban has the importer as its supervisor."""
    if not has_app_context():
        return False
    return bool(current_app.config.get("SUPERVISORS_SEE_UNSUPERVISED_PLANS", False))


def unit_scope(user: Any) -> set[int]:
    """The user's unit and every unit below it; empty for people without a unit."""
    if not is_unit_user(user):
        return set()
    # read once per request (a list asks for it for its rows and for its plan filter)
    cache = g.setdefault("_unit_scopes", {}) if has_request_context() else {}
    found = cache.get(user.unit_id)
    if found is None:
        found = cache[user.unit_id] = _subtree(user.unit_id)
    return found


def _subtree(unit_id: int) -> set[int]:
    rows = db.session.execute(sa.select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for uid, pid in rows:
        children.setdefault(pid, []).append(uid)
    found: set[int] = set()
    stack = [unit_id]
    while stack:
        uid = stack.pop()
        if uid not in found:
            found.add(uid)
            stack.extend(children.get(uid, []))
    return found


def _in(column: Any, ids: set[int]) -> ColumnElement[bool]:
    ordered = sorted(ids)
    if not ordered:
        return sa.false()
    return column == ordered[0] if len(ordered) == 1 else column.in_(ordered)


# --------------------------------------------------------------------------- plans and measures

def supervises(user: Any, plan: Plan) -> bool:
    """The plan is this supervisor's (or has none and the deployment lets supervisors take those)."""
    if is_admin(user):
        return True
    if not is_supervisor(user):
        return False
    return plan.supervisor_id == user.id or (plan.supervisor_id is None and supervisors_see_unsupervised_plans())


def supervised_plan_condition(user: Any) -> ColumnElement[bool]:
    """``supervises`` as SQL, over the plan table."""
    if is_admin(user):
        return sa.true()
    if not is_supervisor(user):
        return sa.false()
    if supervisors_see_unsupervised_plans():
        return sa.or_(Plan.supervisor_id == user.id, Plan.supervisor_id.is_(None))
    return Plan.supervisor_id == user.id


def plan_condition(user: Any) -> ColumnElement[bool]:
    """The plans ``user`` may see, over the plan table (deleted ones included; callers drop those)."""
    if sees_everything(user):
        return sa.true()
    if is_supervisor(user):
        return supervised_plan_condition(user)
    if is_unit_user(user):
        return Plan.id.in_(sa.select(Task.plan_id).where(_in(Task.unit_id, unit_scope(user))).scalar_subquery())
    return sa.false()


def can_see_plan(user: Any, plan: Plan) -> bool:
    if plan is None:
        return False
    if sees_everything(user) or supervises(user, plan):
        return True
    if is_unit_user(user):
        return bool(db.session.scalar(sa.select(sa.exists().where(
            Task.plan_id == plan.id, _in(Task.unit_id, unit_scope(user))))))
    return False


def visible_plans(user: Any) -> Select:
    """The live plans ``user`` may see, as a query to filter, order and page."""
    return sa.select(Plan).where(Plan.is_deleted.is_(False), plan_condition(user))


def plan_choices(user: Any) -> list[sa.Row]:
    """(id, title) of the plans ``user`` may see, newest first: the plan filter of lists."""
    return list(db.session.execute(sa.select(Plan.id, Plan.title).where(Plan.is_deleted.is_(False),
                                                                          plan_condition(user))
                                   .order_by(Plan.id.desc())).all())


def may_import_plans(user: Any) -> bool:
    return may_supervise(user)


def may_edit_plan(user: Any, plan: Plan) -> bool:
    """Correct the plan, its outline, its state: whoever supervises it."""
    return plan is not None and supervises(user, plan)


def may_assign(user: Any, plan: Plan) -> bool:
    """What a supervisor may see, they may assign."""
    return plan is not None and supervises(user, plan)


def can_see_plan_tasks(user: Any, plan: Plan) -> bool:
    """The whole plan's grid of tasks and its source: people who look across units."""
    return plan is not None and (sees_everything(user) or supervises(user, plan))


def can_see_measure(user: Any, measure: Measure) -> bool:
    return measure is not None and can_see_plan(user, measure.plan)


# --------------------------------------------------------------------------- tasks and their parts

def task_condition(user: Any, plan_id: Any = None, unit_id: Any = None) -> ColumnElement[bool]:
    """The tasks ``user`` may see, over the task table; over another table that carries a task's
    plan and unit (the task tally) when its ``plan_id`` and ``unit_id`` columns are given."""
    plan_id = Task.plan_id if plan_id is None else plan_id
    unit_id = Task.unit_id if unit_id is None else unit_id
    if sees_everything(user):
        return sa.true()
    if is_supervisor(user):
        return plan_id.in_(sa.select(Plan.id).where(supervised_plan_condition(user)).scalar_subquery())
    if is_unit_user(user):
        return _in(unit_id, unit_scope(user))
    return sa.false()


def visible_tasks(user: Any) -> Select:
    return sa.select(Task).where(task_condition(user))


def can_see_task(user: Any, task: Task) -> bool:
    if task is None:
        return False
    if isinstance(user, LinkGrant):
        return user.task_id == task.id
    if sees_everything(user):
        return True
    if is_supervisor(user):
        return task.plan is not None and supervises(user, task.plan)
    if is_unit_user(user):
        # the own unit's task needs no walk of the unit tree
        return task.unit_id == user.unit_id or task.unit_id in unit_scope(user)
    return False


def may_work_on(user: Any, task: Task) -> bool:
    """Start, report, add evidence, submit, ask for more time: people of the task's own unit (and a
    one-task link for its own task, which its pages limit to 签收, report, upload and submit)."""
    if isinstance(user, LinkGrant):
        return task is not None and user.task_id == task.id
    return (task is not None and _role(user) in UNIT_ROLES and user.unit_id is not None
            and user.unit_id == task.unit_id)


def may_lead(user: Any, task: Task) -> bool:
    """The unit lead of the task's unit: picks the owner inside the unit."""
    return may_work_on(user, task) and _role(user) is Role.unit_lead


def may_review(user: Any, task: Task) -> bool:
    """Approve, return, cancel, move deadlines, decide extensions: whoever supervises the plan."""
    return task is not None and task.plan is not None and supervises(user, task.plan)


def review_condition(user: Any) -> ColumnElement[bool]:
    """``may_review`` as SQL, over the task table: the review queue."""
    if not may_supervise(user):
        return sa.false()
    return Task.plan_id.in_(sa.select(Plan.id).where(supervised_plan_condition(user)).scalar_subquery())


def may_chase(user: Any, task: Task) -> bool:
    """A 催办单 for one task."""
    return may_review(user, task)


def can_see_evidence(user: Any, item: Evidence) -> bool:
    return item is not None and not item.is_deleted and can_see_task(user, item.task)


# --------------------------------------------------------------------------- 签收, 退回交办, one-task links

def may_acknowledge(user: Any, task: Task) -> bool:
    """签收: the task's own unit (signed in, by API, or through the task's link)."""
    return may_work_on(user, task)


def may_refuse(user: Any, task: Task) -> bool:
    """退回交办: a signed-in person of the task's own unit (a link cannot refuse)."""
    return not isinstance(user, LinkGrant) and may_work_on(user, task)


def can_see_refusal(user: Any, refusal: TaskRefusal) -> bool:
    return refusal is not None and can_see_task(user, refusal.task)


def may_decide_refusal(user: Any, refusal: TaskRefusal) -> bool:
    """Reassign or insist: whoever supervises the task's plan."""
    return refusal is not None and may_review(user, refusal.task)


def refusal_condition(user: Any) -> ColumnElement[bool]:
    """The refusals ``user`` decides, over the task_refusal table joined to task."""
    return review_condition(user)


def may_revoke_links(user: Any, task: Task) -> bool:
    """Revoke a task's one-task links: whoever supervises its plan."""
    return may_review(user, task)


def may_set_unit_links(user: Any, unit: Unit) -> bool:
    """Turn a unit's one-task links on or off: its lead, or an admin."""
    if unit is None:
        return False
    return is_admin(user) or (_role(user) is Role.unit_lead and user.unit_id == unit.id)


def link_opens(grant: Any, obj: Any) -> bool:
    """What a one-task link opens: its task, and that task's live evidence; a signed-in user opens
    nothing through a link's pages (the token in the URL is the only credential there)."""
    if not isinstance(grant, LinkGrant) or obj is None:
        return False
    if isinstance(obj, Evidence):
        return not obj.is_deleted and obj.task_id == grant.task_id
    return isinstance(obj, Task) and obj.id == grant.task_id


def link_recipient_allowed(task: Task, address: str | None) -> bool:
    """Whether an email about ``task`` to ``address`` may carry a one-task link: the unit has links
    on and the address is the unit's (an active person of the unit, its contact address, or its group
    robot and SMS phone, see ``chat_address``). Mail
    to supervisors and leaders carries the signed-in page instead."""
    if not address or task is None or task.unit is None or not task.unit.links_enabled:
        return False
    if address == chat_address(task.unit):
        return True
    if task.unit.contact_email and task.unit.contact_email.strip().lower() == address.strip().lower():
        return True
    return bool(db.session.scalar(sa.select(sa.exists().where(
        User.email == address, User.unit_id == task.unit_id, User.role.in_(UNIT_ROLES),
        User.is_active.is_(True)))))


def may_remove_evidence(user: Any, item: Evidence) -> bool:
    """Take a file off a task: the people of the task's unit (the service checks the task's state)."""
    return item is not None and not item.is_deleted and may_work_on(user, item.task)


def may_reuse_evidence(user: Any, item: Evidence, task: Task) -> bool:
    """Attach a file already uploaded for another task to ``task`` (引用): a file ``user`` sees, of a
    task of the same unit, onto a task ``user`` works on."""
    return (can_see_evidence(user, item) and may_work_on(user, task) and item.task_id != task.id
            and item.task is not None and item.task.unit_id == task.unit_id)


def reusable_evidence_condition(user: Any, task: Task) -> ColumnElement[bool]:
    """``may_reuse_evidence`` as SQL, over the evidence table: the picker's files."""
    if not may_work_on(user, task):
        return sa.false()
    same_unit = sa.select(Task.id).where(Task.unit_id == task.unit_id, Task.id != task.id, task_condition(user))
    return sa.and_(Evidence.is_deleted.is_(False), Evidence.task_id.in_(same_unit.scalar_subquery()))


def may_read_audit(user: Any) -> bool:
    """The audit page: admins, and supervisors for what they supervise (``audit_condition``)."""
    return may_supervise(user)


def audit_condition(user: Any) -> ColumnElement[bool]:
    """The audit entries ``user`` may read, over the audit table."""
    if is_admin(user):
        return sa.true()
    if not is_supervisor(user):
        return sa.false()
    plans = sa.select(Plan.id).where(supervised_plan_condition(user))
    tasks = sa.select(Task.id).where(Task.plan_id.in_(plans.scalar_subquery()))
    return sa.or_(
        sa.and_(AuditEntry.object_type == "plan", AuditEntry.object_id.in_(plans.scalar_subquery())),
        sa.and_(AuditEntry.object_type == "task", AuditEntry.object_id.in_(tasks.scalar_subquery())),
    )


def can_see_progress(user: Any, report: ProgressReport) -> bool:
    return report is not None and can_see_task(user, report.task)


def can_see_extension(user: Any, request: ExtensionRequest) -> bool:
    return request is not None and can_see_task(user, request.task)


def may_decide_extension(user: Any, request: ExtensionRequest) -> bool:
    return request is not None and may_review(user, request.task)


def may_set_owner(user: Any, task: Task) -> bool:
    """The owner (责任人) is picked by the unit's lead, or set by whoever reviews."""
    return may_lead(user, task) or may_review(user, task)


def can_see_owner_choices(user: Any) -> bool:
    """The people of every unit, as owners to pick while assigning."""
    return may_supervise(user)


# --------------------------------------------------------------------------- 督办单

def notice_condition(user: Any) -> ColumnElement[bool]:
    """The 督办单 ``user`` may see, over the notice table."""
    if sees_everything(user):
        return sa.true()
    if is_supervisor(user):
        listed = sa.select(NoticeItem.notice_id).join(Task, Task.id == NoticeItem.task_id).where(task_condition(user))
        return sa.or_(SupervisionNotice.issued_by_id == user.id, SupervisionNotice.id.in_(listed.scalar_subquery()))
    if is_unit_user(user):
        return _in(SupervisionNotice.unit_id, unit_scope(user))
    return sa.false()


def visible_notices(user: Any) -> Select:
    return sa.select(SupervisionNotice).where(notice_condition(user))


def can_see_notice(user: Any, notice: SupervisionNotice) -> bool:
    if notice is None:
        return False
    if sees_everything(user):
        return True
    if is_supervisor(user):
        return notice.issued_by_id == user.id or any(can_see_task(user, item.task) for item in notice.items)
    if is_unit_user(user):
        return notice.unit_id in unit_scope(user)
    return False


def may_issue_notices(user: Any) -> bool:
    return may_supervise(user)


def may_answer_notice(user: Any, notice: SupervisionNotice) -> bool:
    """The addressed unit's own people answer it."""
    return (notice is not None and _role(user) in UNIT_ROLES and user.unit_id is not None
            and user.unit_id == notice.unit_id)


# --------------------------------------------------------------------------- reports

def can_see_reports(user: Any) -> bool:
    """The cross-unit dashboard, rankings and 通报 (each restricted to the visible tasks)."""
    return is_staff(user)


def can_see_summary(user: Any, plan: Plan, unit_id: int | None) -> bool:
    """A plan's 落实情况报告: whole for those who see the plan's grid, a unit's share for that unit's people."""
    if not can_see_plan(user, plan):
        return False
    if sees_everything(user) or supervises(user, plan):
        return True
    return is_unit_user(user) and unit_id is not None and unit_id in unit_scope(user)


def can_see_plan_summary(user: Any, plan: Plan) -> bool:
    """The summary page as opened from a plan: whole, or a unit user's own share."""
    return can_see_summary(user, plan, summary_unit(user, None))


def summary_unit(user: Any, unit_id: int | None) -> int | None:
    """The unit a summary is about when none was asked for: a unit user's own."""
    if unit_id is None and is_unit_user(user):
        return user.unit_id
    return unit_id


def can_see_burden(user: Any) -> bool:
    """The burden view (减负): people who look across units; what it counts follows what they see
    (``task_condition``, ``notice_condition``)."""
    return is_staff(user)


def can_see_unit_burden(user: Any, unit: Unit) -> bool:
    return unit is not None and can_see_burden(user)


# --------------------------------------------------------------------------- scores (督考合一)

def _scope_plan(scope: str) -> Plan | None:
    kind, _sep, value = (scope or "").partition(":")
    return db.session.get(Plan, int(value)) if kind == "plan" and value.isdigit() else None


def can_see_scores(user: Any, plan: Plan | None = None) -> bool:
    """A ranking of units: a year's for the staff (leaders look across units), a plan's for those
    who see that plan's grid. Unit people see their own unit's score page, never the ranking."""
    if plan is None:
        return is_staff(user)
    return can_see_plan_tasks(user, plan)


def may_edit_rules(user: Any, plan: Plan | None = None) -> bool:
    """Scoring rules, their what-if and publishing: supervisors (a plan's: whoever supervises it)."""
    if plan is None:
        return may_supervise(user)
    return supervises(user, plan)


def can_see_unit_score(user: Any, unit: Unit) -> bool:
    """A unit's score page with every point and its event: the staff, and the unit's own people
    (their unit and the units below it)."""
    if unit is None or _role(user) is None:
        return False
    return is_staff(user) or unit.id in unit_scope(user)


def can_see_snapshot(user: Any, snapshot: ScoreSnapshot) -> bool:
    """A published score: as its ranking for whoever may see the scope's ranking; a unit's people
    see the snapshots that score their unit (and only their unit's part of it)."""
    if snapshot is None or _role(user) is None:
        return False
    if is_staff(user):
        return can_see_scores(user, _scope_plan(snapshot.scope))
    if is_unit_user(user):
        return bool(db.session.scalar(sa.select(sa.exists().where(
            ScoreSnapshotLine.snapshot_id == snapshot.id, _in(ScoreSnapshotLine.unit_id, unit_scope(user))))))
    return False


def snapshot_condition(user: Any) -> ColumnElement[bool]:
    """``can_see_snapshot`` as SQL, over the snapshot table."""
    if sees_everything(user):
        return sa.true()
    if is_supervisor(user):
        return sa.or_(ScoreSnapshot.plan_id.is_(None),
                      ScoreSnapshot.plan_id.in_(sa.select(Plan.id).where(supervised_plan_condition(user))
                                                .scalar_subquery()))
    if is_unit_user(user):
        return ScoreSnapshot.id.in_(sa.select(ScoreSnapshotLine.snapshot_id)
                                    .where(_in(ScoreSnapshotLine.unit_id, unit_scope(user))).scalar_subquery())
    return sa.false()


def sees_whole_snapshot(user: Any, snapshot: ScoreSnapshot) -> bool:
    """The ranking of a snapshot, not just one's own unit's line."""
    return is_staff(user) and can_see_snapshot(user, snapshot)


# --------------------------------------------------------------------------- outbox and notifications

def can_see_outbox(user: Any) -> bool:
    """The outbox page: those who run the mail (each sees the rows below)."""
    return may_supervise(user)


def outbox_condition(user: Any) -> ColumnElement[bool]:
    """Admins see every row; supervisors the mail to themselves and about the tasks and 督办单 they see."""
    if is_admin(user):
        return sa.true()
    if not is_supervisor(user):
        return sa.false()
    tasks = sa.select(Task.id).where(task_condition(user)).scalar_subquery()
    notices = sa.select(SupervisionNotice.id).where(notice_condition(user)).scalar_subquery()
    return sa.or_(OutboxEmail.recipient_id == user.id,
                  sa.and_(OutboxEmail.related_type == "task", OutboxEmail.related_id.in_(tasks)),
                  sa.and_(OutboxEmail.related_type == "supervision_notice", OutboxEmail.related_id.in_(notices)))


def can_see_outbox_message(user: Any, message: OutboxEmail) -> bool:
    if message is None or not can_see_outbox(user):
        return False
    if is_admin(user) or message.recipient_id == user.id:
        return True
    if message.related_type == "task":
        return can_see_task(user, db.session.get(Task, message.related_id))
    if message.related_type == "supervision_notice":
        return can_see_notice(user, db.session.get(SupervisionNotice, message.related_id))
    return False


def may_requeue(user: Any, message: OutboxEmail) -> bool:
    return can_see_outbox_message(user, message)


def can_see_notification(user: Any, notification: Notification) -> bool:
    """An in-app notice is its recipient's alone."""
    return notification is not None and _role(user) is not None and notification.user_id == user.id


# --------------------------------------------------------------------------- units and users

def can_see_unit(user: Any, unit: Unit) -> bool:
    """The unit tree is no secret: every signed-in user sees the units (filters, 督办单 forms)."""
    return unit is not None and _role(user) is not None


def may_place_unit_names(user: Any) -> bool:
    """Map a name a plan uses to a unit, or create a unit for it, from the assignment page: those who
    assign (the unit stays the admin's to edit)."""
    return may_supervise(user)


def may_manage_unit(user: Any, unit: Unit | None = None) -> bool:
    return may_manage(user)


def can_see_user(user: Any, other: User) -> bool:
    """Admins see every account; others themselves, and supervisors the people they assign to."""
    if other is None or _role(user) is None:
        return False
    return is_admin(user) or other.id == user.id or may_supervise(user)


def may_manage_user(user: Any, other: User | None = None) -> bool:
    return may_manage(user)


def can_see_token(user: Any, token: Any) -> bool:
    """The token pages show one's own tokens only."""
    return token is not None and _role(user) is not None and token.user_id == user.id


def may_manage_token(user: Any, owner_id: int) -> bool:
    """An API token: its owner, or an admin."""
    return _role(user) is not None and (user.id == owner_id or is_admin(user))


def assignable_people_condition() -> ColumnElement[bool]:
    """The people a task can be given to as owner: active unit people."""
    return sa.and_(User.role.in_(UNIT_ROLES), User.is_active.is_(True), User.unit_id.is_not(None))


def unit_leads_condition(unit_id: int | None = None) -> ColumnElement[bool]:
    """The active leads of one unit (or of every unit): who gets a unit's notices and reminders."""
    unit = User.unit_id.is_not(None) if unit_id is None else User.unit_id == unit_id
    return sa.and_(unit, User.role == Role.unit_lead, User.is_active.is_(True))


def admins_condition() -> ColumnElement[bool]:
    return sa.and_(User.role == Role.admin, User.is_active.is_(True))


def supervisor_choices_condition() -> ColumnElement[bool]:
    """People who may be a unit's supervising leader (分管领导): staff, not unit people."""
    return User.role.in_([Role.viewer, Role.supervisor, Role.admin])


# --------------------------------------------------------------------------- menu

MENU_RULES: dict[str, Callable[[Any], bool]] = {
    "tasks.my_tasks": is_unit_person,
    "plans.list_plans": is_staff,
    "tasks.review_queue": may_supervise,
    "tasks.all_tasks": is_staff,
    "reports.dashboard": can_see_reports,
    "reports.unit_dashboard": is_unit_person,
    "scoring.ranking": is_staff,
    "scoring.my_score": is_unit_user,
    "notify.outbox": can_see_outbox,
    "units.list_units": may_manage,
    "admin_users.list_users": may_manage,
    "admin_import.upload": may_manage,
    "auditlog.list_entries": may_read_audit,
}


def can_open(user: Any, endpoint: str) -> bool:
    """Whether a menu entry is for ``user`` (entries not listed are for everyone signed in)."""
    rule = MENU_RULES.get(endpoint)
    return _role(user) is not None and (rule is None or rule(user))


# --------------------------------------------------------------------------- declared rules of views

Rule = Callable[[Any, Any], bool]


def protects(argument: str, see: Rule, write: Rule | None = None) -> Callable:
    """Declare the rules a view applies to the object its URL names by ``argument`` (``plan_id``).

    ``see`` gates every method (else 403 or 404); ``write``, when given, is what a POST needs (else
    403 or 404); without it the service decides per action. The permission matrix test reads the
    declaration to know what each route must answer to each user, and fails on a route that names
    an object without one. Put it right under the route decorator.
    """

    def mark(view: Callable) -> Callable:
        view.access_rule = {"argument": argument, "see": see, "write": write}  # type: ignore[attr-defined]
        return view

    return mark


def check(condition: bool) -> None:
    """Refuse with PermissionDenied (403, rolled back) unless ``condition``."""
    if not condition:
        raise PermissionDenied


def may_edit_settings(user: Any, target: Any) -> bool:
    """Personal settings (how reminders arrive) are their owner's alone."""
    return user is not None and target is not None and getattr(user, "id", None) == target.id
