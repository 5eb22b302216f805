"""The outline the supervisor edited in the browser, checked before anything is written.

What arrives is untrusted JSON: every problem is collected (with where it is) so the supervisor
sees them all at once, and the cleaned ``CleanPlan``/``CleanItem`` trees are what the services save.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from tracker.errors import UserError
from tracker.plans.models import MeasureKind

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


def walk_items(items: list[CleanItem]):
    """Every item of a cleaned tree, parents before their children."""
    for item in items:
        yield item
        yield from walk_items(item.children)
