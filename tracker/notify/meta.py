"""The installation's own facts in ``app_meta``: when it was installed, when each job last ran.

The install time is written once (by the migration, or by the first start of a database made
without migrations) and never moved: the scheduler issues nothing for a run due before it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from tracker.db import insert_ignoring
from tracker.extensions import db
from tracker.notify.models import AppMeta

INSTALLED_AT = "installed_at"
_table = AppMeta.__table__


def _read(key: str) -> datetime | None:
    value = db.session.scalar(sa.select(AppMeta.value).where(AppMeta.key == key))
    return datetime.fromisoformat(value) if value else None


def installed_at(*, now: datetime) -> datetime:
    """When this installation was set up; recorded as ``now`` the first time it is asked."""
    db.session.execute(insert_ignoring(_table, "key").values(key=INSTALLED_AT, value=now.isoformat()))
    return _read(INSTALLED_AT) or now


def last_run(job: str) -> datetime | None:
    return _read(f"last_run:{job}")


def record_run(job: str, at: datetime) -> None:
    """Remember that ``job`` ran for its run due at ``at`` (commits with the caller)."""
    key = f"last_run:{job}"
    updated = db.session.execute(sa.update(_table).where(_table.c.key == key).values(value=at.isoformat())).rowcount
    if not updated:
        db.session.execute(insert_ignoring(_table, "key").values(key=key, value=at.isoformat()))
