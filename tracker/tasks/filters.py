"""The task-list filters, one definition for the lists, the ledger export and dashboard links.

Query parameters: state, open (1: not completed or cancelled), plan_id, unit_id, light
(red|yellow|green), progress (ahead|on_pace|behind|done: 序时进度), overdue (1), due_within
(days; the list's own select sends ``due=overdue|7|15|30``), key (1), unacknowledged (1: 未签收),
q (text in the measure).
A value that makes no sense raises FilterError with a message for the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.sql.expression import ColumnElement

from tracker.errors import UserError
from tracker.plans.models import Measure
from tracker.tasks.lights import light_expression
from tracker.tasks.models import OPEN_STATES, Task, TaskState
from tracker.tasks.progress import CLASSES as PROGRESS_CLASSES
from tracker.tasks.progress import progress_expression

FILTER_LIGHTS = ("red", "yellow", "green")
MAX_DUE_WITHIN = 3650


class FilterError(UserError):
    """A filter value that makes no sense; the message is for the user."""

    status = 400
    code = "bad_request"


@dataclass
class TaskFilters:
    state: TaskState | None = None
    open: bool = False
    plan_id: int | None = None
    unit_id: int | None = None
    light: str | None = None
    progress: str | None = None
    overdue: bool = False
    due_within: int | None = None
    key: bool = False
    #: 未签收: open and not yet acknowledged
    unacknowledged: bool = False
    q: str | None = None

    @property
    def due(self) -> str | None:
        """The value of the list's 时限 select."""
        if self.overdue:
            return "overdue"
        return str(self.due_within) if self.due_within is not None else None

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string values, for pager links and exports."""
        args: dict[str, Any] = {}
        for name in ("plan_id", "unit_id", "light", "progress", "due_within", "q"):
            if getattr(self, name) not in (None, ""):
                args[name] = getattr(self, name)
        if self.state is not None:
            args["state"] = self.state.value
        if self.open:
            args["open"] = 1
        if self.overdue:
            args["overdue"] = 1
        if self.key:
            args["key"] = 1
        if self.unacknowledged:
            args["unacknowledged"] = 1
        return args


def _invalid(label: str, raw: str) -> FilterError:
    return FilterError(_("筛选条件“%(label)s”的值 %(value)s 无效。", label=label, value=raw[:40]))


def _int_arg(args: Any, name: str, label: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise _invalid(label, raw)
    return int(raw)


def _flag_arg(args: Any, name: str, label: str) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise _invalid(label, raw)


def _days(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_DUE_WITHIN:
        raise FilterError(_("“临近时限天数”须为 0 到 %(max)d 之间的整数。", max=MAX_DUE_WITHIN))
    return int(raw)


def parse_filters(args: Any) -> TaskFilters:
    """Read the filters from request args."""
    filters = TaskFilters()
    state = (args.get("state") or "").strip()
    if state:
        try:
            filters.state = TaskState(state)
        except ValueError:
            raise FilterError(_("未知的任务状态：%(value)s", value=state[:40])) from None
    filters.plan_id = _int_arg(args, "plan_id", _("计划"))
    filters.unit_id = _int_arg(args, "unit_id", _("责任单位"))
    light = (args.get("light") or "").strip()
    if light:
        if light not in FILTER_LIGHTS:
            raise FilterError(_("未知的灯号：%(value)s", value=light[:40]))
        filters.light = light
    progress = (args.get("progress") or "").strip()
    if progress:
        if progress not in PROGRESS_CLASSES:
            raise FilterError(_("未知的序时进度：%(value)s", value=progress[:40]))
        filters.progress = progress
    filters.open = _flag_arg(args, "open", _("未办结"))
    filters.overdue = _flag_arg(args, "overdue", _("已逾期"))
    filters.key = _flag_arg(args, "key", _("重点任务"))
    filters.unacknowledged = _flag_arg(args, "unacknowledged", _("未签收"))
    raw_due = (args.get("due_within") or "").strip()
    if raw_due:
        filters.due_within = _days(raw_due)
    due = (args.get("due") or "").strip()
    if due == "overdue":
        filters.overdue = True
    elif due:
        filters.due_within = _days(due)
    q = (args.get("q") or "").strip()
    if len(q) > 100:
        raise FilterError(_("搜索内容不能超过 100 个字符。"))
    filters.q = q or None
    return filters


def filter_conditions(filters: TaskFilters, today: date, warning_days: int = 7) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions on Task."""
    conditions: list[ColumnElement[bool]] = []
    is_open = Task.state.in_(OPEN_STATES)
    if filters.state is not None:
        conditions.append(Task.state == filters.state)
    if filters.open:
        conditions.append(is_open)
    if filters.plan_id is not None:
        conditions.append(Task.plan_id == filters.plan_id)
    if filters.unit_id is not None:
        conditions.append(Task.unit_id == filters.unit_id)
    if filters.light is not None:
        conditions.append(light_expression(today, warning_days) == filters.light)
    if filters.progress is not None:
        conditions.append(progress_expression(today) == filters.progress)
    if filters.overdue:
        conditions.append(Task.overdue_condition(today))
    if filters.due_within is not None:
        conditions.append(sa.and_(is_open, Task.due_on >= today,
                                  Task.due_on <= today + timedelta(days=filters.due_within)))
    if filters.key:
        conditions.append(Task.is_key.is_(True))
    if filters.unacknowledged:
        conditions.append(Task.unacknowledged_condition())
    if filters.q:
        conditions.append(Task.measure_id.in_(
            sa.select(Measure.id).where(Measure.text.contains(filters.q, autoescape=True)).scalar_subquery()))
    return conditions
