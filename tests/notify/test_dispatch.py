"""The dispatcher against a real SMTP server on loopback: down, 4xx, 5xx, concurrency, encodings."""

from __future__ import annotations

import email
import io
import os
import threading
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa

from tracker.notify import dispatch, outbox
from tracker.notify.models import OutboxEmail, OutboxStatus


def queue(db, user, n: int = 1, *, subject: str = "督办提醒", now, attachments=None) -> list[int]:
    ids = []
    for i in range(n):
        message = outbox.Message(kind="test", subject=f"{subject}{i if n > 1 else ''}", template="reminder_task",
                                 context={"measure_label": "完成年度重点项目建设。", "due_on": None},
                                 reason="距截止还有3天", attachments=attachments or [])
        ids.append(outbox.queue(user, message, f"test:{subject}:{i}:{user.id}", now=now))
    db.session.commit()
    return ids


def statuses(db) -> list[str]:
    db.session.expire_all()
    return [r.status.value for r in db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id))]


def test_without_mail_server_nothing_is_sent(db, people, now):
    queue(db, people.lead, 2, now=now)
    result = dispatch.send_pending(now=now)
    assert result.disabled and result.sent == 0
    assert statuses(db) == ["pending", "pending"]


def test_smtp_down_then_up(smtp_down, db, people, now):
    queue(db, people.lead, 3, now=now)
    result = dispatch.send_pending(now=now)
    assert (result.sent, result.retried, result.failed) == (0, 3, 0)
    rows = list(db.session.scalars(sa.select(OutboxEmail)))
    assert {r.status for r in rows} == {OutboxStatus.pending} and {r.attempts for r in rows} == {1}
    assert rows[0].next_attempt_at == now + timedelta(minutes=1)
    # not due yet: nothing attempted
    assert dispatch.send_pending(now=now + timedelta(seconds=30)).retried == 0
    later = now + timedelta(minutes=1)
    assert dispatch.send_pending(now=later).retried == 3
    db.session.expire_all()
    assert rows[0].attempts == 2 and rows[0].next_attempt_at == later + timedelta(minutes=2)
    # hours of downtime: back-off is capped at one hour and nothing has given up
    assert dispatch.backoff(10) == timedelta(hours=1)
    smtp_down.start()
    result = dispatch.send_pending(now=later + timedelta(hours=2))
    assert result.sent == 3
    assert statuses(db) == ["sent"] * 3 and len(smtp_down.messages) == 3
    assert dispatch.send_pending(now=later + timedelta(hours=3)).sent == 0


def test_gives_up_after_max_attempts(smtp_down, app, db, people, now):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    queue(db, people.lead, now=now)
    at = now
    for _ in range(3):
        dispatch.send_pending(now=at)
        at += timedelta(hours=1)
    row = db.session.scalars(sa.select(OutboxEmail)).one()
    db.session.refresh(row)
    assert row.status is OutboxStatus.failed and "gave up after 3" in row.last_error


def test_temporary_4xx_then_success(smtp, db, people, now):
    smtp.handler.mode, smtp.handler.fail_count = "451", 1
    queue(db, people.lead, 2, now=now)
    result = dispatch.send_pending(now=now)
    assert (result.sent, result.retried) == (1, 1)
    db.session.expire_all()
    retried = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.status == OutboxStatus.pending)).one()
    assert retried.attempts == 1 and "451" in retried.last_error
    assert dispatch.send_pending(now=now + timedelta(minutes=1)).sent == 1
    assert statuses(db) == ["sent", "sent"] and len(smtp.messages) == 2


def test_permanent_5xx_fails_without_retry(smtp, db, people, now):
    smtp.handler.mode = "550"
    queue(db, people.lead, now=now)
    result = dispatch.send_pending(now=now)
    assert (result.sent, result.retried, result.failed) == (0, 0, 1)
    row = db.session.scalars(sa.select(OutboxEmail)).one()
    db.session.refresh(row)
    assert row.status is OutboxStatus.failed and "550" in row.last_error
    smtp.handler.mode = "ok"
    assert dispatch.send_pending(now=now + timedelta(hours=2)).sent == 0
    assert smtp.messages == []


def test_two_dispatchers_send_each_row_once(smtp, app, db, people, now):
    queue(db, people.lead, 40, now=now)
    results = []

    def run():
        with app.app_context():
            results.append(dispatch.send_pending(now=now))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 40
    assert len(smtp.messages) == 40
    ids = [email.message_from_bytes(m)["Message-ID"] for m in smtp.messages]
    assert len(set(ids)) == 40


def test_claim_is_conditional(db, people, now):
    ids = queue(db, people.lead, 2, now=now)
    assert dispatch.claim(ids, now) == ids
    assert dispatch.claim(ids, now) == []


def test_in_doubt_rows_are_not_resent(smtp, db, people, now):
    ids = queue(db, people.lead, 2, now=now)
    dispatch.claim(ids[:1], now)  # a dispatcher claimed it and died
    db.session.commit()
    assert dispatch.send_pending(now=now + timedelta(hours=1)).sent == 1
    assert statuses(db) == ["sending", "sent"]


def test_chinese_subject_and_attachment_name_round_trip(smtp, app, db, people, now):
    subject = "关于督促落实2026年重点工作实施方案中第三项民生实事任务的提醒 ABC 请于本周内完成并报送佐证材料"
    assert len(subject.encode()) > 75
    name = ("整改证明材料（第二批）2026年度东城区老旧小区改造工程竣工验收报告"
            "及相关佐证材料汇编扫描件第一册终稿（盖章版）附件.pdf")
    assert len(name) >= 60
    folder = os.path.join(app.instance_path, "files")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "a.pdf"), "wb") as handle:
        handle.write(b"%PDF-1.4 test")
    attachment = {"filename": name, "content_type": "application/pdf", "path": "files/a.pdf"}
    queue(db, people.lead, subject=subject, now=now, attachments=[attachment])
    assert dispatch.send_pending(now=now).sent == 1
    raw = smtp.messages[0]
    assert b"\xe5" not in raw.split(b"\r\n\r\n", 1)[0]  # headers are 7-bit: encoded, not raw UTF-8
    message = email.message_from_bytes(raw)
    assert str(make_header(decode_header(message["Subject"]))) == subject
    part = next(p for p in message.walk() if p.get_filename())
    assert part.get_filename() == name
    assert part.get_payload(decode=True) == b"%PDF-1.4 test"


def test_header_injection_in_plan_title(smtp, db, people, now):
    queue(db, people.lead, subject="标题\r\nBcc: evil@example.com", now=now)
    assert dispatch.send_pending(now=now).sent == 1
    message = email.message_from_bytes(smtp.messages[0])
    assert message["Bcc"] is None
    assert "evil@example.com" not in [a for _f, rcpts in smtp.handler.envelopes for a in rcpts]
    assert "Bcc: evil" in str(make_header(decode_header(message["Subject"])))


class _FixedBoundaries(dispatch._WireGenerator):
    """The same MIME boundaries on every run, so two serialisations can be compared byte for byte."""

    count = 0

    @classmethod
    def _make_boundary(cls, text=None) -> str:
        cls.count += 1
        return f"=_boundary_{cls.count}"


@pytest.mark.parametrize("subject", ["【督办提醒】距截止还有3天：第1项重点工作", "plain  ascii   subject", "x" * 300,
                                     "混合 mixed 文字 text " * 8])
def test_wire_policy_writes_what_compat32_writes(app, subject, tmp_path):
    """The dispatcher's header shortcut changes no byte of the message (encoded words, long lines,
    Chinese display names and attachment names included)."""
    from email.policy import compat32
    from types import SimpleNamespace

    app.config["MAIL_DEFAULT_SENDER"] = "督办系统 <duban@example.cn>"
    attachment = os.path.join(app.instance_path, "notice.docx")
    os.makedirs(app.instance_path, exist_ok=True)
    with open(attachment, "wb") as handle:
        handle.write(b"PK\x03\x04" + b"x" * 300)
    row = SimpleNamespace(id=7, subject=subject, to_addr="张三 <lead@example.cn>", cc_addrs=["王五 <w@example.cn>"],
                          body_text="正文" * 50, body_html="<p>正文</p>" * 20,
                          attachments=[{"path": "notice.docx", "filename": "关于督办事项的通知（第一批）附件材料.docx",
                                        "content_type": "application/octet-stream"}])
    message = dispatch.build_message(row)
    message.date = 1_700_000_000
    mime = message._message()
    outputs = []
    for wire_policy in (compat32.clone(linesep="\r\n", max_line_length=None), dispatch.WIRE_POLICY):
        buffer = io.BytesIO()
        _FixedBoundaries.count = 0
        _FixedBoundaries(buffer, mangle_from_=False, policy=wire_policy).flatten(mime, unixfrom=False)
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1]
