"""The scheduler's jobs and time zones (not started), the lease, two schedulers at once, the CLI."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger

from tracker.notices.models import SupervisionNotice
from tracker.notices.services import issue_due_period, period_issue_time
from tracker.notify import jobs, services
from tracker.notify.models import OutboxEmail, OutboxStatus
from tracker.notify.scheduler import JOB_IDS, build_scheduler


def test_job_list_and_time_zones(app, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    scheduler = build_scheduler(app, holder="test")
    jobs_by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs_by_id) == set(JOB_IDS)
    assert str(scheduler.timezone) == "Asia/Shanghai"
    for job in jobs_by_id.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 30
        triggers = getattr(job.trigger, "triggers", [job.trigger])
        assert all(str(t.timezone) == "Asia/Shanghai" for t in triggers)
    reminders = jobs_by_id["reminders"].trigger
    assert isinstance(reminders, CronTrigger)
    fire = reminders.get_next_fire_time(None, datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 Shanghai
    notices = jobs_by_id["notices"].trigger
    fire = notices.get_next_fire_time(None, datetime(2026, 3, 2, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 1 July 09:00 Shanghai
    assert not scheduler.running


def test_scheduler_not_started_by_create_app(app):
    assert "apscheduler" not in app.extensions
    assert not any(t.name.startswith("APScheduler") for t in threading.enumerate())


def test_lease_one_holder_then_takeover(app, db, now):
    assert jobs.acquire_lease("a", now=now)
    assert jobs.acquire_lease("a", now=now + timedelta(seconds=30))  # renewal
    assert not jobs.acquire_lease("b", now=now + timedelta(seconds=60))
    assert jobs.acquire_lease("b", now=now + timedelta(seconds=121))  # a stopped renewing
    assert not jobs.acquire_lease("a", now=now + timedelta(seconds=130))


def _reminder_world(make_task, people, count=30):
    for i in range(count):
        make_task(people.unit if i % 2 else people.other_unit, date(2026, 3, 3) + timedelta(days=i % 9 - 4),
                  owner=people.member if i % 2 else None, supervisor=people.supervisor)


def test_two_schedulers_queue_each_reminder_once(app, db, people, make_task, now):
    _reminder_world(make_task, people)
    results: list = []
    barrier = threading.Barrier(2)

    def scheduler_process(holder: str):
        with app.app_context():
            barrier.wait()
            won = jobs.acquire_lease(holder, now=now)
            # the loser also sweeps, as if its lease check were skipped: the keys still hold
            result = services.run_reminders(now=now)
            try:
                db.session.commit()
            except sa.exc.IntegrityError:
                db.session.rollback()
                result = None
            results.append((won, result))
            db.session.remove()

    threads = [threading.Thread(target=scheduler_process, args=(h,)) for h in ("s1", "s2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won for won, _r in results) == [False, True]
    all_keys = list(db.session.scalars(sa.select(OutboxEmail.dedupe_key)))
    assert len(all_keys) == len(set(all_keys)) > 0
    assert services.run_reminders(now=now).queued == 0


def test_guarded_jobs_run_only_for_the_holder(app, db, people, make_task, now):
    _reminder_world(make_task, people, 6)
    assert jobs.acquire_lease("other", now=datetime.now(UTC))
    assert jobs.reminders(app, "me") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0
    jobs.release_lease("other")
    assert jobs.reminders(app, "me") is not None


def test_notices_job_issues_the_period_once(app, db, people, make_task):
    make_task(people.unit, date(2026, 12, 31))
    assert issue_due_period(now=datetime(2026, 3, 2, tzinfo=UTC))  # 1 Jan has passed: caught up
    db.session.commit()
    assert issue_due_period(now=datetime(2026, 3, 3, tzinfo=UTC)) == []
    assert issue_due_period(now=datetime(2026, 6, 30, 16, tzinfo=UTC)) == []  # 1 July 00:00 local: not yet 09:00
    issued = issue_due_period(now=datetime(2026, 7, 1, 1, 0, tzinfo=UTC))
    db.session.commit()
    assert [n.period_key for n in issued] == ["2026-H2"]


def test_cli_reminders_run(runner, db, people, make_task):
    make_task(people.unit, date(2026, 3, 5), owner=people.member)
    result = runner.invoke(args=["reminders", "run", "--now", "2026-03-02T09:00"])
    assert result.exit_code == 0, result.output
    assert "queued=1" in result.output
    result = runner.invoke(args=["reminders", "run", "--now", "2026-03-02T10:00"])
    assert "queued=0" in result.output
    result = runner.invoke(args=["outbox", "list", "--status", "pending"])
    assert "1 message(s)" in result.output
    result = runner.invoke(args=["outbox", "send"])
    assert "not configured" in result.output
    row = db.session.scalars(sa.select(OutboxEmail)).one()
    row.status, row.claimed_at = OutboxStatus.sending, datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    result = runner.invoke(args=["outbox", "list", "--stuck"])
    assert result.exit_code == 0 and f"{row.id}\tsending" in result.output and "1 message(s)" in result.output


def test_cli_notices_issue(runner, db, people, make_task):
    make_task(people.unit, date(2026, 6, 30))
    make_task(people.other_unit, date(2026, 6, 30))
    result = runner.invoke(args=["notices", "issue", "--period", "2026-H1", "--unit", people.unit.code,
                                 "--now", "2026-03-02T09:00"])
    assert result.exit_code == 0, result.output
    assert "督办〔2026〕1号" in result.output and "issued 1" in result.output
    result = runner.invoke(args=["notices", "issue", "--period", "2026-H1", "--now", "2026-03-02T09:00"])
    assert "督办〔2026〕2号" in result.output and "issued 1" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionNotice)) == 2
    result = runner.invoke(args=["notices", "issue", "--period", "bad"])
    assert result.exit_code != 0


@pytest.mark.parametrize("value", ["2026-03-02T09:00", "2026-03-02T01:00+00:00"])
def test_cli_now_parsing(runner, db, value):
    result = runner.invoke(args=["reminders", "run", "--now", value])
    assert result.exit_code == 0 and "facts=0" in result.output


def test_notice_date_moves_to_next_working_day(app):
    assert period_issue_time("2027-H1") == datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    app.config["WORKING_DAYS"] = True
    # 1 January 2026 is New Year's Day, the 2nd a holiday too, the 3rd a Saturday
    assert period_issue_time("2026-H1").date() == date(2026, 1, 4)
