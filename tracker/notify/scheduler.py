"""The scheduler process (``flask scheduler run``): a clock that calls idempotent sweeps.

APScheduler 3 with the memory job store, fixed job ids and ``replace_existing``; each trigger
carries the configured time zone explicitly (never the host's). It is never started inside
``create_app`` or a web worker.

Catch-up with judgement: at start, a daily or half-yearly job whose last scheduled run was missed
(after the install and after its last recorded run) runs once at once when that run is at most
``SCHEDULER_CATCHUP_DAYS`` old (default 3); an older missed run is skipped with a log line, and a
run due before the install never happens, so a first start on old data issues no 督办单 and queues
no reminders. The lease and the outbox dispatch run at start as before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from tracker.db import utcnow
from tracker.extensions import db
from tracker.notify import jobs, meta

log = logging.getLogger(__name__)

JOB_IDS = ("lease", "reminders", "outbox", "notices")


def _hour_minute(value: str) -> tuple[int, int]:
    hour, _sep, minute = (value or "08:30").partition(":")
    return int(hour), int(minute or 0)


def notice_trigger(schedule: str, tz: ZoneInfo) -> OrTrigger:
    """NOTICE_SCHEDULE "01-01 09:00,07-01 09:00" as cron triggers (month/day/hour/minute)."""
    triggers = []
    for part in (schedule or "").split(","):
        part = part.strip()
        if not part:
            continue
        day_part, _sep, time_part = part.partition(" ")
        month, day = (int(x) for x in day_part.split("-"))
        hour, minute = _hour_minute(time_part or "09:00")
        triggers.append(CronTrigger(month=month, day=day, hour=hour, minute=minute, timezone=tz))
    return OrTrigger(triggers)


def last_missed(trigger, since: datetime, now: datetime) -> datetime | None:
    """The latest fire time of ``trigger`` in (``since``, ``now``]; None when none fell there."""
    found, fire = None, trigger.get_next_fire_time(None, since + timedelta(seconds=1))
    while fire is not None and fire <= now:
        found = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return found


def catch_up(job: str, trigger, *, now: datetime, grace: timedelta) -> datetime | None:
    """The missed run of ``job`` to make up at start, or None (nothing missed, or too old: logged)."""
    since = meta.installed_at(now=now)
    previous = meta.last_run(job)
    if previous is not None and previous > since:
        since = previous
    missed = last_missed(trigger, since, now)
    if missed is None:
        return None
    if now - missed > grace:
        log.warning("%s: skipped the run due %s, missed by more than %s", job, missed.isoformat(), grace)
        return None
    log.info("%s: catching up the run due %s", job, missed.isoformat())
    return missed


def build_scheduler(app: Flask, holder: str | None = None, *, now: datetime | None = None) -> BlockingScheduler:
    """The scheduler with its four jobs, not started."""
    tz = ZoneInfo(app.config.get("TIMEZONE") or "Asia/Shanghai")
    holder = holder or jobs.new_holder()
    grace = int(app.config.get("SCHEDULER_MISFIRE_GRACE", 3600))
    # sweeps one after another on their own thread; the lease is renewed beside a long sweep
    scheduler = BlockingScheduler(timezone=tz, executors={"default": ThreadPoolExecutor(1),
                                                          "lease": ThreadPoolExecutor(1)},
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace})
    start = datetime.now(tz)
    hour, minute = _hour_minute(app.config.get("REMINDER_SWEEP_TIME", "08:30"))
    common = {"replace_existing": True, "coalesce": True, "max_instances": 1, "args": (app, holder)}
    scheduler.add_job(jobs.renew_lease, IntervalTrigger(seconds=jobs.RENEW_SECONDS, timezone=tz), id="lease",
                      name="scheduler lease", executor="lease", misfire_grace_time=jobs.RENEW_SECONDS,
                      next_run_time=start, **common)
    reminder_trigger = CronTrigger(hour=hour, minute=minute, timezone=tz)
    notices_trigger = notice_trigger(app.config.get("NOTICE_SCHEDULE", ""), tz)
    window = timedelta(days=int(app.config.get("SCHEDULER_CATCHUP_DAYS", 3)))
    clock = now or utcnow()
    with app.app_context():
        missed = {name: catch_up(name, trigger, now=clock, grace=window)
                  for name, trigger in (("reminders", reminder_trigger), ("notices", notices_trigger))}
        db.session.commit()
        db.session.remove()
    # a job with nothing to catch up waits for its next fire time (APScheduler's default)
    scheduler.add_job(jobs.reminders, reminder_trigger, id="reminders", name="reminder sweep",
                      misfire_grace_time=grace, **({"next_run_time": start} if missed["reminders"] else {}), **common)
    scheduler.add_job(jobs.outbox, IntervalTrigger(minutes=1, timezone=tz), id="outbox", name="outbox dispatch",
                      misfire_grace_time=60, next_run_time=start, **common)
    scheduler.add_job(jobs.notices, notices_trigger, id="notices", name="half-year supervision notices",
                      misfire_grace_time=grace, **({"next_run_time": start} if missed["notices"] else {}), **common)
    scheduler.missed = missed
    scheduler.holder = holder
    return scheduler
