"""The 台账's columns, in one list: the header, the width, the kind of cell, and where each value
comes from. The query, the .xlsx and the .csv all read this list, so a new column is one line here.

编号 is the measure's full path in the plan's own numbering (三、（二）1.), the light says why a
yellow one is yellow (黄灯（临期）, 黄灯（滞后）), and the sheet opens with a title row naming
the plan and the date it was made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker import timeutil
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plans.models import Measure, Plan, number_label
from tracker.tasks.filters import TaskFilters, filter_conditions
from tracker.tasks.labels import LIGHT_LABELS, SIGNAL_LABELS, role_label, state_label
from tracker.tasks.lights import BEHIND, DUE_SOON, SIGNAL_COLOURS, signal_expression
from tracker.tasks.models import OPEN_STATES, Evidence, Task, TaskState, UnitRole
from tracker.units.models import Unit


@dataclass
class Context:
    """What the values of one export share: the date, the labels in the current language, the paths."""

    today: date
    warning_days: int
    #: the local time zone, looked up once (办结日期 is the local date of each completion)
    tz: Any = None
    paths: dict[int, str] = field(default_factory=dict)
    states: dict[Any, str] = field(default_factory=dict)
    roles: dict[Any, str] = field(default_factory=dict)
    lights: dict[str, str] = field(default_factory=dict)
    #: the evidence count per task, a grouped subquery the query joins
    evidence: Any = None


@dataclass(frozen=True)
class Column:
    header: Any
    #: width in Excel character units (a Chinese character is about two)
    width: int
    #: "text", "number", "date" (a date cell) or "serial" (the row's number, 序号)
    kind: str = "text"
    #: the SQL value of the column (given the export's context), or None for the row number
    sql: Callable[[Context], Any] | None = None
    #: turns the SQL value into the cell's value; None keeps it as it is
    show: Callable[[Any, Context], Any] | None = None


def _evidence_counts() -> Any:
    return (sa.select(Evidence.task_id, sa.func.count().label("n"))
            .where(Evidence.is_deleted.is_(False)).group_by(Evidence.task_id).subquery("evidence_counts"))


_owner = sa.orm.aliased(User, name="owner")


def _completed_on(value: datetime | None, ctx: Context) -> date | None:
    return value.astimezone(ctx.tz).date() if value is not None else None


#: stands in the 签收 column for an open task its unit has not acknowledged (no 签收 is this old)
_WAITING = datetime(1970, 1, 1, tzinfo=UTC)


def _acknowledged_sql() -> Any:
    """The 签收 time, or ``_WAITING`` for an open task not yet acknowledged (None for a closed one)."""
    waiting = sa.and_(Task.acknowledged_at.is_(None), Task.state.in_(OPEN_STATES))
    return sa.case((waiting, sa.literal(_WAITING, type_=Task.acknowledged_at.type)), else_=Task.acknowledged_at)


def _acknowledged(value: datetime | None) -> str:
    """The 签收 time as local text; 未签收 for an open task still waiting; blank otherwise."""
    if value is None:
        return ""
    if value.replace(tzinfo=value.tzinfo or UTC) == _WAITING:
        return str(_l("未签收"))
    return timeutil.to_local(value).strftime("%Y-%m-%d %H:%M")


#: the ledger's columns, in order (签收时间 and any later one: a line here)
COLUMNS: list[Column] = [
    Column(_l("序号"), 6, "serial"),
    Column(_l("计划"), 24, sql=lambda ctx: Plan.title),
    Column(_l("编号"), 12, sql=lambda ctx: Task.measure_id, show=lambda v, ctx: ctx.paths.get(v, "")),
    Column(_l("工作任务"), 50, sql=lambda ctx: Measure.text),
    Column(_l("责任单位"), 18, sql=lambda ctx: Unit.name),
    Column(_l("牵头/配合"), 10, sql=lambda ctx: Task.role, show=lambda v, ctx: ctx.roles[v]),
    Column(_l("责任人"), 10, sql=lambda ctx: _owner.name, show=lambda v, ctx: v or ""),
    Column(_l("原定时限"), 12, "date", sql=lambda ctx: Task.original_due_on),
    Column(_l("延期时限"), 12, "date", sql=lambda ctx: sa.case((Task.due_on != Task.original_due_on, Task.due_on))),
    Column(_l("办结日期"), 12, "date", sql=lambda ctx: sa.case((Task.state == TaskState.completed, Task.completed_at)),
           show=_completed_on),
    Column(_l("状态"), 10, sql=lambda ctx: Task.state, show=lambda v, ctx: ctx.states[v]),
    Column(_l("灯号"), 14, sql=lambda ctx: signal_expression(ctx.today, ctx.warning_days),
           show=lambda v, ctx: ctx.lights.get(v, v)),
    Column(_l("最新进展"), 40, sql=lambda ctx: Task.last_progress_text, show=lambda v, ctx: v or ""),
    Column(_l("佐证材料数"), 11, "number", sql=lambda ctx: sa.func.coalesce(ctx.evidence.c.n, 0)),
    Column(_l("退回次数"), 9, "number", sql=lambda ctx: Task.return_count),
    Column(_l("签收时间"), 17, sql=lambda ctx: _acknowledged_sql(), show=lambda v, ctx: _acknowledged(v)),
]


def headers() -> list[str]:
    return [str(c.header) for c in COLUMNS]


def widths() -> list[int]:
    return [c.width for c in COLUMNS]


def kinds() -> list[str]:
    return [c.kind for c in COLUMNS]


def context(today: date, warning_days: int) -> Context:
    """The labels in the current language, looked up once per export, not once per row."""
    lights = {signal: str(LIGHT_LABELS[colour]) for signal, colour in SIGNAL_COLOURS.items()}
    for signal in (DUE_SOON, BEHIND):
        lights[signal] = f"{LIGHT_LABELS['yellow']}（{SIGNAL_LABELS[signal]}）"
    return Context(today=today, warning_days=warning_days, tz=timeutil.local_tz(),
                   states={s: state_label(s) for s in TaskState}, roles={r: role_label(r) for r in UnitRole},
                   lights=lights)


def query(conditions: list[Any], ctx: Context) -> sa.Select:
    """One row per task with the SQL columns, in ``COLUMNS`` order (the row number excepted)."""
    evidence = ctx.evidence = _evidence_counts()
    columns = [column.sql(ctx).label(f"c{i}") for i, column in enumerate(COLUMNS) if column.sql is not None]
    return (
        sa.select(*columns)
        .join_from(Task, Plan, Plan.id == Task.plan_id).join(Measure, Measure.id == Task.measure_id)
        .join(Unit, Unit.id == Task.unit_id)
        .outerjoin(_owner, _owner.id == Task.owner_id)
        .outerjoin(evidence, evidence.c.task_id == Task.id)
        .where(*conditions)
        .order_by(Task.plan_id, Measure.position, Unit.sort_order, Task.unit_id)
    )


def measure_paths(plan_ids: Any) -> dict[int, str]:
    """Each measure's full number, its ancestors' numbers first: 三、（二）1."""
    rows = db.session.execute(sa.select(Measure.id, Measure.parent_id, Measure.number)
                              .where(Measure.plan_id.in_(plan_ids))).all()
    parents = {mid: parent for mid, parent, _n in rows}
    own = {mid: number_label(number or "").rstrip(" ，,") for mid, _p, number in rows}
    paths: dict[int, str] = {}

    def path(mid: int) -> str:
        if mid in paths:
            return paths[mid]
        chain, seen, node = [], set(), mid
        while node is not None and node in own and node not in seen:
            seen.add(node)
            chain.append(own[node])
            node = parents.get(node)
        paths[mid] = "".join(reversed(chain))
        return paths[mid]

    for mid in own:
        path(mid)
    return paths


def values(rows: Iterable[Any], ctx: Context) -> Iterator[list[Any]]:
    """Each query row as the cells of ``COLUMNS``."""
    shows = [c.show for c in COLUMNS if c.sql is not None]
    serials = [i for i, c in enumerate(COLUMNS) if c.kind == "serial"]
    for n, row in enumerate(rows, start=1):
        cells = [value if show is None else show(value, ctx) for show, value in zip(shows, row, strict=True)]
        for i in serials:
            cells.insert(i, n)
        yield cells


def title(plan_title: str | None) -> str:
    """The title row: the plan's (when the export is of one plan) and the word 台账."""
    return _("%(plan)s任务台账", plan=plan_title) if plan_title else _("任务台账")


@dataclass
class Export:
    title: str
    today: date
    values: Iterator[list[Any]]


def export(user: User, filters: TaskFilters, now: datetime, warning_days: int, visible: Any) -> Export:
    """The ledger of the tasks ``user`` sees under ``filters``: its title, its date and its rows."""
    today = timeutil.local_today(now)
    ctx = context(today, warning_days)
    conditions = [visible, *filter_conditions(filters, today, warning_days)]
    plan_ids = sa.select(Task.plan_id).where(*conditions).distinct()
    ctx.paths = measure_paths(plan_ids)
    plan_title = None
    if filters.plan_id is not None:
        plan_title = db.session.scalar(sa.select(Plan.title).where(Plan.id == filters.plan_id))
    rows = db.session.execute(query(conditions, ctx).execution_options(yield_per=2000))
    return Export(title=title(plan_title), today=today, values=values(rows, ctx))
