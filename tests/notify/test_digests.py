"""Digests: one person's chases of one day in one message, daily-digest readers, the weekly cap."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tracker import timeutil
from tracker.auth.models import DigestMode
from tracker.notify import digests, dispatch, services
from tracker.notify.models import Channel, OutboxEmail, OutboxStatus


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timeutil.local_tz()).astimezone(UTC)


def rows(db, **where) -> list[OutboxEmail]:
    db.session.expire_all()
    query = sa.select(OutboxEmail).where(OutboxEmail.channel == Channel.email).order_by(OutboxEmail.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxEmail, name) == value)
    return list(db.session.scalars(query))


def test_a_leaders_escalations_of_one_morning_are_one_message(smtp, db, people, make_task):
    """Twelve overdue tasks escalated on one morning: the leader gets one mail listing them."""
    people.unit.leader_id = people.viewer.id
    db.session.commit()
    tasks = [make_task(people.unit, date(2026, 3, 1), owner=people.member, text=f"第{i}项重点工作。")
             for i in range(12)]
    now = at(date(2026, 3, 10))
    services.run_reminders(now=now)
    db.session.commit()
    to_leader = rows(db, recipient_id=people.viewer.id)
    assert {r.status for r in to_leader if r.kind == "task_escalation"} == {OutboxStatus.folded}
    [digest] = [r for r in to_leader if r.kind == digests.DIGEST_KIND]
    assert digest.status is OutboxStatus.pending and "12项" in digest.subject
    for task in tasks:
        assert f"/tasks/{task.id}" in digest.body_text
    # the owner's twelve chases are one message too
    [owner_digest] = rows(db, recipient_id=people.member.id, kind=digests.DIGEST_KIND)
    assert "12项" in owner_digest.subject
    # the owner is of the unit: each line carries that task's one-task link, bound to the owner
    from tracker.links import services as link_services
    tokens = re.findall(r"/l/([A-Za-z0-9_-]{20,})", owner_digest.body_text)
    opened = {link_services.resolve(token, now)[1].id for token in tokens}
    assert opened == {task.id for task in tasks}
    assert {link_services.resolve(token, now)[0].email for token in tokens} == {people.member.email}
    result = dispatch.send_pending(now=now)
    assert result.sent == 2 and len(smtp.messages) == 2
    # a restart the same morning: nothing new
    services.run_reminders(now=now + timedelta(hours=1))
    db.session.commit()
    assert dispatch.send_pending(now=now + timedelta(hours=1)).sent == 0


def test_a_single_chase_goes_out_as_itself(db, people, make_task):
    make_task(people.unit, date(2026, 3, 1), owner=people.member)
    services.run_reminders(now=at(date(2026, 3, 3)))
    db.session.commit()
    [row] = rows(db)
    assert row.kind == "task_overdue" and row.status is OutboxStatus.pending and row.digest_id is None


def test_daily_digest_reader_gets_one_message_at_digest_time(db, people, make_task, app):
    app.config["DIGEST_TIME"] = "17:00"
    people.member.digest_mode = DigestMode.daily
    db.session.commit()
    make_task(people.unit, date(2026, 3, 6), owner=people.member)
    make_task(people.unit, date(2026, 3, 8), owner=people.member)
    now = at(date(2026, 3, 5))
    services.run_reminders(now=now)
    db.session.commit()
    held = rows(db)
    assert [r.status for r in held] == [OutboxStatus.held] * 2
    assert {r.hold_until for r in held} == {at(date(2026, 3, 5), 17)}
    assert digests.fold_due(now=at(date(2026, 3, 5), 16, 59)) == 0
    assert digests.fold_due(now=at(date(2026, 3, 5), 17)) == 1
    db.session.commit()
    [digest] = rows(db, kind=digests.DIGEST_KIND)
    assert digest.to_addr == people.member.email and "2项" in digest.subject
    assert {r.digest_id for r in rows(db, status=OutboxStatus.folded)} == {digest.id}


def test_weekly_cap_folds_the_rest_into_next_weeks_digest(db, people, make_task, app):
    app.config["CHASE_WEEKLY_CAP"] = 5
    people.unit.chase_weekly_cap = 2
    db.session.commit()
    for i in range(3):
        make_task(people.unit, date(2026, 3, 1), owner=people.member, text=f"第{i}项。")
    monday = date(2026, 3, 2)  # a Monday; OVERDUE_CHASE_DAYS 3: the first chase on Tuesday
    now = at(monday + timedelta(days=1))
    services.run_reminders(now=now)
    db.session.commit()
    chases = rows(db, kind="task_overdue")
    assert len(chases) == 3
    this_week = [r for r in chases if r.status is OutboxStatus.folded]
    next_week = [r for r in chases if r.status is OutboxStatus.held]
    assert len(this_week) == 2 and len(next_week) == 1
    assert next_week[0].hold_until == at(monday + timedelta(days=7), 8, 30)
    # the unit's own cap rules; without it the configured one (5) would have let all three through
    people.unit.chase_weekly_cap = None
    db.session.commit()
    assert digests.weekly_cap(people.unit) == 5


def test_two_folders_racing_fold_each_row_once(app, db, people, make_task):
    people.member.digest_mode = DigestMode.daily
    db.session.commit()
    for day in range(6, 12):
        make_task(people.unit, date(2026, 3, day), owner=people.member)
    services.run_reminders(now=at(date(2026, 3, 5)))
    db.session.commit()
    assert len(rows(db, status=OutboxStatus.held)) == 6
    due = at(date(2026, 3, 6), 8, 30)
    errors = []

    def run() -> None:
        try:
            with app.app_context():
                digests.fold_due(now=due)
                from tracker.extensions import db as session_db
                session_db.session.commit()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [e for e in errors if "locked" not in str(e)]
    made = rows(db, kind=digests.DIGEST_KIND)
    folded = rows(db, status=OutboxStatus.folded)
    assert len(folded) + len(rows(db, status=OutboxStatus.held)) == 6
    assert sum(len([r for r in folded if r.digest_id == d.id]) for d in made) == len(folded)
    assert len(made) == 1 and len(folded) == 6


def test_digest_is_in_the_readers_language(db, people, make_task):
    people.member.locale = "en"
    db.session.commit()
    for day in (1, 2):
        make_task(people.unit, date(2026, 3, day), owner=people.member)
    services.run_reminders(now=at(date(2026, 3, 5)))
    db.session.commit()
    [digest] = rows(db, kind=digests.DIGEST_KIND)
    assert digest.subject == "[Digest] 2 supervision items (2026-03-05)"
    assert "need your attention today" in digest.body_text
