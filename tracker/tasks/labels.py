"""The one vocabulary: every code that reaches a page or a file (states, lights and why a light is
yellow, roles, reporting periods and period keys, outbox kinds, audit actions) and its words, in
Chinese and, through the catalog, in English. Pages, exports, emails and notices all read it here."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker import periods
from tracker.auth.models import Role
from tracker.tasks.models import ReportingPeriod, TaskState, UnitRole

STATE_LABELS = {
    TaskState.assigned: _l("待办理"), TaskState.in_progress: _l("办理中"), TaskState.submitted: _l("待审核"),
    TaskState.completed: _l("已办结"), TaskState.returned: _l("已退回"), TaskState.cancelled: _l("已撤销"),
}
#: the colour, as a ledger or a 督办单 names it
LIGHT_LABELS = {"red": _l("红灯"), "yellow": _l("黄灯"), "green": _l("绿灯"), "none": _l("—")}
#: what the colour means, as a task list says it beside the light
LIGHT_MEANINGS = {"red": _l("已逾期"), "yellow": _l("临期或滞后"), "green": _l("正常"), "none": _l("不适用")}
#: what a light says once the yellow is split by its cause (``tracker.tasks.lights.signal``)
SIGNAL_LABELS = {"red": _l("已逾期"), "due_soon": _l("临期"), "behind": _l("滞后"), "green": _l("正常"),
                 "none": _l("不适用")}
#: the longer sentence a legend gives for each signal
SIGNAL_EXPLANATIONS = {
    "red": _l("已过完成时限仍未办结"), "due_soon": _l("距完成时限不足预警天数"),
    "behind": _l("报告的完成进度落后于时间进度"), "green": _l("按进度办理或已办结"), "none": _l("已撤销"),
}
#: what a person may do in the app (``User.role``), as the header and the user pages name it
USER_ROLE_LABELS = {
    Role.admin: _l("系统管理员"), Role.supervisor: _l("督办人"), Role.unit_lead: _l("责任单位负责人"),
    Role.unit_member: _l("责任单位成员"), Role.viewer: _l("领导（只读）"),
}
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


def signal_label(signal: str) -> str:
    return str(SIGNAL_LABELS.get(signal, signal))


def period_key_label(key: str | None) -> str:
    """A period key in words: "2026-H1" → 2026年上半年 (English: H1 2026); other text as it is."""
    text = key or ""
    kind = periods.key_kind(text)
    if kind is None:
        return text
    year = int(text[:4])
    if kind == "half_yearly":
        return _("%(year)d年上半年", year=year) if text.endswith("H1") else _("%(year)d年下半年", year=year)
    if kind == "quarterly":
        return _("%(year)d年第%(n)d季度", year=year, n=int(text[-1]))
    if kind == "monthly":
        return _("%(year)d年%(n)d月", year=year, n=int(text[5:]))
    if kind == "weekly":
        return _("%(year)d年第%(n)d周", year=year, n=int(text[6:]))
    return _("%(year)d年", year=year)


#: what each outbox message is about (``OutboxEmail.kind``), as the outbox filter and lists name it
OUTBOX_KIND_LABELS = {
    "task_assigned": _l("交办通知"), "task_submitted": _l("提交审核"), "task_approved": _l("办结通知"),
    "task_returned": _l("退回通知"), "task_cancelled": _l("撤销通知"), "task_deadline_changed": _l("时限调整"),
    "task_extension_requested": _l("延期申请"), "task_extension_decided": _l("延期审核结果"),
    "task_due": _l("到期提醒"), "task_overdue": _l("逾期提醒"), "task_escalation": _l("逾期升级提醒"),
    "task_report": _l("定期报送提醒"), "notice_supervision": _l("督办单"),
    # a 催办单 issued and a reminder that a 督办单's answer is late share the kind: both chase
    "notice_chase": _l("催办"), "audit": _l("审计提醒"),
    "task_unacknowledged": _l("签收提醒"), "task_refused": _l("退回交办"), "task_refusal_decided": _l("退回交办结果"),
    "digest": _l("每日汇总"),
}


def outbox_kind_label(kind: str) -> str:
    return str(OUTBOX_KIND_LABELS.get(kind, kind))


#: the audit actions a person reads on the audit page and in its export
AUDIT_ACTION_LABELS = {
    "task.assigned": _l("交办"), "task.started": _l("开始办理"), "task.submitted": _l("提交审核"),
    "task.approved": _l("办结"), "task.returned": _l("退回"), "task.cancelled": _l("撤销"),
    "task.reopened": _l("重新交办"), "task.progress": _l("报送进展"), "task.evidence_added": _l("上传材料"),
    "task.evidence_deleted": _l("删除材料"), "task.deadline_changed": _l("调整时限"),
    "task.owner_changed": _l("更换责任人"), "task.flags_changed": _l("修改设置"),
    "task.extension_requested": _l("申请延期"), "task.extension_approved": _l("同意延期"),
    "task.extension_refused": _l("不同意延期"),
    "task.acknowledged": _l("签收"), "task.refused": _l("退回交办"), "task.refusal_reassigned": _l("改派其他单位"),
    "task.refusal_insisted": _l("坚持交办"), "task.links_revoked": _l("收回邮件链接"),
    "task.evidence_reused": _l("引用材料"),
}


def audit_action_label(action: str) -> str:
    return str(AUDIT_ACTION_LABELS.get(action, action))


#: the kinds of object an audit entry names
OBJECT_TYPE_LABELS = {
    "task": _l("任务"), "plan": _l("计划"), "unit": _l("单位"), "user": _l("用户"), "supervision_notice": _l("督办单"),
    "api_token": _l("接口令牌"), "evidence": _l("佐证材料"), "extension_request": _l("延期申请"),
}


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(object_type, object_type))
