"""What the scheduler runs: thin wrappers that open an app context, call a service, commit.

Only the holder of the scheduler lease runs sweeps, so two scheduler processes against one
database do the work once; the sweeps are idempotent anyway (dedupe keys), the lease saves work
and keeps two dispatchers from racing for the same SMTP server.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from tracker.db import insert_ignoring, utcnow
from tracker.extensions import db
from tracker.notices.services import issue_due_period
from tracker.notify import meta
from tracker.notify.dispatch import send_pending
from tracker.notify.models import SchedulerLease
from tracker.notify.services import run_reminders

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_SECONDS = 90
RENEW_SECONDS = 30
_lease = SchedulerLease.__table__


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(holder: str, *, now: datetime, name: str = LEASE_NAME, seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew the lease: a conditional UPDATE (ours, or expired), else a first INSERT. Commits."""
    expires = now + timedelta(seconds=seconds)
    renew = (sa.update(_lease)
             .where(_lease.c.name == name, sa.or_(_lease.c.holder == holder, _lease.c.expires_at < now))
             .values(holder=holder, expires_at=expires))
    updated = db.session.execute(renew).rowcount
    if not updated:
        updated = db.session.execute(
            insert_ignoring(_lease, "name").values(name=name, holder=holder, expires_at=expires)
            .returning(_lease.c.name)
        ).scalar() is not None
        if not updated:
            # the row appeared meanwhile, perhaps inserted by this process's other thread (a job
            # starting beside the lease job): it is ours if it names us
            updated = db.session.execute(renew).rowcount
    db.session.commit()
    return bool(updated)


def release_lease(holder: str, *, name: str = LEASE_NAME) -> None:
    db.session.execute(sa.delete(_lease).where(_lease.c.name == name, _lease.c.holder == holder))
    db.session.commit()


def _guarded(app: Flask, holder: str, work, label: str, *, record: bool = False):
    with app.app_context():
        try:
            now = utcnow()
            if not acquire_lease(holder, now=now):
                log.debug("%s skipped: another scheduler holds the lease", label)
                return None
            result = work(now)
            if record:
                meta.record_run(label, now)
            db.session.commit()
            log.info("%s: %s", label, result)
            return result
        except Exception:
            db.session.rollback()
            log.exception("%s failed", label)
            return None
        finally:
            db.session.remove()


def renew_lease(app: Flask, holder: str) -> bool:
    with app.app_context():
        try:
            return acquire_lease(holder, now=utcnow())
        finally:
            db.session.remove()


def reminders(app: Flask, holder: str):
    return _guarded(app, holder, lambda now: run_reminders(now=now), "reminders", record=True)


def outbox(app: Flask, holder: str):
    return _guarded(app, holder, lambda now: send_pending(now=now, limit=int(app.config.get("OUTBOX_BATCH", 100))),
                    "outbox")


def notices(app: Flask, holder: str):
    return _guarded(app, holder, lambda now: len(issue_due_period(now=now, since=meta.installed_at(now=now))),
                    "notices", record=True)
