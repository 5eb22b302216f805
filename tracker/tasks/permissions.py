"""Who may see and touch a task: pure predicates, and the same rule as a SQL filter for lists.

Admins and viewers see every task; a supervisor sees the tasks of the plans they supervise; unit
people see their unit's tasks and those of the units below it. Only people of the task's own unit
work on it; only the plan's supervisor (or an admin) reviews it; viewers never write.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import Select

from tracker.auth.models import Role
from tracker.plans.models import Plan
from tracker.tasks.models import Task
from tracker.units.services import descendant_ids


def _is_signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "id", None) is not None


def _plan_supervisor_id(task: Task) -> int | None:
    plan = task.plan
    return plan.supervisor_id if plan is not None else None


def can_view_task(user: Any, task: Task) -> bool:
    """Whether ``user`` may open the task and its evidence."""
    if not _is_signed_in(user):
        return False
    if user.role in (Role.admin, Role.viewer):
        return True
    if user.role is Role.supervisor:
        return _plan_supervisor_id(task) == user.id
    if user.role in (Role.unit_lead, Role.unit_member) and user.unit_id is not None:
        return task.unit_id in descendant_ids(user.unit_id)
    return False


def can_work_on(user: Any, task: Task) -> bool:
    """Start, report, add evidence, submit, ask for more time: people of the task's own unit."""
    return (_is_signed_in(user) and user.role in (Role.unit_lead, Role.unit_member)
            and user.unit_id is not None and user.unit_id == task.unit_id)


def can_lead(user: Any, task: Task) -> bool:
    """The unit lead of the task's unit: picks the owner inside the unit."""
    return can_work_on(user, task) and user.role is Role.unit_lead


def can_review(user: Any, task: Task) -> bool:
    """Approve, return, cancel, move deadlines, decide extensions: the plan's supervisor or an admin."""
    if not _is_signed_in(user):
        return False
    if user.role is Role.admin:
        return True
    return user.role is Role.supervisor and _plan_supervisor_id(task) == user.id


def can_assign(user: Any, plan: Plan) -> bool:
    """Hand a plan's measures to units: the plan's supervisor or an admin."""
    if not _is_signed_in(user):
        return False
    return user.role is Role.admin or (user.role is Role.supervisor and plan.supervisor_id == user.id)


def can_view_plan_tasks(user: Any, plan: Plan) -> bool:
    """The whole plan's grid of tasks (matrix): admins, viewers and the plan's supervisor."""
    if not _is_signed_in(user):
        return False
    return user.role in (Role.admin, Role.viewer) or (user.role is Role.supervisor and plan.supervisor_id == user.id)


def visible_condition(user: Any) -> sa.ColumnElement[bool]:
    """The WHERE clause behind ``visible_tasks``, for queries that start from another table."""
    if not _is_signed_in(user):
        return sa.false()
    if user.role in (Role.admin, Role.viewer):
        return sa.true()
    if user.role is Role.supervisor:
        return Task.plan_id.in_(sa.select(Plan.id).where(Plan.supervisor_id == user.id).scalar_subquery())
    if user.role in (Role.unit_lead, Role.unit_member) and user.unit_id is not None:
        ids = sorted(descendant_ids(user.unit_id))
        return Task.unit_id == ids[0] if len(ids) == 1 else Task.unit_id.in_(ids)
    return sa.false()


def visible_tasks(user: Any) -> Select:
    """The tasks ``user`` may see, filtered in SQL."""
    return sa.select(Task).where(visible_condition(user))
