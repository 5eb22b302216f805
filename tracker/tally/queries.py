"""Counts up to a day from the task tally: coarse rows of the blocks before it, fine rows of its own."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from tracker import access
from tracker.access import task_condition
from tracker.plans.models import Plan
from tracker.tally.models import TaskTally
from tracker.tally.services import ALL_PLANS, BLOCK_SHIFT, block_of

T = TaskTally.__table__.c


def upto(cut: date, facet: str | None = None) -> ColumnElement[bool]:
    """The rows whose sum is the count of the facet's days on or before ``cut``: two ranges of the
    key (with ``facet`` named in each, so that each is one index range)."""
    o = cut.toordinal()
    b = block_of(o)
    named = [T.facet == facet] if facet is not None else []
    return sa.or_(sa.and_(*named, T.day == 0, T.block < b), sa.and_(*named, T.day >= b << BLOCK_SHIFT, T.day <= o))


def visible(user: Any, plan_id: int | None = None) -> list[ColumnElement[bool]]:
    """The per-(plan, unit) rows of the tasks ``user`` may see (tracker.access's task rule), live
    plans only."""
    live = sa.select(Plan.id).where(Plan.is_deleted.is_(False)).scalar_subquery()
    conditions = [task_condition(user, T.plan_id, T.unit_id), T.plan_id.in_(live)]
    if plan_id is not None:
        conditions.append(T.plan_id == plan_id)
    return conditions


def visible_whole(user: Any, plan_id: int | None = None) -> ColumnElement[bool]:
    """The rows of whole plans (kept under minus the plan's id) of the live plans ``user`` sees
    entirely; none for people who see only some units' tasks."""
    if not access.sees_whole_plans(user):
        return sa.false()
    plans = sa.select(-Plan.id).where(Plan.is_deleted.is_(False), access.plan_condition(user))
    if plan_id is not None:
        plans = plans.where(Plan.id == plan_id)
    return T.plan_id.in_(plans.scalar_subquery())


def facet_counts(user: Any, plan_id: int | None, plain: list[str],
                 dated: list[tuple[str, date, int | None]], level: str = "pair") -> sa.Select:
    """Per (plan, unit, facet): tasks, returns, on time; ``plain`` facets whole, each ``dated`` facet
    up to its day (and, when given, with ``since`` up to that ordinal). ``level``: "pair" reads the
    (plan, unit) rows the user may see; "plan" the rows of whole plans and "unit" the per-unit
    rows over every live plan (plan 0), for a user who sees everything."""
    parts = [T.facet.in_(plain)]
    for facet, cut, since in dated:
        o = cut.toordinal()
        b = block_of(o)
        extra = [T.since <= since] if since is not None else []
        parts.append(sa.and_(T.facet == facet, T.day == 0, T.block < b, *extra))
        parts.append(sa.and_(T.facet == facet, T.day >= b << BLOCK_SHIFT, T.day <= o, *extra))
    # every part is one range of the key once the plan is fixed, read apart (UNION ALL)
    if level == "unit":
        scope = [T.plan_id == ALL_PLANS]
    elif level == "plan":
        scope = [visible_whole(user, plan_id)]
    else:
        scope = visible(user, plan_id)
    rows = sa.union_all(*[sa.select(T.plan_id, T.unit_id, T.facet, T.tasks, T.returns, T.on_time)
                          .where(*scope, part) for part in parts]).subquery()
    plan = sa.func.abs(rows.c.plan_id) if level == "plan" else rows.c.plan_id
    return (sa.select(plan, rows.c.unit_id, rows.c.facet, sa.func.sum(rows.c.tasks),
                      sa.func.sum(rows.c.returns), sa.func.sum(rows.c.on_time))
            .group_by(plan, rows.c.unit_id, rows.c.facet))


def prefix_sums(user: Any, plan_id: int | None, facets: list[str], cuts: list[date]) -> sa.Select:
    """Per facet, the count up to each of ``cuts`` (one column per cut), over everything visible."""
    blocks = sorted({block_of(c.toordinal()) for c in cuts})
    columns = [sa.func.sum(sa.case((upto(cut), T.tasks), else_=0)) for cut in cuts]
    return (sa.select(T.facet, *columns)
            .where(visible_whole(user, plan_id), T.facet.in_(facets),
                   sa.or_(sa.and_(T.day == 0, T.block <= blocks[-1]),
                          *[sa.and_(T.day >= b << BLOCK_SHIFT, T.day < (b + 1) << BLOCK_SHIFT) for b in blocks]))
            .group_by(T.facet))
