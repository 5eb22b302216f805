"""The words for a task's state, light and role: one vocabulary for pages, exports, emails and notices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker import periods
from tracker.tasks.models import ReportingPeriod, TaskState, UnitRole

STATE_LABELS = {
    TaskState.assigned: _l("待办理"), TaskState.in_progress: _l("办理中"), TaskState.submitted: _l("待审核"),
    TaskState.completed: _l("已办结"), TaskState.returned: _l("已退回"), TaskState.cancelled: _l("已撤销"),
}
#: the colour, as a ledger or a 督办单 names it
LIGHT_LABELS = {"red": _l("红灯"), "yellow": _l("黄灯"), "green": _l("绿灯"), "none": _l("—")}
#: what the colour means, as a task list says it beside the light
LIGHT_MEANINGS = {"red": _l("已逾期"), "yellow": _l("临期或滞后"), "green": _l("正常"), "none": _l("不适用")}
ROLE_LABELS = {UnitRole.lead: _l("牵头"), UnitRole.support: _l("配合")}
#: how often a task reports (反馈周期), in the order forms list them (tracker.periods)
PERIOD_LABELS = {
    ReportingPeriod.once: _l("一次性"), ReportingPeriod.weekly: _l("每周"), ReportingPeriod.monthly: _l("每月"),
    ReportingPeriod.quarterly: _l("每季度"), ReportingPeriod.half_yearly: _l("每半年"),
    ReportingPeriod.yearly: _l("每年"),
}
#: the rhythms a plan's text may state (the parser's ``period`` codes): the period each means,
#: and 每日, which no task reports on
SUGGESTED_PERIOD_LABELS = {
    code: (PERIOD_LABELS[ReportingPeriod(value)] if value else _l("每日"))
    for code, value in periods.SUGGESTED.items()
}


def state_label(state: TaskState | str) -> str:
    return str(STATE_LABELS[TaskState(state)])


def light_label(light: str) -> str:
    return str(LIGHT_LABELS.get(light, light))


def role_label(role: UnitRole) -> str:
    return str(ROLE_LABELS[role])


def period_label(period: ReportingPeriod | str) -> str:
    return str(PERIOD_LABELS[ReportingPeriod(getattr(period, "value", period))])


def translated(labels: dict) -> dict:
    """The labels in the current language, keyed by value, once per page (templates look them up per row)."""
    return {getattr(key, "value", key): str(value) for key, value in labels.items()}
