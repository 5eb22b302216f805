"""Catch-up with judgement: a missed run within the grace window runs at start, an older one is
skipped with a log line, and nothing is issued for a run due before the install or the plan."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tracker.notices.models import SupervisionNotice
from tracker.notices.services import issue_due_period
from tracker.notify import meta
from tracker.notify.models import AppMeta, OutboxEmail, OutboxStatus
from tracker.notify.scheduler import build_scheduler


def set_installed(db, when: datetime) -> None:
    db.session.execute(sa.delete(AppMeta))
    db.session.add(AppMeta(key=meta.INSTALLED_AT, value=when.isoformat()))
    db.session.commit()


def immediate(scheduler) -> set[str]:
    """The jobs that run at start (a next run time set before the scheduler starts)."""
    return {job.id for job in scheduler.get_jobs() if getattr(job, "next_run_time", None) is not None}


def test_install_time_is_recorded_once(db):
    db.session.execute(sa.delete(AppMeta))
    first = datetime(2026, 3, 2, tzinfo=UTC)
    assert meta.installed_at(now=first) == first
    assert meta.installed_at(now=first + timedelta(days=5)) == first


def test_first_start_runs_no_sweep_and_no_notices(app, db):
    now = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    db.session.execute(sa.delete(AppMeta))
    db.session.commit()
    scheduler = build_scheduler(app, holder="t", now=now)
    assert scheduler.missed == {"reminders": None, "notices": None}
    assert immediate(scheduler) == {"lease", "outbox"}


def test_missed_sweep_within_grace_runs_at_start(app, db):
    set_installed(db, datetime(2026, 3, 1, tzinfo=UTC))
    meta.record_run("reminders", datetime(2026, 3, 3, 0, 30, tzinfo=UTC))
    db.session.commit()
    # down from 3 March (after its 08:30 sweep) to 5 March 10:00 Shanghai: the 5 March 08:30 run is made up
    now = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    scheduler = build_scheduler(app, holder="t", now=now)
    assert scheduler.missed["reminders"] == datetime(2026, 3, 5, 0, 30, tzinfo=UTC)
    assert "reminders" in immediate(scheduler)
    # the job it starts with runs the sweep and records the run, so a restart does not repeat it
    from tracker.notify import jobs

    assert jobs.reminders(app, "t") is not None
    ran = meta.last_run("reminders")
    assert ran is not None and ran > now
    assert build_scheduler(app, holder="t2", now=ran + timedelta(minutes=5)).missed["reminders"] is None


def test_missed_run_older_than_grace_is_skipped_with_a_log_line(app, db, caplog):
    set_installed(db, datetime(2025, 12, 1, tzinfo=UTC))
    meta.record_run("notices", datetime(2025, 12, 20, tzinfo=UTC))
    db.session.commit()
    now = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)  # the 1 January run is nine days old
    with caplog.at_level(logging.WARNING, logger="tracker.notify.scheduler"):
        scheduler = build_scheduler(app, holder="t", now=now)
    assert scheduler.missed["notices"] is None and "notices" not in immediate(scheduler)
    assert any("skipped the run due 2026-01-01" in r.getMessage() for r in caplog.records)


def test_no_notices_for_a_period_due_before_the_install(app, db, people, make_task):
    make_task(people.unit, date(2026, 12, 31))
    installed = datetime(2026, 12, 6, tzinfo=UTC)  # the 1 July issue came before the install
    assert issue_due_period(now=installed + timedelta(hours=1), since=installed) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionNotice)) == 0


def test_no_notices_for_plans_made_after_the_issue_date(app, db, people, make_task):
    task = make_task(people.unit, date(2026, 12, 31))
    task.plan.created_at = datetime(2026, 7, 2, tzinfo=UTC)
    db.session.commit()
    installed = datetime(2026, 6, 1, tzinfo=UTC)
    assert issue_due_period(now=datetime(2026, 7, 2, 3, tzinfo=UTC), since=installed) == []
    task.plan.created_at = datetime(2026, 6, 20, tzinfo=UTC)
    db.session.commit()
    assert len(issue_due_period(now=datetime(2026, 7, 2, 3, tzinfo=UTC), since=installed)) == 1


def test_first_start_on_demo_data_queues_nothing_for_past_periods(app, db, runner):
    """``make run`` on a fresh database: demo data, then the scheduler's first start."""
    db.session.execute(sa.delete(AppMeta))
    db.session.commit()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
    # demo history: past reminders shown as sent, nothing old left to mail
    kinds = set(db.session.scalars(sa.select(OutboxEmail.kind).where(OutboxEmail.status == OutboxStatus.sent)))
    assert {"task_assigned", "task_due", "task_overdue"} <= kinds
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.status.in_([OutboxStatus.pending, OutboxStatus.held])))
    now = datetime.now(UTC)
    scheduler = build_scheduler(app, holder="t", now=now)
    assert immediate(scheduler) == {"lease", "outbox"}
    # even if the notices job fires now, the half year's issue date came before the install
    from tracker.notify import jobs

    jobs.notices(app, "t")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionNotice)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == before


def test_links_follow_the_served_address(app, db, people, make_task):
    """No BASE_URL: messages, also the scheduler's (no request), link to where ``make run`` serves."""
    from tracker.devserver import served_url
    from tracker.notify import links, services

    app.config.update(BASE_URL=None, SERVED_URL=served_url("127.0.0.1", 5055))
    task = make_task(people.unit, date(2026, 3, 5), owner=people.member)
    assert links.task_url(task) == f"http://127.0.0.1:5055/tasks/{task.id}"
    services.run_reminders(now=datetime(2026, 3, 2, 2, tzinfo=UTC))
    db.session.commit()
    row = db.session.scalars(sa.select(OutboxEmail)).one()
    # the unit's person gets the task's one-task link, at the served address
    assert "http://127.0.0.1:5055/l/" in row.body_text
    app.config["BASE_URL"] = "https://duban.example.gov.cn/"
    assert links.task_url(task) == f"https://duban.example.gov.cn/tasks/{task.id}"
    assert served_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
