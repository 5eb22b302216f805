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
from sqlalchemy.orm.attributes import set_committed_value

from tracker import access, periods
from tracker.access import task_condition as visible_condition
from tracker.audit import AuditEntry
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plans import queries as plan_queries
from tracker.plans.models import Measure, MeasureKind, Plan
from tracker.tasks.filters import TaskFilters, filter_conditions
from tracker.tasks.lights import SIGNAL_COLOURS, signal_expression, signal_for
from tracker.tasks.models import (
    OPEN_STATES,
    Evidence,
    EvidenceOpening,
    ExtensionRequest,
    ExtensionState,
    ProgressReport,
    RefusalState,
    Task,
    TaskRefusal,
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
    """Flask-SQLAlchemy's pagination over (task, total, has a pending extension) rows: the total
    is an uncorrelated ``count(*)`` over the task table in the same statement as the page (counted
    apart only for a page past the end), and the flag a per-row EXISTS."""

    def _query_items(self) -> list[Any]:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        rows = self._query_args["session"].execute(select).all()
        self._query_args["total"] = rows[0][1] if rows else None
        self._query_args["pending"] = {row[0].id for row in rows if row[2]}
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        total = self._query_args.get("total")
        if total is None:
            total = self._query_args["session"].scalar(self._query_args["count_select"])
        return total or 0


@dataclass
class TaskRow:
    task: Task
    #: the light's colour, and the signal that also says why a light is yellow
    light: str
    signal: str = ""
    #: 序时进度 (tracker.tasks.progress)
    progress: str = ""


@dataclass
class TaskPage:
    """A page of tasks with their lights; ``pagination`` drives the pager macro."""

    rows: list[TaskRow]
    pagination: Pagination
    total: int = 0
    #: the ids of the tasks on the page with a pending extension request
    pending: set[int] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)


def unit_task_page(user: Any, filters: TaskFilters, today: date, page: int = 1, per_page: int = 20,
                   warning_days: int = 7) -> TaskPage:
    """The tasks ``user`` may see, filtered, a page at a time (our tasks, the ledger): two queries,
    the page with its related rows and the count."""
    conditions = [visible_condition(user), *filter_conditions(filters, today, warning_days)]
    count = sa.select(sa.func.count()).select_from(Task).where(*conditions)
    pending = sa.exists().where(ExtensionRequest.task_id == Task.id, ExtensionRequest.state == ExtensionState.pending)
    query = _eager(sa.select(Task, count.scalar_subquery(), pending).where(*conditions)
                   .order_by(Task.due_on, Task.id))
    pagination = _CountedPagination(select=query, session=db.session(), count_select=count, page=max(page, 1),
                                    per_page=per_page, max_per_page=200, error_out=False)
    rows = []
    for task in pagination.items:
        signal = signal_for(task, today, warning_days)
        rows.append(TaskRow(task=task, light=SIGNAL_COLOURS[signal], signal=signal,
                            progress=progress_class_for(task, today)))
    return TaskPage(rows=rows, pagination=pagination, total=pagination.total or 0,
                    pending=pagination._query_args["pending"])


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
class MatrixGroup:
    """The units of one kind that have tasks in the plan (a tab of the matrix)."""

    kind: str
    count: int


@dataclass
class PlanMatrix:
    """One page of the plan's matrix: every measure down, one group's units (a page of them) across.

    ``cells`` maps (measure id, unit id) to (task id, state value, light, is support, awaits 签收).
    """

    measures: list[Measure]
    units: list[Unit]
    cells: dict[tuple[int, int], tuple[int, str, str, bool, bool]]
    rollup: dict[int, tuple[int, int]]
    groups: list[MatrixGroup]
    kind: str | None = None
    page: int = 1
    pages: int = 1

    def cell(self, measure_id: int, unit_id: int) -> tuple[int, str, str, bool, bool] | None:
        return self.cells.get((measure_id, unit_id))


#: units across one page of the matrix: the measure column stays readable beside them
MATRIX_UNITS = 20
KIND_ORDER = ("region", "county", "township", "department", "office")


def plan_matrix(plan: Plan, user: Any, today: date | None = None, warning_days: int = 7, kind: str | None = None,
                page: int = 1) -> PlanMatrix:
    """Measures down, one kind of unit across a page at a time, each cell the task's state and
    light; each measure's 办结 count over every unit. Four queries: the measures, the plan's units,
    the page's cells, the counts."""
    today = today or date.today()
    visible = [Task.plan_id == plan.id, visible_condition(user)]
    measures = list(db.session.scalars(
        sa.select(Measure).where(Measure.plan_id == plan.id).order_by(Measure.position, Measure.id)
        .options(sa.orm.load_only(Measure.id, Measure.number, Measure.text, Measure.level, Measure.kind,
                                  Measure.position))))
    units_with_tasks = sa.select(Task.unit_id).where(*visible).distinct().scalar_subquery()
    all_units = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(units_with_tasks))
                                        .order_by(Unit.sort_order, Unit.id)))
    by_kind: dict[str, list[Unit]] = {}
    for unit in all_units:
        by_kind.setdefault(unit.kind.value, []).append(unit)
    groups = [MatrixGroup(k, len(by_kind[k])) for k in sorted(by_kind, key=lambda k: (
        KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k))]
    if kind not in by_kind:
        kind = groups[0].kind if groups else None
    members = by_kind.get(kind, [])
    pages = max(1, -(-len(members) // MATRIX_UNITS))
    page = min(max(page, 1), pages)
    units = members[(page - 1) * MATRIX_UNITS:page * MATRIX_UNITS]
    cells: dict[tuple[int, int], tuple[int, str, str, bool, bool]] = {}
    if units:
        rows = db.session.execute(
            sa.select(Task.id, Task.measure_id, Task.unit_id, Task.state, Task.role,
                      signal_expression(today, warning_days), Task.acknowledged_at)
            .where(*visible, Task.unit_id.in_([u.id for u in units]))).all()
        support = UnitRole.support
        for task_id, measure_id, unit_id, state, role, light, acknowledged_at in rows:
            # the fifth: still waiting for 签收 (open and not acknowledged), marked in the cell
            cells[(measure_id, unit_id)] = (task_id, state.value, light, role is support,
                                            acknowledged_at is None and state in OPEN_STATES)
    rollup = {measure_id: (int(done or 0), int(total)) for measure_id, done, total in db.session.execute(
        sa.select(Task.measure_id, sa.func.sum(sa.case((Task.state == TaskState.completed, 1), else_=0)),
                  sa.func.count(Task.id))
        .where(*visible, Task.state != TaskState.cancelled).group_by(Task.measure_id))}
    return PlanMatrix(measures=measures, units=units, cells=cells, rollup=rollup, groups=groups, kind=kind,
                      page=page, pages=pages)


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


def _row_item(kind: str, row: ProgressReport | Evidence, data: dict[str, Any] | None = None) -> TimelineItem:
    """A report or a file on the timeline: at its own time, by its author (or the link it came through)."""
    actor = row.author if isinstance(row, ProgressReport) else row.uploader
    return TimelineItem(at=row.created_at, kind=kind, actor=actor, obj=row, data=data or {})


#: what a reassigned task shows of the refused task it replaces: the measure's history
EARLIER_ACTIONS = ("task.assigned", "task.acknowledged", "task.refused", "task.refusal_reassigned")


def task_timeline(task: Task, reports: list[ProgressReport] | None = None,
                  evidence: list[Evidence] | None = None) -> list[TimelineItem]:
    """Everything that happened to a task, oldest first: audit entries, reports and files (the
    task's reports and live files are read unless given).

    A report or file takes the place of the audit entry that recorded it, so events at the same
    instant keep the order in which they happened.
    """
    if reports is None:
        reports = list(db.session.scalars(sa.select(ProgressReport).where(ProgressReport.task_id == task.id)
                                          .options(selectinload(ProgressReport.author))))
    if evidence is None:
        evidence = task_evidence(task)
    reports = {r.id: r for r in sorted(reports, key=lambda r: r.id)}
    files = {e.id: e for e in sorted(evidence, key=lambda e: e.id)}
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "task", AuditEntry.object_id == task.id).order_by(AuditEntry.id))
    # the audit actions whose place a report or a file takes: its kind, the key naming it, the rows
    kept = {"task.progress": ("report", "report_id", reports),
            "task.evidence_added": ("evidence", "evidence_id", files),
            "task.evidence_reused": ("evidence", "evidence_id", files)}
    keyed: list[tuple[datetime, int, TimelineItem]] = []
    for seq, entry in enumerate(entries):
        data = entry.data or {}
        if entry.action in kept:
            kind, key, rows = kept[entry.action]
            row = rows.pop(data.get(key), None)
            if row is not None:
                keyed.append((row.created_at, seq, _row_item(kind, row, data)))
            continue
        keyed.append((entry.at, seq, TimelineItem(at=entry.at, kind="audit", actor=entry.actor,
                                                  action=entry.action, data=data)))
    # a task reassigned from a refused one (退回交办) shows that one's history too; its own
    # assignment entry names it, so a task that was not reassigned costs no statement
    earlier_id = next((item.data.get("reassigned_from") for _at, _seq, item in keyed
                       if item.action == "task.assigned" and item.data.get("reassigned_from")), None)
    earlier = db.session.get(Task, earlier_id) if earlier_id else None
    if earlier is not None:
        for seq, entry in enumerate(db.session.scalars(sa.select(AuditEntry).where(
                AuditEntry.object_type == "task", AuditEntry.object_id == earlier.id,
                AuditEntry.action.in_(EARLIER_ACTIONS)).order_by(AuditEntry.id)), start=-(1 << 20)):
            data = {**(entry.data or {}), "earlier_unit": earlier.unit.name}
            keyed.append((entry.at, seq, TimelineItem(at=entry.at, kind="audit", actor=entry.actor,
                                                      action=entry.action, data=data)))
    # reports and files without their audit entry come after, reports first
    tail = 1 << 30
    for rank, (kind, rows) in enumerate((("report", reports), ("evidence", files)), start=1):
        for row in rows.values():
            keyed.append((row.created_at, rank * tail + row.id, _row_item(kind, row)))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [item for _at, _seq, item in keyed]


@dataclass
class TaskPageData:
    """What a task's page shows besides the task, read in a fixed number of statements."""

    evidence: list[Evidence]
    reports: list[ProgressReport]
    extensions: list[ExtensionRequest]
    timeline: list[TimelineItem]

    @property
    def pending(self) -> ExtensionRequest | None:
        return next((x for x in self.extensions if x.state is ExtensionState.pending), None)

    @property
    def reported_periods(self) -> set[str]:
        return {r.period_key for r in self.reports if r.period_key}


def load_task_page(task_id: int) -> Task | None:
    """The task with its measure, plan, unit, owner and extension requests, in one statement."""
    return db.session.scalar(sa.select(Task).where(Task.id == task_id).options(
        joinedload(Task.measure), joinedload(Task.plan), joinedload(Task.unit), joinedload(Task.owner),
        joinedload(Task.extension_requests).joinedload(ExtensionRequest.requested_by),
        joinedload(Task.extension_requests).joinedload(ExtensionRequest.decided_by)))


def task_page(task: Task) -> TaskPageData:
    """A task's files, reports (each with its files), extension requests and timeline: three
    statements (files, reports, audit entries) however many of each there are."""
    files = list(db.session.scalars(sa.select(Evidence).where(Evidence.task_id == task.id)
                                    .options(joinedload(Evidence.uploader)).order_by(Evidence.id)))
    reports = list(db.session.scalars(sa.select(ProgressReport).where(ProgressReport.task_id == task.id)
                                      .options(joinedload(ProgressReport.author))
                                      .order_by(ProgressReport.id.desc())))
    by_report: dict[int, list[Evidence]] = {}
    for item in files:
        if item.report_id is not None:
            by_report.setdefault(item.report_id, []).append(item)
    for report in reports:
        set_committed_value(report, "evidence", by_report.get(report.id, []))
    live = [item for item in files if not item.is_deleted]
    return TaskPageData(evidence=live, reports=reports, extensions=list(task.extension_requests),
                        timeline=task_timeline(task, reports, live))


def task_evidence(task: Task) -> list[Evidence]:
    return list(db.session.scalars(sa.select(Evidence).where(Evidence.task_id == task.id,
                                                             Evidence.is_deleted.is_(False))
                                   .options(selectinload(Evidence.uploader)).order_by(Evidence.id)))


def task_reports(task: Task) -> list[ProgressReport]:
    return list(db.session.scalars(sa.select(ProgressReport).where(ProgressReport.task_id == task.id)
                                   .options(selectinload(ProgressReport.author),
                                            selectinload(ProgressReport.evidence))
                                   .order_by(ProgressReport.id.desc())))


def reusable_evidence(user: Any, task: Task, limit: int = 100) -> list[Evidence]:
    """The unit's files on its other tasks that ``user`` may attach to ``task``, newest first, one
    row per stored file (a file already on ``task`` is left out)."""
    on_task = sa.select(Evidence.stored_name).where(Evidence.task_id == task.id, Evidence.is_deleted.is_(False))
    newest = (sa.select(sa.func.max(Evidence.id))
              .where(access.reusable_evidence_condition(user, task), Evidence.stored_name.not_in(on_task))
              .group_by(Evidence.stored_name))
    return list(db.session.scalars(sa.select(Evidence).where(Evidence.id.in_(newest.scalar_subquery()))
                                   .options(selectinload(Evidence.task).selectinload(Task.measure))
                                   .order_by(Evidence.id.desc()).limit(limit)))


def last_report(task: Task) -> ProgressReport | None:
    """The unit's newest report on ``task``: what its next periodic report starts from."""
    return db.session.scalar(sa.select(ProgressReport).where(ProgressReport.task_id == task.id)
                             .order_by(ProgressReport.id.desc()).limit(1))


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


def pending_refusals(user: Any) -> list[TaskRefusal]:
    """退回交办 waiting for ``user``'s ruling, oldest first."""
    return list(db.session.scalars(
        sa.select(TaskRefusal).join(Task, Task.id == TaskRefusal.task_id)
        .where(TaskRefusal.state == RefusalState.pending, access.refusal_condition(user))
        .options(selectinload(TaskRefusal.task).selectinload(Task.unit),
                 selectinload(TaskRefusal.task).selectinload(Task.measure))
        .order_by(TaskRefusal.id)))


def task_refusals(task: Task) -> list[TaskRefusal]:
    return list(db.session.scalars(sa.select(TaskRefusal).where(TaskRefusal.task_id == task.id)
                                   .order_by(TaskRefusal.id)))


def return_reasons(task_ids: list[int]) -> dict[int, str]:
    """The reason of each task's latest 退回, for the returned ones among ``task_ids``: one query."""
    if not task_ids:
        return {}
    latest = (sa.select(sa.func.max(AuditEntry.id))
              .where(AuditEntry.object_type == "task", AuditEntry.object_id.in_(task_ids),
                     AuditEntry.action == "task.returned")
              .group_by(AuditEntry.object_id))
    rows = db.session.execute(sa.select(AuditEntry.object_id, AuditEntry.data).where(AuditEntry.id.in_(latest)))
    return {object_id: str((data or {}).get("reason") or "") for object_id, data in rows}


def last_return(task: Task) -> dict[str, Any] | None:
    """The latest 退回 of a returned task: its reason, when, and by whom; None otherwise."""
    if task.state is not TaskState.returned:
        return None
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.object_type == "task", AuditEntry.object_id == task.id, AuditEntry.action == "task.returned")
        .order_by(AuditEntry.id.desc()).limit(1))
    if entry is None:
        return None
    return {"reason": (entry.data or {}).get("reason") or "", "at": entry.at, "actor": entry.actor,
            "count": task.return_count}


@dataclass
class ReviewFiles:
    """A submitted task's files as the review queue shows them."""

    items: list[Evidence]
    #: ids of the files this reviewer has opened
    opened: set[int]

    @property
    def first(self) -> Evidence | None:
        """The file the thumbnail shows: the first image, else the first PDF, else the first file."""
        for kinds in (("image/",), ("application/pdf",)):
            for item in self.items:
                if item.content_type.startswith(kinds):
                    return item
        return self.items[0] if self.items else None

    @property
    def all_opened(self) -> bool:
        return bool(self.items) and all(item.id in self.opened for item in self.items)


def review_evidence(task_ids: list[int], user: Any) -> dict[int, ReviewFiles]:
    """The files of each task and which ``user`` opened: two queries for the whole queue."""
    found: dict[int, ReviewFiles] = {task_id: ReviewFiles(items=[], opened=set()) for task_id in task_ids}
    if not task_ids:
        return found
    items = list(db.session.scalars(sa.select(Evidence).where(
        Evidence.task_id.in_(task_ids), Evidence.is_deleted.is_(False)).order_by(Evidence.id)))
    opened = set(db.session.scalars(sa.select(EvidenceOpening.evidence_id).where(
        EvidenceOpening.user_id == user.id, EvidenceOpening.evidence_id.in_([e.id for e in items]))))
    for item in items:
        found[item.task_id].items.append(item)
        if item.id in opened:
            found[item.task_id].opened.add(item.id)
    return found
