"""Counts up to a day from the task tally: coarse rows of the blocks before it, fine rows of its own."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from tracker.access import task_condition
from tracker.plans.models import Plan
from tracker.tally.models import TaskTally
from tracker.tally.services import BLOCK_SHIFT, block_of

T = TaskTally.__table__.c


def upto(cut: date) -> ColumnElement[bool]:
    """The rows whose sum is the count of the facet's days on or before ``cut``."""
    o = cut.toordinal()
    b = block_of(o)
    return sa.or_(sa.and_(T.day == 0, T.block < b), sa.and_(T.day >= b << BLOCK_SHIFT, T.day <= o))


def visible(user: Any, plan_id: int | None = None) -> list[ColumnElement[bool]]:
    """The tally rows of the tasks ``user`` may see (tracker.access's task rule), live plans only."""
    live = sa.select(Plan.id).where(Plan.is_deleted.is_(False)).scalar_subquery()
    conditions = [task_condition(user, T.plan_id, T.unit_id), T.plan_id.in_(live)]
    if plan_id is not None:
        conditions.append(T.plan_id == plan_id)
    return conditions


def facet_counts(user: Any, plan_id: int | None, plain: list[str],
                 dated: list[tuple[str, date, int | None]]) -> sa.Select:
    """Per (plan, unit, facet): tasks, returns, on time; ``plain`` facets whole, each ``dated`` facet
    up to its day (and, when given, with ``since`` up to that ordinal)."""
    parts = [T.facet.in_(plain)]
    for facet, cut, since in dated:
        condition = sa.and_(T.facet == facet, upto(cut))
        if since is not None:
            condition = sa.and_(condition, T.since <= since)
        parts.append(condition)
    return (sa.select(T.plan_id, T.unit_id, T.facet, sa.func.sum(T.tasks), sa.func.sum(T.returns),
                      sa.func.sum(T.on_time))
            .where(*visible(user, plan_id), sa.or_(*parts))
            .group_by(T.plan_id, T.unit_id, T.facet))


def prefix_sums(user: Any, plan_id: int | None, facets: list[str], cuts: list[date]) -> sa.Select:
    """Per facet, the count up to each of ``cuts`` (one column per cut), over everything visible."""
    blocks = sorted({block_of(c.toordinal()) for c in cuts})
    columns = [sa.func.sum(sa.case((upto(cut), T.tasks), else_=0)) for cut in cuts]
    return (sa.select(T.facet, *columns)
            .where(*visible(user, plan_id), T.facet.in_(facets),
                   sa.or_(sa.and_(T.day == 0, T.block <= blocks[-1]),
                          *[sa.and_(T.day >= b << BLOCK_SHIFT, T.day < (b + 1) << BLOCK_SHIFT) for b in blocks]))
            .group_by(T.facet))
