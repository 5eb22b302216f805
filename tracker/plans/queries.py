"""Reading plans: previews of a source, counts for the list, the saved outline for the editor.

Nothing here writes. The parser (``tracker.plans.parse_text`` / ``parse_document``) is pure;
``preview`` adds the size limits and turns its refusals into messages in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker import access
from tracker.extensions import db
from tracker.plans import parse_document, parse_text
from tracker.plans.errors import PlanInputError
from tracker.plans.models import Measure, MeasureKind, Plan, PlanState
from tracker.plans.outline import Item, Outline
from tracker.plans.readers import read_document
from tracker.plans.storage import UploadTooLarge, max_upload_bytes, max_upload_mb
from tracker.plans.validation import (
    BODY_KEY,
    DOUBT_BELOW,
    DOUBT_KEYS,
    MAX_TITLE,
    SUGGESTION_LIST_KEYS,
    SUGGESTION_TEXT_KEYS,
    PlanError,
)
from tracker.tasks.models import Task, TaskState
from tracker.units.models import Unit


class PlanSourceError(PlanError):
    """The parser refused the source (its PlanInputError, in the user's language); ``reason`` is
    the parser's code. Too large or a zip bomb: 413."""

    def __init__(self, exc: PlanInputError) -> None:
        self.reason = getattr(exc, "code", "")
        too_large = self.reason in ("too_large", "zip_bomb")
        super().__init__(error_message(exc), status=413 if too_large else 422,
                         code="payload_too_large" if too_large else "validation_error")

# ---------------------------------------------------------------------------
# the parser's refusals


def error_message(exc: PlanInputError) -> str:
    """The parser's refusal in the user's language (the parser itself has no catalogue)."""
    params = dict(getattr(exc, "params", {}) or {})
    code = getattr(exc, "code", "")
    messages = {
        "empty": _("文件为空，没有可导入的内容。"),
        "binary": _("这不是文本或 Word/Excel 文件，无法导入。"),
        "unknown_encoding": _(
            "无法识别文件的文字编码（支持 UTF-8、GB18030/GBK、Big5、UTF-16），请另存为 UTF-8 后重试。"),
        "corrupt_docx": _("Word 文件已损坏或不是有效的 .docx 文件。"),
        "corrupt_xlsx": _("Excel 文件已损坏或不是有效的 .xlsx 文件。"),
        "zip_bomb": _("文件解压后过大，已拒绝导入。"),
        "too_large": _("文件过大（上限 %(limit)s MB）。", limit=params.get("limit_mb", max_upload_mb())),
        "unsupported_type": _("不支持的文件类型：%(ext)s。支持 .txt、.md、.csv、.docx、.xlsx。",
                              ext=params.get("ext", "?")),
        "no_items": _("没有找到带编号的条目（如 一、 1、 （1）），请检查内容。"),
        "no_table": _("表格中没有找到“工作任务/具体措施”一列。"),
        "table_empty": _("表格只有表头，没有任务行。"),
        "corrupt_csv": _("CSV 文件格式有误，无法读取。"),
        "legacy_office": _("这是旧版 Word/Excel 文件（.doc/.xls）或加密文件，请另存为 .docx/.xlsx 后重试。"),
    }
    return messages.get(code) or str(exc) or _("无法导入该文件。")


# ---------------------------------------------------------------------------
# preview


def preview(data: bytes | None, filename: str | None, text: str | None) -> Outline:
    """Parse an upload (preferred when given) or pasted text; raises a PlanError (PlanSourceError
    when the parser refuses the source)."""
    try:
        if data is not None and filename:
            if len(data) > max_upload_bytes():
                raise UploadTooLarge(_("文件过大（上限 %(limit)s MB）。", limit=max_upload_mb()))
            return parse_document(data, filename, max_bytes=max_upload_bytes())
        if text is not None and text.strip():
            if len(text.encode("utf-8")) > max_upload_bytes():
                raise UploadTooLarge(_("文字过长（上限 %(limit)s MB）。", limit=max_upload_mb()))
            return parse_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    except PlanInputError as exc:
        raise PlanSourceError(exc) from exc
    raise PlanError(_("请粘贴计划文字，或选择要上传的文件。"), status=400, code="bad_request")


def source_lines(data: bytes | None, filename: str | None, text: str | None) -> list[str]:
    """The lines that the outline's start_line/end_line point into, for the side-by-side view."""
    if data is not None and filename:
        blocks = read_document(data, filename, max_bytes=max(max_upload_bytes(), len(data)))
        return [block.text for block in blocks]
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _item_to_dict(item: Item, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": item.number,
        "text": item.text,
        "level": depth,
        "kind": "measure",
        "inline": bool(item.inline),
        "start_line": item.start_line,
        "end_line": item.end_line,
    }
    for key in SUGGESTION_LIST_KEYS:
        value = getattr(item, key, None)
        if value:
            out[key] = list(value)
    if item.deadline is not None:
        out["deadline"] = item.deadline.isoformat()
    for key in SUGGESTION_TEXT_KEYS:
        value = getattr(item, key, None)
        if value:
            out[key] = value
    body = getattr(item, "body", "")
    if body:
        out[BODY_KEY] = body
    confidence = getattr(item, "confidence", 1.0)
    if isinstance(confidence, int | float) and not isinstance(confidence, bool) and 0 <= confidence < 1:
        out["confidence"] = round(float(confidence), 3)
    doubtful = [key for key in DOUBT_KEYS if key in set(getattr(item, "doubtful", None) or [])]
    if doubtful:
        out["doubtful"] = doubtful
    out["children"] = [_item_to_dict(child, depth + 1) for child in item.children]
    return out


def outline_to_edit(outline: Outline) -> dict[str, Any]:
    """The outline as the editor's JSON: levels follow the tree depth, every item a measure."""
    plans = []
    for plan in outline.plans:
        plans.append({
            "title": (plan.title or "").strip()[:MAX_TITLE] or _("未命名计划"),
            "issuer": plan.issuer or "",
            "doc_number": plan.doc_number or "",
            "date": plan.date.isoformat() if plan.date else "",
            "items": [_item_to_dict(item, 1) for item in plan.items],
        })
    return {"plans": plans}


def doubts(suggestions: Any) -> set[str]:
    """What the parser doubts of an item (its saved suggestions or the editor's item): the keys it
    marked, and "item" when its confidence is low."""
    if not isinstance(suggestions, dict):
        return set()
    found = {d for d in suggestions.get("doubtful") or [] if d in DOUBT_KEYS} \
        if isinstance(suggestions.get("doubtful"), list) else set()
    confidence = suggestions.get("confidence")
    if isinstance(confidence, int | float) and not isinstance(confidence, bool) and confidence < DOUBT_BELOW:
        found.add("item")
    return found


# ---------------------------------------------------------------------------
# saved plans


def state_counts(user: Any) -> dict[PlanState, int]:
    visible = access.visible_plans(user).subquery()
    rows = db.session.execute(sa.select(visible.c.state, sa.func.count()).group_by(visible.c.state)).all()
    counts = {state: 0 for state in PlanState}
    for state, n in rows:
        counts[PlanState(state) if not isinstance(state, PlanState) else state] = n
    return counts


def measure_counts(plans: list[Plan]) -> dict[int, int]:
    """Measures per plan for a page of the list, in one query."""
    ids = [p.id for p in plans]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Measure.plan_id, sa.func.count()).where(Measure.plan_id.in_(ids),
                                                          Measure.kind == MeasureKind.measure)
        .group_by(Measure.plan_id)
    ).all()
    return {plan_id: n for plan_id, n in rows}


def measures_with_tasks(plan: Plan) -> set[int]:
    return set(db.session.scalars(sa.select(Task.measure_id).where(Task.plan_id == plan.id).distinct()))


def measure_tree(plan: Plan) -> list[dict[str, Any]]:
    """The saved measures as the editor's nested JSON, with ids so edits keep their tasks."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for m in plan.measures:
        node = {"id": m.id, "number": m.number, "text": m.text, "level": m.level, "kind": m.kind.value,
                "inline": m.is_inline, "start_line": m.source_start_line, "end_line": m.source_end_line,
                "children": [], **(m.suggestions or {})}
        nodes[m.id] = node
        parent = nodes.get(m.parent_id) if m.parent_id else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots


@dataclass
class MeasureProgress:
    """A measure's roll-up on the plan page: x/N 办结, and the tasks not yet completed."""

    done: int = 0
    total: int = 0
    #: (task id, unit name, state) of each task not completed, in unit order
    open: list[tuple[int, str, Any]] = field(default_factory=list)


def measure_progress(plan: Plan, user: Any) -> dict[int, MeasureProgress]:
    """Each measure's completed and total tasks (cancelled ones not counted) among those ``user``
    sees, with the units still open: one query."""
    rows = db.session.execute(
        sa.select(Task.measure_id, Task.id, Task.state, Unit.name)
        .join(Unit, Unit.id == Task.unit_id)
        .where(Task.plan_id == plan.id, Task.state != TaskState.cancelled, access.task_condition(user))
        .order_by(Task.measure_id, Unit.sort_order, Unit.id))
    found: dict[int, MeasureProgress] = {}
    for measure_id, task_id, state, unit_name in rows:
        progress = found.setdefault(measure_id, MeasureProgress())
        progress.total += 1
        if state is TaskState.completed:
            progress.done += 1
        else:
            progress.open.append((task_id, unit_name, state))
    return found
