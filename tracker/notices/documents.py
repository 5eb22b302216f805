"""督办单, 补发督办单 and 催办单 as official documents (GB/T 9704-2012, see ``tracker.documents``):
the red 版头 with the office's mark and number, the unit as 主送, the tasks in a table sized to its
content, the requirements, and the 落款 kept with them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from tracker import documents as docs
from tracker.documents import cn_date

TABLE_HEADERS = ("序号", "任务事项", "责任人", "完成时限", "办理状态", "最新进展")


def _period_label(notice: Any) -> str:
    from tracker.notices.services import period_label

    return period_label(notice.period_key)


def _iso_cn(value: str) -> str:
    try:
        return cn_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return value or ""


def _plans(notice: Any) -> list[str]:
    seen: list[str] = []
    for item in notice.items:
        plan = (item.snapshot or {}).get("plan", "")
        if plan and plan not in seen:
            seen.append(plan)
    return seen


def intro(notice: Any) -> str:
    count = len(notice.items)
    plans = _plans(notice)
    source = f"根据《{plans[0]}》，" if len(plans) == 1 else "根据工作安排，"
    if notice.title_label == "催办单":
        return (f"{source}贵单位承担的以下任务已超过或临近完成时限，现予催办。"
                "请抓紧办理，并按时反馈办理情况。")
    if notice.title_label == "补发督办单":
        first = notice.supplement_to.number_label if notice.supplement_to is not None else ""
        after = f"《{first}》印发后" if first else "本期督办单印发后"
        return f"{source}现将{after}交办贵单位的{count}项任务补充列出督办，请认真对照办理。"
    return f"{source}现将贵单位承担的{count}项未办结任务列出督办，请认真对照办理。"


def _owner(notice: Any, snap: dict) -> str:
    if snap.get("owner"):
        return snap["owner"]
    # notices issued before the fallback was recorded: the unit's lead now
    from tracker.notices.services import unit_leads

    leads = unit_leads(notice.unit_id)
    return f"{leads[0].name}（单位负责人）" if leads else "—"


def _has_progress(notice: Any) -> bool:
    return any((item.snapshot or {}).get("last_progress") for item in notice.items)


def headers_of(notice: Any) -> list[str]:
    """The table's columns; 最新进展 only when some task has reported. The plan is named in the
    intro when there is one, else by a caption row above its tasks (``groups_of``)."""
    headers = list(TABLE_HEADERS)
    if not _has_progress(notice):
        headers.remove("最新进展")
    return headers


def groups_of(notice: Any) -> dict[int, str]:
    """Caption rows 《plan》 before the first task of each plan, when the tasks come from several."""
    if len(_plans(notice)) <= 1:
        return {}
    groups: dict[int, str] = {}
    previous = None
    for index, item in enumerate(notice.items):
        plan = (item.snapshot or {}).get("plan", "")
        if plan != previous:
            groups[index] = f"《{plan}》"
            previous = plan
    return groups


def rows_of(notice: Any) -> list[list[str]]:
    with_progress = _has_progress(notice)
    rows = []
    for index, item in enumerate(notice.items, start=1):
        snap = item.snapshot or {}
        due = _iso_cn(snap.get("due_on", ""))
        if snap.get("extended"):
            original = _iso_cn(snap.get("original_due_on", ""))
            if original[:5] == due[:5]:
                original = original[5:]  # the same year: 原定1月20日
            due = f"{due}\n（原定{original}）"
        state = snap.get("state_label", "")
        light = {"red": "（红灯）", "yellow": "（黄灯）", "green": "（绿灯）"}.get(snap.get("light", ""), "")
        # a name and its note, a state and its light on two lines: the columns stay narrow
        row = [str(index), snap.get("measure", ""), _owner(notice, snap).replace("（", "\n（", 1), due,
               f"{state}\n{light}" if light else state,
               snap.get("last_progress", "") or "—"]
        if not with_progress:
            row.pop()
        rows.append(row)
    return rows


def official_document(notice: Any, config) -> docs.OfficialDocument:
    headers = headers_of(notice)
    wide = tuple(i for i, h in enumerate(headers) if h in ("任务事项", "最新进展"))
    title = notice.title_label
    if notice.title_label != "催办单":
        title = f"{_period_label(notice)}重点工作任务{title}"
    else:
        title = f"重点工作任务{title}"
    blocks: list = [docs.Para(intro(notice)), docs.Table(headers, rows_of(notice), wide=wide, groups=groups_of(notice)),
                    docs.Para(f"督办要求：{notice.requirements}"),
                    docs.Para(f"反馈时限：{cn_date(notice.reply_by)}前。")]
    document = docs.from_config(config, number=notice.number_label, title=title, addressee=notice.unit.name,
                                blocks=blocks, signed_on=notice.issued_on)
    if notice.issuer_name:
        document.signature = notice.issuer_name
    return document


def render_docx(notice: Any) -> bytes:
    """The notice as .docx bytes."""
    return docs.render_docx(official_document(notice, current_app.config))


def render_pdf(notice: Any) -> bytes:
    """The notice as PDF bytes, its fonts embedded."""
    return docs.render_pdf(official_document(notice, current_app.config))
