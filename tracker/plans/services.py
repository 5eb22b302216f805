"""Plan actions that change data: import (save the reviewed outline), correct, change state.

Each checks permission through ``tracker.access``, records its audit event and flushes; the
caller commits. Reading lives in ``queries``, files in ``storage``, the checks of the edited
outline in ``validation``.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from tracker import access, audit
from tracker.auth.models import User
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.plans import queries, storage
from tracker.plans.models import Measure, Plan, PlanState
from tracker.plans.validation import (
    MAX_DOC_NUMBER,
    MAX_ISSUER,
    MAX_TITLE,
    CleanItem,
    OutlineError,
    PlanError,
    validate_items,
    validate_outline,
    walk_items,
)

STATE_TRANSITIONS: dict[PlanState, set[PlanState]] = {
    PlanState.draft: {PlanState.active, PlanState.archived},
    PlanState.active: {PlanState.archived, PlanState.draft},
    PlanState.archived: {PlanState.active},
}


class MeasureInUse(PlanError, Conflict):
    """A measure that already has tasks cannot be deleted."""


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


def import_plan(
    edited: Any = None,
    *,
    source_text: str | None = None,
    source_file: tuple[bytes, str] | None = None,
    title: str = "",
    activate: bool = False,
    actor: User,
    now: datetime,
) -> list[Plan]:
    """The one way plans come in: the import page, the API and the demo data all call it.

    ``edited`` is the outline the supervisor reviewed on the preview page; without it the source
    (``source_file``, else the pasted ``source_text``) is imported as the parser reads it, its first
    plan titled ``title`` when given. One draft plan per outline plan, with its measures and the
    source file kept; ``activate`` makes them active at once. Everything is validated first; on any
    failure the caller rolls back and the file written here is removed with the transaction.
    """
    access.check(access.may_import_plans(actor))
    data, filename = source_file if source_file is not None else (None, None)
    if edited is None:
        edited = queries.outline_to_edit(queries.preview(data, filename, source_text))
        if title and edited["plans"]:
            edited["plans"][0]["title"] = title
    if source_text is None:
        source_text = "\n".join(queries.source_lines(data, filename, None)) if source_file is not None else ""
    plans = _save_outline(edited, source_text=source_text, source_file=source_file, actor=actor, now=now)
    if activate:
        for plan in plans:
            set_state(plan, PlanState.active, actor=actor, now=now)
    return plans


def _save_outline(edited: Any, *, source_text: str, source_file: tuple[bytes, str] | None, actor: User,
                  now: datetime) -> list[Plan]:
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
            stored = storage.keep_source_file(source_file[0], source_file[1])
        except OSError as exc:
            raise PlanError(_("原文件未能保存，计划没有导入，请稍后重试。")) from exc
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
    for item in walk_items(items):
        if item.measure_id is not None:
            if item.measure_id not in existing or item.measure_id in seen:
                problems.append(_("条目“%(text)s”不属于本计划，请刷新后重试。", text=item.text[:30]))
            seen.add(item.measure_id)
    if problems:
        raise OutlineError(problems)
    removed = [m for mid, m in existing.items() if mid not in seen]
    in_use = queries.measures_with_tasks(plan)
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
