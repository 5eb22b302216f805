"""Plan actions: preview a source, save the reviewed outline, edit, change state.

The parser (``tracker.plans.parse_text`` / ``parse_document``) is pure; this module
adds what the app needs around it: size limits, user messages in the user's
language, validation of the outline the supervisor edited in the browser, and
saving plans, measures and the source file all or nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker import access, audit, uploads
from tracker.auth.models import User
from tracker.errors import Conflict, TooLarge, UserError
from tracker.extensions import db
from tracker.plans import parse_document, parse_text
from tracker.plans.errors import PlanInputError
from tracker.plans.models import Measure, MeasureKind, Plan, PlanState
from tracker.plans.outline import Item, Outline
from tracker.plans.readers import read_document
from tracker.tasks.models import Task
from tracker.uploads import PendingUploads

MAX_TITLE = 200
MAX_ISSUER = 200
MAX_DOC_NUMBER = 100
MAX_NUMBER = 20
MAX_ITEMS = 2000
MAX_DEPTH = 9
SUGGESTION_LIST_KEYS = ("lead_units", "units", "support_units", "leaders", "quantities")
SUGGESTION_TEXT_KEYS = ("deadline_text", "period")
#: what the parser may doubt: the item itself, or one of its suggestions
DOUBT_KEYS = ("item", "lead_units", "units", "support_units", "leaders", "deadline", "period")
#: an item the parser is less sure of than this is marked for the supervisor to check first
DOUBT_BELOW = 0.7
#: the item's unnumbered body paragraphs, kept with the suggestions (Measure has no column for them)
BODY_KEY = "body"
MAX_BODY = 20000
#: an upload kept between preview and save is dropped after this many seconds

STATE_TRANSITIONS: dict[PlanState, set[PlanState]] = {
    PlanState.draft: {PlanState.active, PlanState.archived},
    PlanState.active: {PlanState.archived, PlanState.draft},
    PlanState.archived: {PlanState.active},
}


class PlanError(UserError):
    """Bad input for a plan action; the message is for the user."""


class OutlineError(PlanError):
    """The edited outline is malformed or inconsistent; ``problems`` lists every finding."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:10]
        more = len(problems) - len(shown)
        text = "\n".join(shown)
        if more > 0:
            text += "\n" + _("……另有 %(n)d 处问题。", n=more)
        super().__init__(text)


class MeasureInUse(PlanError, Conflict):
    """A measure that already has tasks cannot be deleted."""


class UploadTooLarge(PlanError, TooLarge):
    """The upload is over PLAN_MAX_MB; refused before it is read in full."""


class PlanSourceError(PlanError):
    """The parser refused the source (its PlanInputError, in the user's language); ``reason`` is
    the parser's code. Too large or a zip bomb: 413."""

    def __init__(self, exc: PlanInputError) -> None:
        self.reason = getattr(exc, "code", "")
        too_large = self.reason in ("too_large", "zip_bomb")
        super().__init__(error_message(exc), status=413 if too_large else 422,
                         code="payload_too_large" if too_large else "validation_error")


# ---------------------------------------------------------------------------
# messages and limits


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


def max_upload_mb() -> int:
    return int(current_app.config.get("PLAN_MAX_MB") or 20)


def max_upload_bytes() -> int:
    return max_upload_mb() * 1024 * 1024


def read_limited(stream: IO[bytes], limit: int | None = None) -> bytes:
    """Read an upload, stopping one chunk past the limit so a huge file is never held in memory."""
    try:
        return uploads.read_limited(stream, max_upload_bytes() if limit is None else limit)
    except uploads.UploadRefused as exc:
        raise UploadTooLarge(_("文件过大（上限 %(limit)s MB）。", limit=max_upload_mb())) from exc


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


# ---------------------------------------------------------------------------
# validation of the edited outline


@dataclass
class CleanItem:
    number: str
    text: str
    level: int
    kind: MeasureKind
    inline: bool
    suggestions: dict[str, Any]
    start_line: int | None
    end_line: int | None
    measure_id: int | None = None
    children: list[CleanItem] = field(default_factory=list)


@dataclass
class CleanPlan:
    title: str
    issuer: str | None
    doc_number: str | None
    issued_on: date | None
    items: list[CleanItem]

    def walk(self):
        stack = list(reversed(self.items))
        while stack:
            item = stack.pop()
            yield item
            stack.extend(reversed(item.children))


def _opt_text(value: Any, limit: int, label: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(_("%(label)s格式不对。", label=label))
        return None
    value = value.strip()
    if len(value) > limit:
        problems.append(_("%(label)s不能超过 %(n)d 个字符。", label=label, n=limit))
    return value or None


def _opt_line(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _clean_suggestions(raw: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in SUGGESTION_LIST_KEYS:
        value = raw.get(key)
        if value in (None, [], ""):
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(_("%(where)s：建议的单位或数量格式不对。", where=where))
            continue
        cleaned = [v.strip()[:200] for v in value if v.strip()]
        if cleaned:
            out[key] = cleaned
    deadline = raw.get("deadline")
    if deadline not in (None, ""):
        try:
            out["deadline"] = date.fromisoformat(str(deadline)).isoformat()
        except ValueError:
            problems.append(_("%(where)s：时限日期格式不对。", where=where))
    for key in SUGGESTION_TEXT_KEYS:
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()[:200]
    body = raw.get(BODY_KEY)
    if isinstance(body, str) and body.strip():
        out[BODY_KEY] = body.strip()[:MAX_BODY]
    # how sure the parser was: advisory, so a malformed value is dropped rather than refused
    confidence = raw.get("confidence")
    if isinstance(confidence, int | float) and not isinstance(confidence, bool) and 0 <= confidence < 1:
        out["confidence"] = round(float(confidence), 3)
    doubtful = raw.get("doubtful")
    if isinstance(doubtful, list):
        kept = [key for key in DOUBT_KEYS if key in {d for d in doubtful if isinstance(d, str)}]
        if kept:
            out["doubtful"] = kept
    return out


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


def _clean_items(raw_items: Any, parent_level: int, where_plan: str, problems: list[str],
                 counter: list[int], depth: int = 1) -> list[CleanItem]:
    if not isinstance(raw_items, list):
        problems.append(_("%(plan)s：条目列表格式不对。", plan=where_plan))
        return []
    items: list[CleanItem] = []
    for raw in raw_items:
        counter[0] += 1
        where = _("%(plan)s第 %(n)d 条", plan=where_plan, n=counter[0])
        if not isinstance(raw, dict):
            problems.append(_("%(where)s格式不对。", where=where))
            continue
        text = raw.get("text")
        number = raw.get("number") or ""
        level = raw.get("level", parent_level + 1)
        kind = raw.get("kind") or "measure"
        if not isinstance(text, str) or not text.strip():
            problems.append(_("%(where)s的内容不能为空。", where=where))
            text = ""
        if not isinstance(number, str):
            number = str(number) if isinstance(number, int) else ""
        number = number.strip()
        if len(number) > MAX_NUMBER:
            problems.append(_("%(where)s的编号不能超过 %(n)d 个字符。", where=where, n=MAX_NUMBER))
        if not isinstance(level, int) or isinstance(level, bool) or level != parent_level + 1:
            problems.append(_("%(where)s的层级与上级不一致（应为第 %(n)d 级）。", where=where, n=parent_level + 1))
        if kind not in ("measure", "heading"):
            problems.append(_("%(where)s的类型只能是措施或标题。", where=where))
            kind = "measure"
        raw_id = raw.get("id")
        measure_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        children_raw = raw.get("children") or []
        if depth >= MAX_DEPTH and children_raw:
            problems.append(_("%(where)s的层级过深（最多 %(n)d 级）。", where=where, n=MAX_DEPTH))
            children_raw = []
        item = CleanItem(
            number=number, text=(text or "").strip(), level=parent_level + 1, kind=MeasureKind(kind),
            inline=bool(raw.get("inline")), suggestions=_clean_suggestions(raw, where, problems),
            start_line=_opt_line(raw.get("start_line")), end_line=_opt_line(raw.get("end_line")),
            measure_id=measure_id,
        )
        item.children = _clean_items(children_raw, parent_level + 1, where_plan, problems, counter, depth + 1)
        items.append(item)
    return items


def _parse_json(edited: Any) -> Any:
    if isinstance(edited, str | bytes):
        try:
            return json.loads(edited)
        except (ValueError, RecursionError) as exc:
            raise OutlineError([_("提交的提纲数据无法读取，请重新预览。")]) from exc
    return edited


def validate_outline(edited: Any) -> list[CleanPlan]:
    """Check the whole edited outline before anything is written; raises OutlineError with every problem."""
    edited = _parse_json(edited)
    if not isinstance(edited, dict) or not isinstance(edited.get("plans"), list) or not edited["plans"]:
        raise OutlineError([_("提交的提纲数据格式不对，请重新预览。")])
    problems: list[str] = []
    plans: list[CleanPlan] = []
    total = 0
    for index, raw in enumerate(edited["plans"], start=1):
        where = _("第 %(n)d 份计划", n=index)
        if not isinstance(raw, dict):
            problems.append(_("%(where)s格式不对。", where=where))
            continue
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append(_("%(where)s的标题不能为空。", where=where))
            title = ""
        elif len(title.strip()) > MAX_TITLE:
            problems.append(_("%(where)s的标题不能超过 %(n)d 个字符。", where=where, n=MAX_TITLE))
        issuer = _opt_text(raw.get("issuer"), MAX_ISSUER, _("发文单位"), problems)
        doc_number = _opt_text(raw.get("doc_number"), MAX_DOC_NUMBER, _("文号"), problems)
        issued_on = None
        raw_date = raw.get("date")
        if raw_date not in (None, ""):
            try:
                issued_on = date.fromisoformat(str(raw_date))
            except ValueError:
                problems.append(_("%(where)s的日期格式不对（应为 2026-01-31）。", where=where))
        counter = [0]
        items = _clean_items(raw.get("items"), 0, where, problems, counter)
        if not counter[0]:
            problems.append(_("%(where)s没有任何条目。", where=where))
        total += counter[0]
        plans.append(CleanPlan(title=(title or "").strip(), issuer=issuer, doc_number=doc_number,
                               issued_on=issued_on, items=items))
    if total > MAX_ITEMS:
        problems.append(_("条目过多（%(n)d 条，上限 %(max)d 条）。", n=total, max=MAX_ITEMS))
    if problems:
        raise OutlineError(problems)
    return plans


def validate_items(edited_items: Any) -> list[CleanItem]:
    """Validate one plan's edited item tree (the outline page after saving)."""
    edited_items = _parse_json(edited_items)
    if isinstance(edited_items, dict):
        edited_items = edited_items.get("items")
    problems: list[str] = []
    counter = [0]
    items = _clean_items(edited_items, 0, _("提纲"), problems, counter)
    if not counter[0]:
        problems.append(_("提纲不能没有条目。"))
    if counter[0] > MAX_ITEMS:
        problems.append(_("条目过多（%(n)d 条，上限 %(max)d 条）。", n=counter[0], max=MAX_ITEMS))
    if problems:
        raise OutlineError(problems)
    return items


# ---------------------------------------------------------------------------
# permissions and reading


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


# ---------------------------------------------------------------------------
# the source file store


def _source_folder() -> str:
    folder = current_app.config["PLAN_SOURCE_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def source_path(plan: Plan) -> str | None:
    if not plan.source_stored_name:
        return None
    return os.path.join(_source_folder(), plan.source_stored_name)


def store_source_file(data: bytes, filename: str) -> str:
    """Write the uploaded file under a generated name (the original name stays on the Plan)."""
    ext = os.path.splitext(filename or "")[1].lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", ext):
        ext = ""
    stored = uuid.uuid4().hex + ext
    path = os.path.join(_source_folder(), stored)
    with open(path, "xb") as handle:
        handle.write(data)
    return stored


_PENDING_FILES = "plans.pending_source_files"


@sa.event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop(_PENDING_FILES, None)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_files(session: Session, previous_transaction: Any) -> None:
    """A rolled-back import leaves no file behind (all or nothing)."""
    if previous_transaction.parent is not None:
        return
    for path in session.info.pop(_PENDING_FILES, []):
        try:
            os.remove(path)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# the upload kept between preview and save


#: the uploaded file between preview and save
pending = PendingUploads("plan_uploads")


def stash_upload(data: bytes, filename: str) -> str:
    """Keep the uploaded bytes server-side; the form carries only a random token."""
    return pending.keep(data, filename)


def load_upload(token: str | None) -> tuple[bytes, str] | None:
    """The stashed upload for a token from the form, or None; a token is never a path."""
    return pending.load(token)


def drop_upload(token: str | None) -> None:
    pending.drop(token)


# ---------------------------------------------------------------------------
# saving


def _add_measures(plan: Plan, items: list[CleanItem]) -> int:
    position = 0

    def add(item: CleanItem, parent: Measure | None) -> None:
        nonlocal position
        measure = Measure(
            position=position, level=item.level, number=item.number, text=item.text, kind=item.kind,
            is_inline=item.inline, suggestions=item.suggestions, source_start_line=item.start_line,
            source_end_line=item.end_line, parent=parent,
        )
        position += 1
        plan.measures.append(measure)
        for child in item.children:
            add(child, measure)

    for item in items:
        add(item, None)
    return position


def save_outline(
    edited: Any,
    *,
    source_text: str,
    source_file: tuple[bytes, str] | None,
    actor: User,
    now: datetime,
) -> list[Plan]:
    """Create one draft plan per outline plan with its measures, and keep the source file.

    Everything is validated first; on any failure the caller rolls back and the
    file written here is removed with the transaction.
    """
    access.check(access.may_import_plans(actor))
    clean = validate_outline(edited)
    filename = sha = None
    if source_file is not None:
        data, filename = source_file
        sha = hashlib.sha256(data).hexdigest()
    plans: list[Plan] = []
    for cp in clean:
        plan = Plan(title=cp.title, issuer=cp.issuer, doc_number=cp.doc_number, issued_on=cp.issued_on,
                    state=PlanState.draft, supervisor_id=actor.id, source_text=source_text or "",
                    source_filename=filename[:255] if filename else None, source_sha256=sha,
                    created_at=now, updated_at=now)
        count = _add_measures(plan, cp.items)
        db.session.add(plan)
        plans.append((plan, count))
    db.session.flush()
    if source_file is not None:
        try:
            stored = store_source_file(source_file[0], source_file[1])
        except OSError as exc:
            raise PlanError(_("原文件未能保存，计划没有导入，请稍后重试。")) from exc
        db.session.info.setdefault(_PENDING_FILES, []).append(os.path.join(_source_folder(), stored))
        for plan, _count in plans:
            plan.source_stored_name = stored
    for plan, count in plans:
        audit.record(actor, "plan.imported", plan,
                     {"title": plan.title, "measures": count, "source_filename": filename,
                      "source_sha256": sha}, now=now)
    db.session.flush()
    return [plan for plan, _count in plans]


def update_plan(plan: Plan, title: str, issuer: str | None, doc_number: str | None, issued_on: date | None,
                *, actor: User, now: datetime) -> Plan:
    """Correct the plan's title, 发文单位, 文号 and date."""
    access.check(access.may_edit_plan(actor, plan))
    title = (title or "").strip()
    if not title:
        raise PlanError(_("标题不能为空。"))
    if len(title) > MAX_TITLE:
        raise PlanError(_("标题不能超过 %(n)d 个字符。", n=MAX_TITLE))
    issuer = (issuer or "").strip() or None
    doc_number = (doc_number or "").strip() or None
    if issuer and len(issuer) > MAX_ISSUER:
        raise PlanError(_("发文单位不能超过 %(n)d 个字符。", n=MAX_ISSUER))
    if doc_number and len(doc_number) > MAX_DOC_NUMBER:
        raise PlanError(_("文号不能超过 %(n)d 个字符。", n=MAX_DOC_NUMBER))
    before = {"title": plan.title, "issuer": plan.issuer, "doc_number": plan.doc_number, "issued_on": plan.issued_on}
    after = {"title": title, "issuer": issuer, "doc_number": doc_number, "issued_on": issued_on}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        plan.title, plan.issuer, plan.doc_number, plan.issued_on = title, issuer, doc_number, issued_on
        plan.updated_at = now
        audit.record(actor, "plan.updated", plan, changes, now=now)
        db.session.flush()
    return plan


def set_state(plan: Plan, state: PlanState, *, actor: User, now: datetime) -> Plan:
    """Move a plan between draft, active and archived."""
    access.check(access.may_edit_plan(actor, plan))
    if state == plan.state:
        return plan
    if state not in STATE_TRANSITIONS[plan.state]:
        raise PlanError(_("计划当前状态不能改为该状态。"), status=409, code="state_conflict")
    old = plan.state
    plan.state = state
    plan.updated_at = now
    audit.record(actor, "plan.state_changed", plan, {"from": old.value, "to": state.value}, now=now)
    db.session.flush()
    return plan


def edit_outline(plan: Plan, edited_items: Any, *, actor: User, now: datetime) -> Plan:
    """Correct a saved outline: change, move, add or delete measures (not ones with tasks)."""
    access.check(access.may_edit_plan(actor, plan))
    items = validate_items(edited_items)
    existing = {m.id: m for m in plan.measures}
    seen: set[int] = set()
    problems: list[str] = []
    for item in _walk(items):
        if item.measure_id is not None:
            if item.measure_id not in existing or item.measure_id in seen:
                problems.append(_("条目“%(text)s”不属于本计划，请刷新后重试。", text=item.text[:30]))
            seen.add(item.measure_id)
    if problems:
        raise OutlineError(problems)
    removed = [m for mid, m in existing.items() if mid not in seen]
    in_use = measures_with_tasks(plan)
    blocked = [m for m in removed if m.id in in_use]
    if blocked:
        labels = "、".join(m.label[:30] for m in blocked[:5])
        raise MeasureInUse(_("以下条目已分解交办，不能删除：%(labels)s。请先撤销相关任务。", labels=labels))
    added = changed = 0
    position = 0

    def apply(item: CleanItem, parent: Measure | None) -> None:
        nonlocal position, added, changed
        if item.measure_id is not None:
            measure = existing[item.measure_id]
            old = (measure.position, measure.level, measure.number, measure.text, measure.kind, measure.parent_id)
            measure.parent = parent
            measure.parent_id = parent.id if parent is not None else None
        else:
            measure = Measure(plan=plan, parent=parent, source_start_line=item.start_line,
                              source_end_line=item.end_line, suggestions=item.suggestions)
            old = None
        measure.position, measure.level, measure.number = position, item.level, item.number
        measure.text, measure.kind, measure.is_inline = item.text, item.kind, item.inline
        if old is None:
            added += 1
            db.session.add(measure)
            db.session.flush()  # an id for the children
        elif old != (measure.position, measure.level, measure.number, measure.text, measure.kind,
                     measure.parent_id):
            changed += 1
        position += 1
        for child in item.children:
            apply(child, measure)

    for item in items:
        apply(item, None)
    db.session.flush()
    for measure in removed:
        plan.measures.remove(measure)
        db.session.delete(measure)
    plan.updated_at = now
    audit.record(actor, "plan.outline_edited", plan,
                 {"added": added, "changed": changed, "deleted": len(removed)}, now=now)
    db.session.flush()
    return plan


def _walk(items: list[CleanItem]):
    for item in items:
        yield item
        yield from _walk(item.children)
