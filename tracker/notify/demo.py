"""Demo history of the outbox: the reminders the past weeks would have sent, marked sent.

The scheduler never writes history: the demo plays the sweeps of a few past days itself, then
marks every demo message as sent when it was written, so a first start shows sent reminders and
mails nothing old, and the scheduler goes on from today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from tracker.extensions import db
from tracker.notify.models import OutboxEmail, OutboxStatus
from tracker.notify.services import run_reminders

_table = OutboxEmail.__table__


def load_history(*, now: datetime, days_ago: Sequence[int] = (16, 9, 5, 2)) -> int:
    """Run the reminder sweep as it ran ``days_ago``, then mark the demo's messages sent; the count."""
    for days in sorted(days_ago, reverse=True):
        run_reminders(now=now - timedelta(days=days))
    sent = db.session.execute(
        sa.update(_table).where(_table.c.status.in_([OutboxStatus.pending, OutboxStatus.held]))
        .values(status=OutboxStatus.sent, sent_at=_table.c.created_at, attempts=1)
    ).rowcount
    db.session.flush()
    return sent or 0
