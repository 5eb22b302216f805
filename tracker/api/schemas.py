"""JSON schemas of the API (one source for the OpenAPI document and for input checks), and serializers.

Input is checked against the same schema the document publishes, so a client that follows the
document is never refused for shape, and a malformed body gets a 422 naming the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from tracker import timeutil
from tracker.api.errors import Invalid
from tracker.auth.models import Role, User
from tracker.notices.models import NoticeItem, SupervisionNotice
from tracker.plans.models import Measure, Plan, PlanState
from tracker.tasks import lights
from tracker.tasks.models import (
    AckVia,
    Evidence,
    ExtensionRequest,
    ExtensionState,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskState,
    UnitRole,
)
from tracker.units.models import Unit, UnitKind

MAX_ID = 2**31 - 1
TRANSITIONS = ["start", "submit", "approve", "return", "cancel"]


def _values(enum_cls: Any) -> list[str]:
    return [member.value for member in enum_cls]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
TEXT = {"type": "string"}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    schema["required"] = list(properties) if required is None else required
    schema.update(extra)
    return schema


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj({"error": _obj({"code": TEXT, "message": TEXT})}),
    "Unit": _obj({
        "id": ID, "name": TEXT, "code": TEXT, "kind": {"type": "string", "enum": _values(UnitKind)},
        "parent_id": _nullable(ID), "is_active": {"type": "boolean"},
        "aliases": {"type": "array", "items": TEXT, "description": "other names plans use for the unit"},
    }),
    "UnitList": _obj({"items": {"type": "array", "items": ref("Unit")}}),
    "Me": _obj({
        "id": ID, "name": TEXT, "email": TEXT, "role": {"type": "string", "enum": _values(Role)},
        "unit_id": _nullable(ID), "locale": _nullable(TEXT),
    }),
    "Plan": _obj({
        "id": ID, "title": TEXT, "issuer": _nullable(TEXT), "doc_number": _nullable(TEXT),
        "issued_on": _nullable(DATE), "state": {"type": "string", "enum": _values(PlanState)},
        "supervisor_id": _nullable(ID), "created_at": DATETIME,
    }),
    "OutlineItem": _obj({
        "id": ID, "number": TEXT, "text": TEXT, "level": {"type": "integer"},
        "kind": {"type": "string", "enum": ["measure", "heading"]},
        "suggestions": {"type": "object"},
        "children": {"type": "array", "items": ref("OutlineItem")},
    }),
    "PlanDetail": {"allOf": [ref("Plan"), _obj({"items": {"type": "array", "items": ref("OutlineItem")}})]},
    "PlanPage": _obj({
        "items": {"type": "array", "items": ref("Plan")}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"},
    }),
    "PlanCreate": _obj({
        "title": {"type": "string", "maxLength": 200},
        "text": {"type": "string", "minLength": 1},
        "activate": {"type": "boolean"},
    }, required=["text"]),
    "PlanUpload": _obj({
        "file": {"type": "string", "format": "binary"},
        "title": {"type": "string", "maxLength": 200},
        "activate": {"type": "boolean"},
    }, required=["file"]),
    "PlanCreated": _obj({"plans": {"type": "array", "items": ref("PlanDetail")}}),
    "Task": _obj({
        "id": ID, "plan_id": ID, "measure_id": ID, "unit_id": ID, "unit_name": TEXT,
        "measure_number": TEXT, "measure_text": TEXT,
        "role": {"type": "string", "enum": _values(UnitRole)},
        "owner_id": _nullable(ID), "state": {"type": "string", "enum": _values(TaskState)},
        "light": {"type": "string", "enum": list(lights.LIGHTS)},
        "due_on": DATE, "original_due_on": DATE, "assigned_on": DATE,
        "reporting_period": {"type": "string", "enum": _values(ReportingPeriod)},
        "is_key": {"type": "boolean"}, "evidence_required": {"type": "boolean"},
        "progress_percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "return_count": {"type": "integer"},
        "last_progress_text": _nullable(TEXT), "last_progress_at": _nullable(DATETIME),
        "submitted_at": _nullable(DATETIME), "completed_at": _nullable(DATETIME),
        "acknowledged_at": _nullable(DATETIME),
        "acknowledged_via": _nullable({"type": "string", "enum": _values(AckVia)}),
        "version": {"type": "integer"},
    }),
    "TaskPage": _obj({
        "items": {"type": "array", "items": ref("Task")}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"},
    }),
    "TaskList": _obj({"tasks": {"type": "array", "items": ref("Task")}}),
    "AssignmentCreate": _obj({
        "measure_ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": 500},
        "unit_ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": 500},
        "role": {"type": "string", "enum": _values(UnitRole)},
        "owner_id": _nullable(ID),
        "due_on": DATE,
        "reporting_period": {"type": "string", "enum": _values(ReportingPeriod)},
        "is_key": {"type": "boolean"},
        "evidence_required": {"type": "boolean"},
    }, required=["measure_ids", "unit_ids", "due_on"]),
    "AssignmentEntry": _obj({
        "measure_id": ID, "unit_id": ID,
        "role": {"type": "string", "enum": _values(UnitRole)},
        "due_on": DATE,
        "reporting_period": {"type": "string", "enum": _values(ReportingPeriod)},
    }, required=["measure_id", "unit_id", "due_on"]),
    "AssignmentPlanCreate": _obj({
        "entries": {"type": "array", "items": ref("AssignmentEntry"), "minItems": 1, "maxItems": 5000},
        "is_key": {"type": "boolean"},
        "evidence_required": {"type": "boolean"},
    }, required=["entries"]),
    "TransitionCreate": _obj({
        "action": {"type": "string", "enum": TRANSITIONS},
        "note": {"type": "string", "maxLength": 2000},
        "version": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                    "description": "the task version the caller saw; a later change answers 409"},
    }, required=["action"]),
    "ProgressReport": _obj({
        "id": ID, "task_id": ID, "author_id": _nullable(ID), "text": TEXT,
        "percent": _nullable({"type": "integer"}), "period_key": _nullable(TEXT), "created_at": DATETIME,
    }),
    "ProgressList": _obj({"items": {"type": "array", "items": ref("ProgressReport")}}),
    "ProgressCreate": _obj({
        "text": {"type": "string", "minLength": 1, "maxLength": 5000},
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "period_key": _nullable({"type": "string", "maxLength": 16}),
        "proves": _nullable({"type": "string", "maxLength": 50}),
    }, required=["text", "percent"]),
    "Evidence": _obj({
        "id": ID, "task_id": ID, "report_id": _nullable(ID), "uploader_id": _nullable(ID),
        "original_name": TEXT, "content_type": TEXT, "size": {"type": "integer"}, "sha256": TEXT,
        "period_key": _nullable(TEXT), "proves": _nullable(TEXT), "note": _nullable(TEXT), "created_at": DATETIME,
        "download_url": TEXT,
    }),
    "EvidenceList": _obj({"items": {"type": "array", "items": ref("Evidence")}}),
    "EvidenceUpload": _obj({
        "file": {"type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1},
        "note": {"type": "string", "maxLength": 2000},
        "period_key": {"type": "string", "maxLength": 16},
        "proves": {"type": "string", "maxLength": 50},
    }, required=["file"]),
    "Extension": _obj({
        "id": ID, "task_id": ID, "requested_by_id": _nullable(ID), "reason": TEXT,
        "old_due_on": DATE, "new_due_on": DATE, "state": {"type": "string", "enum": _values(ExtensionState)},
        "decided_by_id": _nullable(ID), "decided_at": _nullable(DATETIME), "decision_note": _nullable(TEXT),
        "created_at": DATETIME,
    }),
    "ExtensionList": _obj({"items": {"type": "array", "items": ref("Extension")}}),
    "ExtensionCreate": _obj({
        "new_due_on": DATE, "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
    }),
    "ExtensionDecision": _obj({
        "approve": {"type": "boolean"}, "note": {"type": "string", "maxLength": 2000},
    }, required=["approve"]),
    "Notice": _obj({
        "id": ID, "kind": {"type": "string", "enum": ["supervision", "chase"]}, "number_label": TEXT,
        "unit_id": ID, "unit_name": TEXT, "period_key": TEXT, "year": {"type": "integer"},
        "serial": {"type": "integer"}, "issued_on": DATE, "reply_by": DATE, "requirements": TEXT,
        "issuer_name": TEXT, "created_at": DATETIME,
    }),
    "NoticeItem": _obj({
        "task_id": ID, "position": {"type": "integer"}, "snapshot": {"type": "object"},
        "answered_at": _nullable(DATETIME),
    }),
    "NoticeDetail": {"allOf": [ref("Notice"), _obj({"items": {"type": "array", "items": ref("NoticeItem")}})]},
    "NoticePage": _obj({
        "items": {"type": "array", "items": ref("Notice")}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"},
    }),
}


# ---------------------------------------------------------------------------
# input checks against the schemas above


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _clean_text(value: str, where: str) -> None:
    if "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise Invalid(_("字段 %(field)s 含有不允许的字符。", field=where))


def check(value: Any, schema: dict[str, Any], where: str = "body") -> Any:
    """Check ``value`` against a schema of the subset used here; raise Invalid naming the field."""
    schema = _resolve(schema)
    if value is None:
        if schema.get("nullable"):
            return None
        raise Invalid(_("字段 %(field)s 不能为空。", field=where))
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise Invalid(_("字段 %(field)s 应为对象。", field=where))
        for name in schema.get("required", []):
            if name not in value:
                raise Invalid(_("缺少字段 %(field)s。", field=name))
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, name)
    elif kind == "array":
        if not isinstance(value, list):
            raise Invalid(_("字段 %(field)s 应为数组。", field=where))
        if len(value) < schema.get("minItems", 0):
            raise Invalid(_("字段 %(field)s 不能为空。", field=where))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise Invalid(_("字段 %(field)s 的元素过多。", field=where))
        for element in value:
            check(element, schema.get("items", {}), where)
    elif kind == "string":
        if not isinstance(value, str):
            raise Invalid(_("字段 %(field)s 应为字符串。", field=where))
        _clean_text(value, where)
        if len(value) < schema.get("minLength", 0) or (value.strip() == "" and schema.get("minLength")):
            raise Invalid(_("字段 %(field)s 不能为空。", field=where))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise Invalid(_("字段 %(field)s 过长（最多 %(n)d 个字符）。", field=where, n=schema["maxLength"]))
        if schema.get("format") == "date":
            parse_date(value, where)
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(_("字段 %(field)s 应为整数。", field=where))
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            raise Invalid(_("字段 %(field)s 超出范围。", field=where))
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise Invalid(_("字段 %(field)s 应为 true 或 false。", field=where))
    if "enum" in schema and value not in schema["enum"]:
        raise Invalid(_("字段 %(field)s 的取值无效。", field=where))
    return value


def parse_date(value: str, where: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("字段 %(field)s 应为日期（YYYY-MM-DD）。", field=where)) from None


# ---------------------------------------------------------------------------
# serializers: one shape per resource, matching SCHEMAS


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _d(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def me_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role.value,
            "unit_id": user.unit_id, "locale": user.locale}


def unit_json(unit: Unit) -> dict[str, Any]:
    return {"id": unit.id, "name": unit.name, "code": unit.code, "kind": unit.kind.value,
            "parent_id": unit.parent_id, "is_active": unit.is_active, "aliases": list(unit.aliases or [])}


def plan_json(plan: Plan) -> dict[str, Any]:
    return {"id": plan.id, "title": plan.title, "issuer": plan.issuer, "doc_number": plan.doc_number,
            "issued_on": _d(plan.issued_on), "state": plan.state.value, "supervisor_id": plan.supervisor_id,
            "created_at": _dt(plan.created_at)}


def outline_json(measures: list[Measure]) -> list[dict[str, Any]]:
    """The saved measures as a tree, in document order."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for m in measures:
        node = {"id": m.id, "number": m.number, "text": m.text, "level": m.level, "kind": m.kind.value,
                "suggestions": m.suggestions or {}, "children": []}
        nodes[m.id] = node
        parent = nodes.get(m.parent_id) if m.parent_id else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def plan_detail_json(plan: Plan) -> dict[str, Any]:
    return {**plan_json(plan), "items": outline_json(list(plan.measures))}


def task_json(task: Task, today: date) -> dict[str, Any]:
    measure = task.measure
    return {
        "id": task.id, "plan_id": task.plan_id, "measure_id": task.measure_id, "unit_id": task.unit_id,
        "unit_name": task.unit.name if task.unit else "", "measure_number": measure.number if measure else "",
        "measure_text": measure.text if measure else "", "role": task.role.value, "owner_id": task.owner_id,
        "state": task.state.value, "light": lights.light_for(task, today),
        "due_on": _d(task.due_on), "original_due_on": _d(task.original_due_on), "assigned_on": _d(task.assigned_on),
        "reporting_period": task.reporting_period.value, "is_key": task.is_key,
        "evidence_required": task.evidence_required, "progress_percent": task.progress_percent,
        "return_count": task.return_count, "last_progress_text": task.last_progress_text,
        "last_progress_at": _dt(task.last_progress_at), "submitted_at": _dt(task.submitted_at),
        "completed_at": _dt(task.completed_at), "acknowledged_at": _dt(task.acknowledged_at),
        "acknowledged_via": task.acknowledged_via.value if task.acknowledged_via else None, "version": task.version,
    }


def today_for(now: datetime) -> date:
    return timeutil.local_today(now)


def report_json(report: ProgressReport) -> dict[str, Any]:
    return {"id": report.id, "task_id": report.task_id, "author_id": report.author_id, "text": report.text,
            "percent": report.percent, "period_key": report.period_key, "created_at": _dt(report.created_at)}


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.id, "task_id": evidence.task_id, "report_id": evidence.report_id,
        "uploader_id": evidence.uploader_id, "original_name": evidence.original_name,
        "content_type": evidence.content_type, "size": evidence.size, "sha256": evidence.sha256,
        "period_key": evidence.period_key, "proves": evidence.proves, "note": evidence.note,
        "created_at": _dt(evidence.created_at),
        "download_url": url_for("api.evidence_file", task_id=evidence.task_id, evidence_id=evidence.id),
    }


def extension_json(ext: ExtensionRequest) -> dict[str, Any]:
    return {"id": ext.id, "task_id": ext.task_id, "requested_by_id": ext.requested_by_id, "reason": ext.reason,
            "old_due_on": _d(ext.old_due_on), "new_due_on": _d(ext.new_due_on), "state": ext.state.value,
            "decided_by_id": ext.decided_by_id, "decided_at": _dt(ext.decided_at),
            "decision_note": ext.decision_note, "created_at": _dt(ext.created_at)}


def notice_json(notice: SupervisionNotice) -> dict[str, Any]:
    return {"id": notice.id, "kind": notice.kind.value, "number_label": notice.number_label,
            "unit_id": notice.unit_id, "unit_name": notice.unit.name if notice.unit else "",
            "period_key": notice.period_key, "year": notice.year, "serial": notice.serial,
            "issued_on": _d(notice.issued_on), "reply_by": _d(notice.reply_by),
            "requirements": notice.requirements or "", "issuer_name": notice.issuer_name or "",
            "created_at": _dt(notice.created_at)}


def notice_item_json(item: NoticeItem) -> dict[str, Any]:
    return {"task_id": item.task_id, "position": item.position, "snapshot": item.snapshot or {},
            "answered_at": _dt(item.answered_at)}


def notice_detail_json(notice: SupervisionNotice) -> dict[str, Any]:
    return {**notice_json(notice), "items": [notice_item_json(item) for item in notice.items]}
