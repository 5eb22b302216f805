"""Read-side queries for task lists, the review queue, the plan matrix and a task's timeline.

Each runs a fixed number of SQL statements however many tasks there are: related rows are
loaded with selectinload, lights are computed in SQL with the same rule as the Python one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy.orm import joinedload, selectinload

from tracker import access, periods
from tracker.access import task_condition as visible_condition
from tracker.audit import AuditEntry
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plans import queries as plan_queries
from tracker.plans.models import Measure, MeasureKind, Plan
from tracker.tasks.filters import TaskFilters, filter_conditions
from tracker.tasks.lights import light_expression, light_for
from tracker.tasks.models import (
    Evidence,
    ExtensionRequest,
    ExtensionState,
    ProgressReport,
    Task,
    TaskState,
    UnitRole,
)
from tracker.tasks.progress import progress_class_for
from tracker.units.models import Unit
from tracker.units.queries import UnitDirectory

#: related rows for a list in the same query (all many-to-one); only the columns a list shows,
#: since a plan's source text can be long. Built once: option objects are immutable, and building
#: them per request cost more than the SQL they add.
_LIST_OPTIONS = (
    joinedload(Task.measure).load_only(Measure.id, Measure.plan_id, Measure.number, Measure.text,
                                       Measure.kind, Measure.level),
    joinedload(Task.plan).load_only(Plan.id, Plan.title, Plan.supervisor_id, Plan.state, Plan.is_deleted),
    joinedload(Task.unit).load_only(Unit.id, Unit.name, Unit.parent_id, Unit.kind),
    joinedload(Task.owner).load_only(User.id, User.name, User.unit_id, User.is_active),
)


def _eager(query: sa.Select) -> sa.Select:
    """Related rows for a list in the same query (see ``_LIST_OPTIONS``)."""
    return query.options(*_LIST_OPTIONS)


class _CountedPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination, counting with a plain ``count(*)`` over the task table
    rather than over a subquery of every task column."""

    def _query_count(self) -> int:
        return self._query_args["session"].scalar(self._query_args["count_select"]) or 0


@dataclass
class TaskRow:
    task: Task
    light: str
    #: 序时进度 (tracker.tasks.progress)
    progress: str = ""


@dataclass
class TaskPage:
    """A page of tasks with their lights; ``pagination`` drives the pager macro."""

    rows: list[TaskRow]
    pagination: Pagination
    total: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def unit_task_page(user: Any, filters: TaskFilters, today: date, page: int = 1, per_page: int = 20,
                   warning_days: int = 7) -> TaskPage:
    """The tasks ``user`` may see, filtered, a page at a time (our tasks, the ledger): two queries,
    the page with its related rows and the count."""
    conditions = [visible_condition(user), *filter_conditions(filters, today, warning_days)]
    query = _eager(sa.select(Task).where(*conditions).order_by(Task.due_on, Task.id))
    count = sa.select(sa.func.count()).select_from(Task).where(*conditions)
    pagination = _CountedPagination(select=query, session=db.session(), count_select=count, page=max(page, 1),
                                    per_page=per_page, max_per_page=200, error_out=False)
    rows = [TaskRow(task=t, light=light_for(t, today, warning_days), progress=progress_class_for(t, today))
            for t in pagination.items]
    return TaskPage(rows=rows, pagination=pagination, total=pagination.total or 0)


def pending_extensions_for(task_ids: list[int]) -> dict[int, sa.Row]:
    """The pending extension request of each task (its id and the date asked for), in one query
    of three columns: a list only marks the tasks that have one."""
    if not task_ids:
        return {}
    rows = db.session.execute(
        sa.select(ExtensionRequest.task_id, ExtensionRequest.id, ExtensionRequest.new_due_on)
        .where(ExtensionRequest.task_id.in_(task_ids), ExtensionRequest.state == ExtensionState.pending))
    return {r.task_id: r for r in rows}


@dataclass
class ReviewQueue:
    submitted: list[Task]
    extensions: list[ExtensionRequest]


def review_queue(user: Any) -> ReviewQueue:
    """What waits for ``user``'s decision: submitted tasks and pending extension requests."""
    condition = access.review_condition(user)
    submitted = list(db.session.scalars(_eager(
        sa.select(Task).where(condition, Task.state == TaskState.submitted)
        .order_by(Task.submitted_at, Task.id))))
    extensions = list(db.session.scalars(
        sa.select(ExtensionRequest).join(Task, ExtensionRequest.task_id == Task.id)
        .where(condition, ExtensionRequest.state == ExtensionState.pending)
        .options(selectinload(ExtensionRequest.task).selectinload(Task.measure),
                 selectinload(ExtensionRequest.task).selectinload(Task.unit),
                 selectinload(ExtensionRequest.task).selectinload(Task.plan),
                 selectinload(ExtensionRequest.requested_by))
        .order_by(ExtensionRequest.created_at, ExtensionRequest.id)))
    return ReviewQueue(submitted=submitted, extensions=extensions)


@dataclass
class MatrixCell:
    task_id: int
    state: TaskState
    light: str
    role: str
    due_on: date


@dataclass
class PlanMatrix:
    measures: list[Measure]
    units: list[Unit]
    cells: dict[tuple[int, int], MatrixCell]
    rollup: dict[int, tuple[int, int]]

    def cell(self, measure_id: int, unit_id: int) -> MatrixCell | None:
        return self.cells.get((measure_id, unit_id))


def plan_matrix(plan: Plan, user: Any, today: date | None = None, warning_days: int = 7) -> PlanMatrix:
    """Measures down, units across, each cell the task's state and light: three queries."""
    today = today or date.today()
    measures = list(db.session.scalars(
        sa.select(Measure).where(Measure.plan_id == plan.id).order_by(Measure.position, Measure.id)))
    rows = db.session.execute(
        sa.select(Task.id, Task.measure_id, Task.unit_id, Task.state, Task.role, Task.due_on,
                  light_expression(today, warning_days))
        .where(Task.plan_id == plan.id, visible_condition(user))
    ).all()
    cells: dict[tuple[int, int], MatrixCell] = {}
    rollup: dict[int, list[int]] = {}
    for task_id, measure_id, unit_id, state, role, due_on, light in rows:
        cells[(measure_id, unit_id)] = MatrixCell(task_id=task_id, state=state, light=light, role=role.value,
                                                  due_on=due_on)
        if state is not TaskState.cancelled:
            counts = rollup.setdefault(measure_id, [0, 0])
            counts[1] += 1
            counts[0] += state is TaskState.completed
    unit_ids = {unit_id for (_m, unit_id) in cells}
    units = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.sort_order, Unit.id))
                 ) if unit_ids else []
    return PlanMatrix(measures=measures, units=units, cells=cells,
                      rollup={k: (v[0], v[1]) for k, v in rollup.items()})


def measure_rollup(plan_id: int) -> dict[int, tuple[int, int]]:
    """(completed, total) per measure of a plan, cancelled tasks not counted: "9/14 办结"."""
    rows = db.session.execute(
        sa.select(Task.measure_id,
                  sa.func.sum(sa.case((Task.state == TaskState.completed, 1), else_=0)),
                  sa.func.count(Task.id))
        .where(Task.plan_id == plan_id, Task.state != TaskState.cancelled)
        .group_by(Task.measure_id)
    ).all()
    return {measure_id: (int(done or 0), int(total)) for measure_id, done, total in rows}


def assignable_measures(plan: Plan) -> list[Measure]:
    return list(db.session.scalars(
        sa.select(Measure).where(Measure.plan_id == plan.id).order_by(Measure.position, Measure.id)))


def is_heading(measure: Measure) -> bool:
    return measure.kind is MeasureKind.heading


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    actor: Any
    action: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    obj: Any = None


def _row_item(kind: str, row: ProgressReport | Evidence) -> TimelineItem:
    """A report or a file on the timeline: at its own time, by its author."""
    actor = row.author if isinstance(row, ProgressReport) else row.uploader
    return TimelineItem(at=row.created_at, kind=kind, actor=actor, obj=row)


def task_timeline(task: Task) -> list[TimelineItem]:
    """Everything that happened to a task, oldest first: audit entries, reports and files.

    A report or file takes the place of the audit entry that recorded it, so events at the same
    instant keep the order in which they happened.
    """
    reports = {r.id: r for r in db.session.scalars(
        sa.select(ProgressReport).where(ProgressReport.task_id == task.id)
        .options(selectinload(ProgressReport.author)))}
    files = {e.id: e for e in db.session.scalars(
        sa.select(Evidence).where(Evidence.task_id == task.id, Evidence.is_deleted.is_(False))
        .options(selectinload(Evidence.uploader)))}
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "task", AuditEntry.object_id == task.id).order_by(AuditEntry.id))
    # the audit actions whose place a report or a file takes: its kind, the key naming it, the rows
    kept = {"task.progress": ("report", "report_id", reports),
            "task.evidence_added": ("evidence", "evidence_id", files)}
    keyed: list[tuple[datetime, int, TimelineItem]] = []
    for seq, entry in enumerate(entries):
        data = entry.data or {}
        if entry.action in kept:
            kind, key, rows = kept[entry.action]
            row = rows.pop(data.get(key), None)
            if row is not None:
                keyed.append((row.created_at, seq, _row_item(kind, row)))
            continue
        keyed.append((entry.at, seq, TimelineItem(at=entry.at, kind="audit", actor=entry.actor,
                                                  action=entry.action, data=data)))
    # reports and files without their audit entry come after, reports first
    tail = 1 << 30
    for rank, (kind, _key, rows) in enumerate(kept.values(), start=1):
        for row in rows.values():
            keyed.append((row.created_at, rank * tail + row.id, _row_item(kind, row)))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [item for _at, _seq, item in keyed]


def task_evidence(task: Task) -> list[Evidence]:
    return list(db.session.scalars(sa.select(Evidence).where(Evidence.task_id == task.id,
                                                             Evidence.is_deleted.is_(False))
                                   .options(selectinload(Evidence.uploader)).order_by(Evidence.id)))


def task_reports(task: Task) -> list[ProgressReport]:
    return list(db.session.scalars(sa.select(ProgressReport).where(ProgressReport.task_id == task.id)
                                   .options(selectinload(ProgressReport.author),
                                            selectinload(ProgressReport.evidence))
                                   .order_by(ProgressReport.id.desc())))


def task_extensions(task: Task) -> list[ExtensionRequest]:
    return list(db.session.scalars(sa.select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)
                                   .order_by(ExtensionRequest.id.desc())))


# -- what the plan says: assignments proposed from the parser's suggestions ----------------------

#: the suggestion keys that name units, and the role each gives
UNIT_KEYS = ("lead_units", "support_units", "units")


@dataclass
class ProposedRow:
    """One task the page proposes: a unit (None when a name matched nothing), its role, deadline and period."""

    measure_id: int
    unit_id: int | None
    role: UnitRole
    due_on: str
    reporting_period: str
    #: the unit as the page names it (UnitDirectory.label), or as the supervisor typed it
    unit_label: str = ""
    #: the name as the plan wrote it, and how it matched (exact, alias, group, prefix, or "")
    written: str = ""
    how: str = ""
    #: the parser was unsure of this suggestion: the supervisor checks it
    doubtful: bool = False
    keep: bool = True


@dataclass
class Proposal:
    """A measure and the tasks its suggestions propose, with what the page notes beside them."""

    measure: Measure
    rows: list[ProposedRow]
    leaders: list[str] = field(default_factory=list)
    deadline_text: str = ""
    #: names that matched no unit (or several units equally)
    unmatched: list[str] = field(default_factory=list)
    #: the plan asks for daily work: no period is pre-filled, the page says why
    daily: bool = False
    doubtful: bool = False


def _names(suggestions: dict, key: str) -> list[str]:
    value = suggestions.get(key) or []
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def propose(measure: Measure, units: UnitDirectory) -> Proposal:
    """The tasks a measure's suggestions call for.

    Roles follow what the document says: 牵头单位 lead, 配合单位 support. Units listed with no role
    (责任单位) are each responsible, so each gets a lead task, unless the document names a 牵头
    单位 as well: then they carry the work under that lead, as 配合. A group word (各县区) stands for
    each of its units. A unit named twice keeps its strongest role (牵头 over 配合).
    """
    suggestions = measure.suggestions if isinstance(measure.suggestions, dict) else {}
    doubts = plan_queries.doubts(suggestions)
    deadline = suggestions.get("deadline")
    due = ""
    if isinstance(deadline, str):
        try:
            due = date.fromisoformat(deadline).isoformat()
        except ValueError:
            due = ""
    period_code = str(suggestions.get("period") or "")
    period = periods.from_suggestion(period_code) or "once"
    has_lead = bool(_names(suggestions, "lead_units"))
    roles = {"lead_units": UnitRole.lead, "support_units": UnitRole.support,
             "units": UnitRole.support if has_lead else UnitRole.lead}
    rows: dict[int, ProposedRow] = {}
    unmatched: dict[str, UnitRole] = {}
    for key in UNIT_KEYS:
        for name in _names(suggestions, key):
            match = units.match(name)
            if not match.matched:
                unmatched.setdefault(name, roles[key])
                continue
            for unit in match.units:
                role = roles[key]
                known = rows.get(unit.id)
                if known is not None and (known.role is UnitRole.lead or role is UnitRole.support):
                    continue
                rows[unit.id] = ProposedRow(measure.id, unit.id, role, due, period, unit_label=units.label(unit),
                                            written=name, how=match.how, doubtful=key in doubts or "item" in doubts)
    ordered = sorted(rows.values(), key=lambda r: (r.role is not UnitRole.lead,))
    # a name that matched nothing: a row to place by hand (ignored while no unit is chosen)
    for name, role in unmatched.items():
        ordered.append(ProposedRow(measure.id, None, role, due, period, written=name, doubtful=True))
    leaders = _names(suggestions, "leaders")
    return Proposal(measure=measure, rows=ordered, leaders=leaders,
                    deadline_text=str(suggestions.get("deadline_text") or ""), unmatched=list(unmatched),
                    daily=period_code == "daily", doubtful=bool(doubts))


def unmatched_names(plan: Plan, units: UnitDirectory) -> list[tuple[str, int]]:
    """Every unit name the plan's suggestions use that matches no unit, with how many measures use it:
    listed once per plan for the supervisor to map."""
    counts: dict[str, int] = {}
    for measure in assignable_measures(plan):
        suggestions = measure.suggestions if isinstance(measure.suggestions, dict) else {}
        seen: set[str] = set()
        for key in UNIT_KEYS:
            for name in _names(suggestions, key):
                if name not in seen and not units.match(name).matched:
                    seen.add(name)
                    counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
