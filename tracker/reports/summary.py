"""落实情况报告 / 工作总结: what was done for a plan (or one unit's share), in the plan's own outline
and numbering, as a page, and as a draft official document (.docx, PDF) a person edits: per
chapter what was done (from the units' progress reports and evidence), the states in words that
match the tasks (未启动 / 办理中 / 已办结), the overdue and returned work named."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker import timeutil
from tracker.auth.models import User
from tracker.documents import cn_date
from tracker.extensions import db
from tracker.plans.models import Measure, MeasureKind, Plan, number_label
from tracker.reports.queries import visible_condition
from tracker.tasks.labels import state_label
from tracker.tasks.models import OPEN_STATES, Evidence, ProgressReport, Task, TaskState, UnitRole
from tracker.units.models import Unit


@dataclass
class TaskLine:
    id: int
    unit_name: str
    role: UnitRole
    state: TaskState
    due_on: date
    return_count: int = 0
    reports: list[tuple[datetime, str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        return state_label(self.state)

    @property
    def progress_word(self) -> str:
        """未启动 / 办理中 / 已办结, as a report says it (待办理 has not started)."""
        return progress_word(self.state)


def progress_word(state: TaskState) -> str:
    if state is TaskState.assigned:
        return _("未启动")
    if state is TaskState.completed:
        return _("已办结")
    if state is TaskState.cancelled:
        return _("已撤销")
    return _("办理中")


@dataclass
class MeasureLine:
    measure: Measure
    label: str
    depth: int
    tasks: list[TaskLine] = field(default_factory=list)

    @property
    def is_heading(self) -> bool:
        return self.measure.kind is MeasureKind.heading or (not self.tasks and self.measure.level == 1)

    @property
    def open_tasks(self) -> list[TaskLine]:
        return [t for t in self.tasks if t.is_open]


@dataclass
class Summary:
    plan: Plan
    unit: Unit | None
    lines: list[MeasureLine]
    generated_on: date

    @property
    def task_count(self) -> int:
        return sum(len(line.tasks) for line in self.lines)

    @property
    def open_count(self) -> int:
        return sum(len(line.open_tasks) for line in self.lines)

    @property
    def completed_count(self) -> int:
        return sum(1 for line in self.lines for t in line.tasks if t.state is TaskState.completed)

    @property
    def not_started_count(self) -> int:
        return sum(1 for line in self.lines for t in line.tasks if t.state is TaskState.assigned)

    @property
    def in_progress_count(self) -> int:
        return self.open_count - self.not_started_count

    @property
    def overdue(self) -> list[tuple[MeasureLine, TaskLine]]:
        return [(line, t) for line in self.lines for t in line.tasks if t.is_open and t.due_on < self.generated_on]

    @property
    def returned(self) -> list[tuple[MeasureLine, TaskLine]]:
        return [(line, t) for line in self.lines for t in line.tasks if t.return_count]

    @property
    def totals_sentence(self) -> str:
        """截至…，共分解任务N项，已办结a项、办理中b项、未启动c项 (the words match the task states)."""
        return _("截至%(day)s，本方案共分解任务%(n)d项，已办结%(done)d项，办理中%(doing)d项，未启动%(todo)d项。",
                 day=cn_date(self.generated_on), n=self.task_count, done=self.completed_count,
                 doing=self.in_progress_count, todo=self.not_started_count)


def build_summary(user: User, plan: Plan, now: datetime, unit_id: int | None = None) -> Summary:
    """Walk the measures in document order (position), each with its tasks, reports and evidence:
    four queries. With a unit, only the measures that unit has (and the headings above them)."""
    measures = list(db.session.scalars(sa.select(Measure).where(Measure.plan_id == plan.id)
                                       .order_by(Measure.position, Measure.id)))
    task_query = (sa.select(Task.id, Task.measure_id, Task.role, Task.state, Task.due_on, Task.return_count, Unit.name)
                  .join(Unit, Unit.id == Task.unit_id)
                  .where(Task.plan_id == plan.id, visible_condition(user))
                  .order_by(Task.role, Unit.sort_order, Unit.id))
    if unit_id is not None:
        task_query = task_query.where(Task.unit_id == unit_id)
    tasks_by_measure: dict[int, list[TaskLine]] = defaultdict(list)
    by_id: dict[int, TaskLine] = {}
    for row in db.session.execute(task_query):
        line = TaskLine(row.id, row.name, row.role, row.state, row.due_on, row.return_count or 0)
        tasks_by_measure[row.measure_id].append(line)
        by_id[row.id] = line
    if by_id:
        ids = list(by_id)
        for task_id, created_at, text in db.session.execute(
                sa.select(ProgressReport.task_id, ProgressReport.created_at, ProgressReport.text)
                .where(ProgressReport.task_id.in_(ids)).order_by(ProgressReport.created_at, ProgressReport.id)):
            by_id[task_id].reports.append((created_at, text))
        for task_id, name in db.session.execute(
                sa.select(Evidence.task_id, Evidence.original_name)
                .where(Evidence.task_id.in_(ids), Evidence.is_deleted.is_(False)).order_by(Evidence.id)):
            by_id[task_id].evidence.append(name)
    parents = {m.id: m.parent_id for m in measures}
    keep: set[int] | None = None
    if unit_id is not None:
        keep = set()
        for measure_id in tasks_by_measure:
            node: int | None = measure_id
            while node is not None and node not in keep:
                keep.add(node)
                node = parents.get(node)
    depth_of: dict[int, int] = {}
    lines = []
    for measure in measures:
        depth_of[measure.id] = depth_of.get(measure.parent_id, -1) + 1 if measure.parent_id else 0
        if keep is not None and measure.id not in keep:
            continue
        label = measure.label
        lines.append(MeasureLine(measure, label, depth_of[measure.id], tasks_by_measure.get(measure.id, [])))
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    return Summary(plan, unit, lines, timeutil.local_today(now))


def short_label(measure: Measure, limit: int = 14) -> str:
    """（三）推进老旧小区改造 from a long measure: its number and the first clause, cut short."""
    text = re.split(r"[，。；：,;:]", measure.text or "", maxsplit=1)[0]
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"{number_label(measure.number)}{text}"


def _excerpt(text: str, limit: int = 40) -> str:
    text = re.sub(r"\s+", "", text or "").rstrip("。；;，,")
    return text if len(text) <= limit else text[:limit] + "…"


def _chapters(summary: Summary) -> list[tuple[MeasureLine | None, list[MeasureLine]]]:
    """The plan's top-level parts, each with the measures under it that have tasks."""
    chapters: list[tuple[MeasureLine | None, list[MeasureLine]]] = []
    for line in summary.lines:
        if line.depth == 0 and (line.is_heading or not chapters):
            chapters.append((line if line.is_heading else None, [] if line.is_heading else [line]))
        elif line.tasks:
            if not chapters:
                chapters.append((None, []))
            chapters[-1][1].append(line)
    return [(head, lines) for head, lines in chapters if lines]


#: overdue or returned measures named one by one; the rest are counted
LISTED = 10


def _units(names: list[str]) -> str:
    """东城区、西城区 — or 东城区等14个单位 when there are more than three."""
    if len(names) > 3:
        return _("%(first)s等%(n)d个单位", first=names[0], n=len(names))
    return "、".join(names)


def _names(lines: list[MeasureLine]) -> str:
    """Measures named by number and name; past ``LISTED`` of them, by their numbers alone
    (第1、4、7项), so that a long list stays a line or two."""
    if len(lines) <= LISTED:
        return "、".join(short_label(x.measure, 8) for x in lines)
    numbers = [number_label(x.measure.number).rstrip(".．、") for x in lines]
    if all(n.isdigit() for n in numbers):
        return _("第%(numbers)s项", numbers="、".join(numbers))
    return "、".join(numbers)


def _measure_word(line: MeasureLine) -> str:
    """A measure's state in the tasks' words: 已办结 when all its tasks are, 未启动 when none has
    started, else 办理中."""
    words = {t.progress_word for t in line.tasks if t.state is not TaskState.cancelled}
    if words == {_("已办结")}:
        return _("已办结")
    if words <= {_("未启动")}:
        return _("未启动")
    return _("办理中")


def _measure_entry(line: MeasureLine) -> str:
    """A measure in a few words: its number and name, and the latest work reported on it."""
    latest = max((r for t in line.tasks for r in t.reports), default=None, key=lambda r: r[0])
    label = short_label(line.measure, 8)
    return f"{label}（{_excerpt(latest[1], 18)}）" if latest is not None else label


def _grouped(pairs: list[tuple[MeasureLine, TaskLine]]) -> list[tuple[MeasureLine, list[TaskLine]]]:
    """Tasks by measure, in the plan's order."""
    groups: dict[int, tuple[MeasureLine, list[TaskLine]]] = {}
    for line, task in pairs:
        groups.setdefault(line.measure.id, (line, []))[1].append(task)
    return list(groups.values())


def summary_document(summary: Summary):
    """The draft: 一、 the totals, 二、 what was done per part of the plan in its numbering,
    三、 what is overdue or returned, 四、 next steps for the editor to complete."""
    from tracker import documents as docs

    blocks: list = [docs.Para(summary.totals_sentence)]
    blocks.append(docs.Para(_("一、主要工作进展"), level=1))
    for head, lines in _chapters(summary):
        counts = {word: 0 for word in (_("已办结"), _("办理中"), _("未启动"))}
        for line in lines:
            for task in line.tasks:
                if task.progress_word in counts:
                    counts[task.progress_word] += 1
        title = head.label if head is not None else summary.plan.title
        blocks.append(docs.Para(title, level=2))
        evidence = sum(len(t.evidence) for line in lines for t in line.tasks)
        text = _("本部分任务%(n)d项，已办结%(done)d项，办理中%(doing)d项，未启动%(todo)d项。",
                 n=sum(counts.values()), done=counts[_("已办结")], doing=counts[_("办理中")],
                 todo=counts[_("未启动")])
        if evidence:
            text += _("各单位报送佐证材料%(n)d份。", n=evidence)
        by_word: dict[str, list[MeasureLine]] = {}
        for line in lines:
            by_word.setdefault(_measure_word(line), []).append(line)
        if by_word.get(_("已办结")):
            text += _("已办结：%(items)s。", items="；".join(_measure_entry(x) for x in by_word[_("已办结")]))
        if by_word.get(_("办理中")):
            text += _("正在推进：%(items)s。", items="；".join(_measure_entry(x) for x in by_word[_("办理中")]))
        if by_word.get(_("未启动")):
            text += _("尚未启动：%(items)s。", items=_names(by_word[_("未启动")]))
        blocks.append(docs.Para(text))
    blocks.append(docs.Para(_("二、存在的问题"), level=1))
    overdue, returned = summary.overdue, summary.returned
    if overdue:
        parts = []
        for line, tasks in _grouped(overdue)[:LISTED]:
            days = max((summary.generated_on - t.due_on).days for t in tasks)
            parts.append(_("%(measure)s（%(units)s，超期%(days)d天）", measure=short_label(line.measure, 8),
                           units=_units([t.unit_name for t in tasks]), days=days))
        more = len(_grouped(overdue)) - LISTED
        tail = _("等%(n)d项措施", n=len(_grouped(overdue))) if more > 0 else ""
        blocks.append(docs.Para(_("超期未办结%(n)d项：", n=len(overdue)) + "；".join(parts) + tail + "。"))
    if returned:
        parts = [_("%(measure)s（%(units)s，退回%(times)d次）", measure=short_label(line.measure, 8),
                   units=_units([t.unit_name for t in tasks]), times=sum(t.return_count for t in tasks))
                 for line, tasks in _grouped(returned)[:LISTED]]
        more = len(_grouped(returned)) - LISTED
        tail = _("等%(n)d项措施", n=len(_grouped(returned))) if more > 0 else ""
        blocks.append(docs.Para(_("退回重办%(n)d项：", n=len(returned)) + "；".join(parts) + tail + "。"))
    if not overdue and not returned:
        blocks.append(docs.Para(_("各项任务均在时限内推进，没有超期或退回的任务。")))
    blocks.append(docs.Para(_("三、下一步工作打算"), level=1))
    blocks.append(docs.Para(_("针对尚未办结的任务，督促责任单位倒排工期、压实责任，确保按期完成。")))
    config = current_app.config
    title = summary.plan.title + (f"（{summary.unit.name}）" if summary.unit else "")
    # a draft: the 发文字号 is given when the office issues it
    return docs.from_config(config, number="", title=_("%(title)s落实情况报告", title=title),
                            blocks=blocks, signed_on=summary.generated_on)


def summary_docx(summary: Summary) -> bytes:
    """The report as an editable Word file."""
    from tracker import documents as docs

    return docs.render_docx(summary_document(summary))


def summary_pdf(summary: Summary) -> bytes:
    from tracker import documents as docs

    return docs.render_pdf(summary_document(summary))
