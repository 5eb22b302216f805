"""The task tally table (see tracker/tally/services.py for what each row counts)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import db


class TaskTally(db.Model):
    """How many tasks of one plan and unit fall under one facet on one day.

    A facet is a fact about a task that the dashboard counts ("state:completed", "due" on its
    deadline, "warn" on the first day its light is no longer green, ...). A dated facet is kept
    twice: once on its day (``day`` = the date's ordinal, a "fine" row) and once in its 32-day
    block (``day`` = 0, a "coarse" row); the count up to any day is the coarse rows of the blocks
    before it plus the fine rows of its own block, a few rows per unit whatever the number of tasks.
    ``since`` is a second date (an ordinal) for the one facet that needs two, 0 otherwise.
    """

    __tablename__ = "task_tally"

    # key order: a query names its plans, then reads one range of days per facet (every unit's)
    #: a plan (rows per plan and unit), minus a plan (the plan as a whole, unit 0), or 0 (per unit,
    #: over every live plan)
    plan_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    facet: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    day: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    block: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    since: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tasks: Mapped[int] = mapped_column(default=0)
    #: the sum of the tasks' return counts (state rows only)
    returns: Mapped[int] = mapped_column(default=0)
    #: completed by the original deadline (state rows only)
    on_time: Mapped[int] = mapped_column(default=0)
