"""Channels beside email: each unit's 企业微信 or 钉钉 robot and SMS phone, against loopback fakes
that speak the real formats; retries, giving up, quiet hours and exactly-once under races."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker.notify import channels, dispatch, services
from tracker.notify.models import Channel, OutboxEmail, OutboxStatus

from .robots import RobotServer


def assert_chat_link(content: str, task, now: datetime) -> None:
    """The message carries the task's one-task link, bound to the unit's chat, opening that task."""
    from tracker.links import services as link_services
    from tracker.links.models import chat_address

    tokens = re.findall(r"/l/([A-Za-z0-9_-]{20,})", content)
    assert tokens, content
    grant, opened = link_services.resolve(tokens[-1], now)
    assert opened.id == task.id and grant.email == chat_address(task.unit)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """Shanghai wall-clock time on ``day``, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=channels.timeutil.local_tz()).astimezone(UTC)


@pytest.fixture
def robots(app):
    app.config.update({"ROBOT_ALLOW_HTTP": True, "CHANNEL_TIMEOUT": 1})
    server = RobotServer().start()
    yield server
    server.stop()


def channel_rows(db, channel: Channel | None = None) -> list[OutboxEmail]:
    db.session.expire_all()
    query = sa.select(OutboxEmail).where(OutboxEmail.channel != Channel.email).order_by(OutboxEmail.id)
    if channel is not None:
        query = query.where(OutboxEmail.channel == channel)
    return list(db.session.scalars(query))


def set_robot(db, unit, robots, kind: str, secret: str | None = None) -> None:
    unit.robot_kind = kind
    unit.robot_url = f"{robots.base}/robot/{kind}?{'key' if kind == 'wecom' else 'access_token'}=tok-123456"
    unit.robot_secret = secret
    db.session.commit()


def test_signature_is_dingtalks():
    """The documented example: HmacSHA256 of "timestamp\\nsecret", Base64, then URL-encoded."""
    import base64
    import hashlib
    import hmac
    import urllib.parse

    secret, timestamp = "SEC000example", 1_700_000_000_000
    raw = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert channels.dingtalk_sign(secret, timestamp) == urllib.parse.quote_plus(base64.b64encode(raw).decode())
    url = channels.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=x", secret,
                                datetime.fromtimestamp(timestamp / 1000, UTC))
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1700000000000&sign=")
    assert channels.dingtalk_url("https://h/robot", None, datetime.now(UTC)) == "https://h/robot"


def test_wecom_robot_gets_the_overdue_chase(robots, db, people, make_task):
    set_robot(db, people.unit, robots, "wecom")
    task = make_task(people.unit, date(2026, 3, 1), owner=people.member, text="推进老旧小区改造。")
    now = at(date(2026, 3, 5))
    services.run_reminders(now=now)
    db.session.commit()
    [row] = channel_rows(db)
    assert row.channel is Channel.wecom and row.unit_id == people.unit.id and row.status is OutboxStatus.pending
    assert "tok-123456" not in row.to_addr and row.to_addr.endswith("3456")
    result = dispatch.send_pending(now=now)
    assert result.sent == 1
    [got] = robots.fake.received
    assert got["path"] == "/robot/wecom" and got["query"] == {"key": "tok-123456"}
    assert got["body"]["msgtype"] == "text"
    content = got["body"]["text"]["content"]
    assert "【超期催办】" in content and "推进老旧小区改造" in content
    assert_chat_link(content, task, now)
    assert got["content_type"].startswith("application/json")
    assert channel_rows(db)[0].status is OutboxStatus.sent
    # a second sweep and a second dispatch change nothing
    services.run_reminders(now=now + timedelta(hours=2))
    db.session.commit()
    assert dispatch.send_pending(now=now + timedelta(hours=2)).sent == 0
    assert len(robots.fake.received) == 1


def test_dingtalk_signed_robot(robots, db, people, make_task):
    secret = "SECf00dfeedbeef"
    robots.fake.secret = secret
    set_robot(db, people.unit, robots, "dingtalk", secret)
    make_task(people.unit, date(2026, 3, 6), owner=people.member)
    now = datetime.now(UTC)
    robots.fake.clock = now
    services.run_reminders(now=at(date(2026, 3, 5)))
    db.session.commit()
    assert dispatch.send_pending(now=now).sent == 1
    [got] = robots.fake.received
    assert got["query"]["access_token"] == "tok-123456" and got["query"]["timestamp"].isdigit()
    assert "距截止还有1天" in got["body"]["text"]["content"]


def test_dingtalk_wrong_secret_gives_up(robots, db, people, make_task):
    robots.fake.secret = "SECright"
    set_robot(db, people.unit, robots, "dingtalk", "SECwrong")
    make_task(people.unit, date(2026, 3, 6), owner=people.member)
    robots.fake.clock = datetime.now(UTC)
    services.run_reminders(now=at(date(2026, 3, 5)))
    db.session.commit()
    result = dispatch.send_pending(now=robots.fake.clock)
    assert result.failed == 1 and robots.fake.received == []
    [row] = channel_rows(db)
    assert row.status is OutboxStatus.failed and "310000" in row.last_error


@pytest.mark.parametrize("mode", ["500", "busy", "hang"])
def test_transient_failures_are_retried(robots, db, people, make_task, mode):
    set_robot(db, people.unit, robots, "wecom")
    make_task(people.unit, date(2026, 3, 6), owner=people.member)
    now = at(date(2026, 3, 5))
    services.run_reminders(now=now)
    db.session.commit()
    robots.fake.mode, robots.fake.fail_count = mode, 1
    result = dispatch.send_pending(now=now)
    assert (result.sent, result.retried, result.failed) == (0, 1, 0)
    [row] = channel_rows(db)
    assert row.status is OutboxStatus.pending and row.attempts == 1
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert dispatch.send_pending(now=now + timedelta(minutes=1)).sent == 1
    assert len(robots.fake.received) == 1 and channel_rows(db)[0].status is OutboxStatus.sent


@pytest.mark.parametrize("mode", ["400", "bad"])
def test_permanent_failures_give_up(robots, db, people, make_task, mode):
    set_robot(db, people.unit, robots, "wecom")
    make_task(people.unit, date(2026, 3, 6), owner=people.member)
    now = at(date(2026, 3, 5))
    services.run_reminders(now=now)
    db.session.commit()
    robots.fake.mode = mode
    assert dispatch.send_pending(now=now).failed == 1
    [row] = channel_rows(db)
    assert row.status is OutboxStatus.failed and row.last_error
    assert dispatch.send_pending(now=now + timedelta(hours=2)).failed == 0


def test_sms_gateway_and_quiet_hours(robots, app, db, people, make_task):
    app.config.update({"SMS_GATEWAY_URL": f"{robots.base}/gateway/sms",
                       "SMS_BODY_TEMPLATE": '{"mobile": "{phone}", "content": "{text}", "sign": "督办"}'})
    people.unit.sms_phone = "13800001234"
    db.session.commit()
    make_task(people.unit, date(2026, 3, 6), owner=people.member, text="做好“两节”期间安全生产工作。")
    late = at(date(2026, 3, 5), 23, 10)
    services.run_reminders(now=late)
    db.session.commit()
    [row] = channel_rows(db, Channel.sms)
    assert row.to_addr.endswith("1234") and "13800001234" not in row.to_addr
    # 23:10: held until 07:00, not dropped
    assert dispatch.send_pending(now=late).sent == 0
    db.session.expire_all()
    row = channel_rows(db, Channel.sms)[0]
    assert row.status is OutboxStatus.pending and row.next_attempt_at == at(date(2026, 3, 6), 7)
    assert dispatch.send_pending(now=at(date(2026, 3, 6), 6, 59)).sent == 0
    assert robots.fake.received == []
    assert dispatch.send_pending(now=at(date(2026, 3, 6), 7)).sent == 1
    [got] = robots.fake.received
    assert got["body"]["mobile"] == "13800001234" and got["body"]["sign"] == "督办"
    assert "“两节”" in got["body"]["content"]


def test_quiet_hours_window():
    from flask import Flask

    app = Flask("t")
    app.config.update(SMS_QUIET_HOURS="22:00-07:00", TIMEZONE="Asia/Shanghai")
    with app.app_context():
        assert channels.quiet_until(at(date(2026, 3, 5), 21, 59)) is None
        assert channels.quiet_until(at(date(2026, 3, 5), 22)) == at(date(2026, 3, 6), 7)
        assert channels.quiet_until(at(date(2026, 3, 6), 3)) == at(date(2026, 3, 6), 7)
        assert channels.quiet_until(at(date(2026, 3, 6), 7)) is None
        app.config["SMS_QUIET_HOURS"] = ""
        assert channels.quiet_until(at(date(2026, 3, 6), 3)) is None


def test_two_dispatchers_post_each_row_once(robots, app, db, people, make_task):
    set_robot(db, people.unit, robots, "wecom")
    for day in range(6, 16):
        make_task(people.unit, date(2026, 3, day), owner=people.member)
    now = at(date(2026, 3, 9))
    services.run_reminders(now=now)
    db.session.commit()
    rows = channel_rows(db)
    # the three overdue chases went into one digest; the rest are one message each
    assert sorted(r.status.value for r in rows).count("folded") == 3
    expected = sum(r.status is OutboxStatus.pending for r in rows)
    assert expected == 8
    errors = []

    def run() -> None:
        try:
            with app.app_context():
                dispatch.send_pending(now=now)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(robots.fake.received) == expected
    assert {r.status for r in channel_rows(db)} == {OutboxStatus.sent, OutboxStatus.folded}


def test_killed_dispatcher_leaves_the_row_in_doubt_not_resent(robots, db, people, make_task):
    set_robot(db, people.unit, robots, "wecom")
    make_task(people.unit, date(2026, 3, 6), owner=people.member)
    now = at(date(2026, 3, 5))
    services.run_reminders(now=now)
    db.session.commit()
    [row] = channel_rows(db)
    # a dispatcher claimed the row, then died before marking it
    assert dispatch.claim([row.id], now) == [row.id]
    db.session.commit()
    assert dispatch.send_pending(now=now + timedelta(hours=1)).sent == 0
    assert robots.fake.received == [] and channel_rows(db)[0].status is OutboxStatus.sending


def test_outbox_page_shows_the_channel_and_no_robot_key(robots, auth, db, people, make_task):
    set_robot(db, people.unit, robots, "wecom")
    make_task(people.unit, date(2026, 3, 6), owner=people.member)
    services.run_reminders(now=at(date(2026, 3, 5)))
    db.session.commit()
    client = auth.client_for(people.admin)
    page = client.get("/outbox?channel=wecom").get_data(as_text=True)
    assert "企业微信" in page and "tok-123456" not in page and "3456" in page
    [row] = channel_rows(db)
    detail = client.get(f"/outbox/{row.id}").get_data(as_text=True)
    assert "企业微信" in detail and "tok-123456" not in detail


def test_digest_setting_page(auth, db, people):
    from tracker.auth.models import DigestMode, User

    client = auth.client_for(people.member)
    assert "每日汇总" in client.get("/account/notifications").get_data(as_text=True)
    response = client.post("/account/notifications", data={"digest_mode": "daily"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, people.member.id).digest_mode is DigestMode.daily
    response = client.post("/account/notifications", data={"digest_mode": "hourly"})
    assert "请选择一种提醒方式" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, people.member.id).digest_mode is DigestMode.daily


def test_assignment_reaches_the_units_wecom_robot(robots, db, make, people, now):
    """The assignment notice reaches the unit's group robot once, with the task link."""
    from tracker.tasks import services as task_services
    from tracker.tasks.models import ReportingPeriod, UnitRole

    set_robot(db, people.unit, robots, "wecom")
    plan = make.plan(supervisor=people.supervisor)
    [task] = task_services.assign(plan, [plan.measures[1].id], [people.unit.id], role=UnitRole.lead,
                                  due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.once,
                                  actor=people.supervisor, now=now)
    db.session.commit()
    [row] = channel_rows(db)
    assert row.kind == "task_assigned" and row.related_id == task.id
    assert dispatch.send_pending(now=now).sent >= 1
    [got] = robots.fake.received
    content = got["body"]["text"]["content"]
    assert content.startswith("【交办】") and "东城区" in content
    assert_chat_link(content, task, now)
    # with the unit's links off, its chat gets the signed-in page instead
    people.unit.links_enabled = False
    from tracker.links import services as link_services
    assert link_services.chat_link(task, now).endswith(f"/tasks/{task.id}")


def test_issued_notice_reaches_the_units_robot(robots, db, people, make_task, now):
    from tracker.notices import services as notice_services

    set_robot(db, people.unit, robots, "wecom")
    make_task(people.unit, date(2026, 6, 30))
    [notice] = notice_services.issue_notices("2026-H1", actor=people.supervisor, now=now)
    db.session.commit()
    [row] = channel_rows(db)
    assert row.related_type == "supervision_notice" and row.related_id == notice.id
    assert dispatch.send_pending(now=now).sent == 1
    content = robots.fake.received[0]["body"]["text"]["content"]
    assert notice.number_label in content and f"/notices/{notice.id}" in content
