"""The OpenAPI 3.0 document, built from a declarative list of the /api/v1 operations.

The list below is the contract: a test checks that its paths and methods are exactly the
blueprint's routes, and Schemathesis checks the app against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tracker.api import schemas
from tracker.api.schemas import DATE, ID, ref
from tracker.plans.models import PlanState
from tracker.tasks.models import TaskState

PREFIX = "/api/v1"
JSON = "application/json"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PAGE = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
]


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    response: str | None = None
    status: int = 200
    query: list[dict[str, Any]] = field(default_factory=list)
    body: str | None = None
    upload: str | None = None
    #: media type of a file response instead of JSON
    media: str | None = None
    description: str = ""

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


def _q(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    out = {"name": name, "in": "query", "schema": schema}
    if description:
        out["description"] = description
    return out


OPERATIONS: list[Operation] = [
    Operation("get", "/plans", "listPlans", "可见的工作计划", "plans", "PlanPage",
              query=[_q("state", {"type": "string", "enum": [s.value for s in PlanState]}), *PAGE]),
    Operation("post", "/plans", "importPlan", "导入计划文字或文件，解析并保存（草稿或启用）", "plans",
              "PlanCreated", status=201, body="PlanCreate", upload="PlanUpload",
              description="JSON {title, text, activate} or multipart with a file part."),
    Operation("get", "/plans/{plan_id}", "getPlan", "计划及其条目提纲", "plans", "PlanDetail"),
    Operation("post", "/plans/{plan_id}/assignments", "assignMeasures", "把措施分解交办给单位", "tasks",
              "TaskList", status=201, body="AssignmentCreate"),
    Operation("post", "/plans/{plan_id}/assignment-plans", "assignAsPlanned",
              "按计划逐项交办（每项各自的单位、承担方式、时限和反馈周期）", "tasks", "TaskList", status=201,
              body="AssignmentPlanCreate",
              description="One entry per (measure, unit), all created in one transaction; an existing pair is "
                          "updated, never duplicated."),
    Operation("get", "/tasks", "listTasks", "可见的任务（分页）", "tasks", "TaskPage", query=[
        _q("unit_id", ID), _q("plan_id", ID),
        _q("state", {"type": "string", "enum": [s.value for s in TaskState]}),
        _q("overdue", {"type": "boolean"}, "open and past the deadline in force"),
        _q("due_before", DATE, "deadline on or before this date"), *PAGE]),
    Operation("get", "/tasks/{task_id}", "getTask", "任务详情", "tasks", "Task"),
    Operation("post", "/tasks/{task_id}/transitions", "transitionTask", "开始、报送、办结、退回或撤销任务",
              "tasks", "Task", body="TransitionCreate"),
    Operation("post", "/tasks/{task_id}/acknowledgement", "acknowledgeTask", "签收任务（责任单位确认收到）",
              "tasks", "Task"),
    Operation("get", "/tasks/{task_id}/progress", "listProgress", "任务的进展反馈", "progress", "ProgressList"),
    Operation("post", "/tasks/{task_id}/progress", "reportProgress", "报送进展", "progress", "ProgressReport",
              status=201, body="ProgressCreate"),
    Operation("get", "/tasks/{task_id}/evidence", "listEvidence", "任务的佐证材料", "evidence", "EvidenceList"),
    Operation("post", "/tasks/{task_id}/evidence", "uploadEvidence", "上传佐证材料（一个或多个文件）", "evidence",
              "EvidenceList", status=201, upload="EvidenceUpload"),
    Operation("get", "/tasks/{task_id}/evidence/{evidence_id}", "downloadEvidence", "下载佐证材料文件", "evidence",
              media="*/*"),
    Operation("get", "/tasks/{task_id}/extensions", "listExtensions", "任务的延期申请", "extensions", "ExtensionList"),
    Operation("post", "/tasks/{task_id}/extensions", "requestExtension", "申请延期", "extensions", "Extension",
              status=201, body="ExtensionCreate"),
    Operation("post", "/tasks/{task_id}/extensions/{extension_id}/decision", "decideExtension", "批准或驳回延期申请",
              "extensions", "Extension", body="ExtensionDecision"),
    Operation("get", "/me", "getMe", "令牌所属的用户（核对令牌）", "account", "Me"),
    Operation("get", "/units", "listUnits", "单位树（按树序）", "units", "UnitList"),
    Operation("get", "/notices", "listNotices", "可见的督办单", "notices", "NoticePage",
              query=[_q("unit_id", ID), *PAGE]),
    Operation("get", "/notices/{notice_id}", "getNotice", "督办单详情", "notices", "NoticeDetail"),
    Operation("get", "/notices/{notice_id}.docx", "getNoticeDocx", "督办单 Word 文件", "notices", media=DOCX),
    Operation("get", "/notices/{notice_id}.pdf", "getNoticePdf", "督办单 PDF 文件", "notices", media="application/pdf"),
]

ERROR_RESPONSE = {"description": "error", "content": {JSON: {"schema": ref("Error")}}}


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        out["description"] = op.description
    parameters = [{"name": name, "in": "path", "required": True, "schema": ID} for name in op.path_params]
    parameters += op.query
    if parameters:
        out["parameters"] = parameters
    content: dict[str, Any] = {}
    if op.body:
        content[JSON] = {"schema": ref(op.body)}
    if op.upload:
        content["multipart/form-data"] = {"schema": ref(op.upload)}
    if content:
        out["requestBody"] = {"required": True, "content": content}
    if op.media:
        ok = {"description": "file", "content": {op.media: {"schema": {"type": "string", "format": "binary"}}}}
    else:
        ok = {"description": "OK", "content": {JSON: {"schema": ref(op.response or "Error")}}}
    out["responses"] = {str(op.status): ok, "default": ERROR_RESPONSE}
    return out


def document() -> dict[str, Any]:
    """The whole OpenAPI document as a dict (served as /api/openapi.json)."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(PREFIX + op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Duban API",
            "version": "1.0.0",
            "description": "督办 integration API. Authenticate with a personal token from /account/tokens: "
                           "`Authorization: Bearer <token>`. A token has exactly its user's rights.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }


def flask_path(path: str) -> str:
    """/tasks/{task_id} → /tasks/<int:task_id>: how the blueprint spells the same route."""
    return re.sub(r"\{(\w+)\}", r"<int:\1>", path)
