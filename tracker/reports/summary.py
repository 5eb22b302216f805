"""落实情况报告 / 工作总结: what was done for a plan (or one unit's share), in the plan's own outline
and numbering, as a page and as a .docx."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask_babel import gettext as _

from tracker import documents as docs
from tracker import timeutil
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plans.models import Measure, MeasureKind, Plan
from tracker.reports.bulletin import add_body
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
    reports: list[tuple[datetime, str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        return state_label(self.state)


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


def build_summary(user: User, plan: Plan, now: datetime, unit_id: int | None = None) -> Summary:
    """Walk the measures in document order (position), each with its tasks, reports and evidence:
    four queries. With a unit, only the measures that unit has (and the headings above them)."""
    measures = list(db.session.scalars(sa.select(Measure).where(Measure.plan_id == plan.id)
                                       .order_by(Measure.position, Measure.id)))
    task_query = (sa.select(Task.id, Task.measure_id, Task.role, Task.state, Task.due_on, Unit.name)
                  .join(Unit, Unit.id == Task.unit_id)
                  .where(Task.plan_id == plan.id, visible_condition(user))
                  .order_by(Task.role, Unit.sort_order, Unit.id))
    if unit_id is not None:
        task_query = task_query.where(Task.unit_id == unit_id)
    tasks_by_measure: dict[int, list[TaskLine]] = defaultdict(list)
    by_id: dict[int, TaskLine] = {}
    for row in db.session.execute(task_query):
        line = TaskLine(row.id, row.name, row.role, row.state, row.due_on)
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


def summary_docx(summary: Summary) -> bytes:
    """The report as an editable Word file, one paragraph per measure in the plan's numbering."""
    document = docs.new_document()
    title = summary.plan.title + (f"（{summary.unit.name}）" if summary.unit else "")
    docs.add_title(document, _("%(title)s落实情况报告", title=title))
    add_body(document, _("截至%(day)s，本方案共分解任务%(n)d项，已办结%(done)d项，尚有%(open)d项正在办理。",
                              day=summary.generated_on.isoformat(), n=summary.task_count,
                              done=summary.completed_count,
                              open=summary.open_count))
    for line in summary.lines:
        font = docs.HEADING_FONT if line.depth == 0 else docs.BODY_FONT
        add_body(document, line.label, font=font, bold=line.depth == 1)
        for task in line.tasks:
            role = _("牵头") if task.role is UnitRole.lead else _("配合")
            add_body(document, _("%(unit)s（%(role)s）：%(state)s，完成时限%(due)s。", unit=task.unit_name,
                                      role=role, state=task.state_label, due=task.due_on.isoformat()))
            for _at, text in task.reports:
                add_body(document, text)
            if task.evidence:
                add_body(document, _("佐证材料：%(files)s", files="；".join(task.evidence)))
        if line.open_tasks:
            add_body(document, _("尚未完成：%(units)s。", units="、".join(t.unit_name for t in line.open_tasks)))
    add_body(document, summary.generated_on.isoformat(), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return docs.to_bytes(document)

