"""The scheduler process (``flask scheduler run``): a clock that calls idempotent sweeps.

APScheduler 3 with the memory job store, fixed job ids and ``replace_existing``; each trigger
carries the configured time zone explicitly (never the host's). Every job also runs once at
start-up, so downtime is caught up by the sweeps' windows, not by misfire handling. It is
never started inside ``create_app`` or a web worker.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from tracker.notify import jobs

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


def build_scheduler(app: Flask, holder: str | None = None) -> BlockingScheduler:
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
    scheduler.add_job(jobs.reminders, CronTrigger(hour=hour, minute=minute, timezone=tz), id="reminders",
                      name="reminder sweep", misfire_grace_time=grace, next_run_time=start, **common)
    scheduler.add_job(jobs.outbox, IntervalTrigger(minutes=1, timezone=tz), id="outbox", name="outbox dispatch",
                      misfire_grace_time=60, next_run_time=start, **common)
    scheduler.add_job(jobs.notices, notice_trigger(app.config.get("NOTICE_SCHEDULE", ""), tz), id="notices",
                      name="half-year supervision notices", misfire_grace_time=grace, next_run_time=start, **common)
    scheduler.holder = holder
    return scheduler
