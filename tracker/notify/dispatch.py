"""Send committed outbox rows through SMTP: claim, send over one connection, mark.

Delivery policy — at most once, never silently lost:

* A row is *claimed* with a conditional ``UPDATE … SET status='sending' WHERE id IN (…) AND
  status='pending'`` that is committed before any SMTP traffic, so two dispatchers (two
  processes, two hosts on one PostgreSQL) never send the same row: each row changes from
  ``pending`` to ``sending`` exactly once.
* Each row is marked ``sent`` (with ``sent_at``) and committed right after its own send
  returns, so at any instant only the message in flight can be in doubt.
* A temporary failure (SMTP 4xx, connection refused, timeout, disconnect) puts the row back to
  ``pending`` with ``attempts + 1`` and an exponential back-off (1, 2, 4 … minutes, capped at one
  hour); after ``MAIL_MAX_ATTEMPTS`` attempts (default 20, about 15 hours of SMTP downtime) it is
  ``failed``. A permanent failure (5xx, a refused header) is ``failed`` at once with ``last_error``.
* A process killed mid-batch leaves its claimed-but-unsent rows in ``sending`` ("in doubt"). They
  are **not** re-sent automatically: the server may have accepted the message before the process
  died, and a duplicate official notice (two 督办单 with one number) is worse than a stuck one
  that is visible on the outbox page, where an administrator can check and re-queue it.

Without ``MAIL_SERVER`` (the embedded default) no email is sent and mail stays ``pending``.

Rows of the other channels (a unit's 企业微信 or 钉钉 robot, its SMS phone; ``channels``) go
through the same claim and marks over HTTP, one request per row: 5xx, 429, timeouts and a robot's
"busy" errcodes are retried with the same back-off, 4xx and other errcodes fail at once. SMS rows
due inside the quiet hours are not claimed: they wait until the hours end. Held rows (digests)
whose time has come are folded into one message per recipient first (``digests.fold_due``).
"""

from __future__ import annotations

import functools
import io
import logging
import os
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.generator import BytesGenerator
from email.policy import Compat32
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app
from flask_mail import BadHeaderError, Connection, email_dispatched, sanitize_address
from flask_mail import Message as MailMessage

from tracker.extensions import db
from tracker.notify import channels, digests
from tracker.notify.models import Channel, OutboxEmail, OutboxStatus
from tracker.units.models import Unit

log = logging.getLogger(__name__)

BACKOFF_CAP = timedelta(hours=1)
class _WirePolicy(Compat32):
    """compat32 that writes a header that is already plain ASCII on one line as it is.

    Flask-Mail hands over headers already encoded (RFC 2047 words, RFC 2231 parameters); with no
    line length limit compat32 would only parse each one into a ``Header`` and write the same text
    back, which costs more than the SMTP conversation of the message.
    """

    def fold_binary(self, name: str, value) -> bytes:
        if isinstance(value, str) and value.isascii() and "\n" not in value and "\r" not in value:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


#: headers arrive encoded and folded by Flask-Mail (RFC 2047 words, RFC 2231 parameters); no refolding
WIRE_POLICY = _WirePolicy(linesep="\r\n", max_line_length=None)
_table = OutboxEmail.__table__


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: no MAIL_SERVER configured: nothing attempted
    disabled: bool = False


class TemporaryFailure(Exception):
    """Try again later: 4xx, connection refused, timeout."""


class PermanentFailure(Exception):
    """Do not try again: 5xx or a message that cannot be built."""


class _WireGenerator(BytesGenerator):
    """A random MIME boundary without the regex search of the body the standard library does.

    A uuid4 boundary cannot occur in the body by chance; the stdlib compiles a fresh regular
    expression per boundary, which costs as much as the rest of building the message.
    """

    @classmethod
    def _make_boundary(cls, text=None) -> str:
        return f"=_duban_{uuid.uuid4().hex}"


def wire_bytes(msg) -> bytes:
    """The message as sent: compat32 headers (already RFC 2047/2231 encoded by Flask-Mail), CRLF."""
    buffer = io.BytesIO()
    _WireGenerator(buffer, mangle_from_=False, policy=WIRE_POLICY).flatten(msg, unixfrom=False)
    return buffer.getvalue()


@functools.lru_cache(maxsize=4096)
def _envelope_address(address: str) -> str:
    """Flask-Mail's address sanitising, once per address and process: a batch repeats the sender
    on every message and often the recipients too."""
    return sanitize_address(address)


class TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout (``MAIL_TIMEOUT``): a dead server cannot hang us."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config.get("MAIL_TIMEOUT") or 30
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


    def send(self, message: MailMessage, envelope_from: str | None = None, payload: bytes | None = None) -> None:
        """Flask-Mail's send, with the bytes from ``prepare`` (or made here the same way)."""
        if payload is None:
            payload = prepare_payload(message)
        if self.host is not None:
            self.host.sendmail(_envelope_address(envelope_from or message.sender),
                               [_envelope_address(a) for a in message.send_to], payload,
                               message.mail_options, message.rcpt_options)
        email_dispatched.send(current_app._get_current_object(), message=message)


def prepare_payload(message: MailMessage) -> bytes:
    """Flask-Mail's checks and MIME tree, serialised with the compat32 policy and CRLF.

    Same headers and encodings (RFC 2047 subject, RFC 2231 file names, as Flask-Mail builds
    them), without re-parsing every header through the email policy's header registry, which
    costs as much as the SMTP round trip.
    """
    if not message.send_to:
        raise ValueError("no recipients")
    if not message.sender:
        raise ValueError("no sender and no MAIL_DEFAULT_SENDER")
    if message.has_bad_headers():
        raise BadHeaderError
    if message.date is None:
        message.date = time.time()
    return wire_bytes(message._message())


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def backoff(attempts: int) -> timedelta:
    """Delay before attempt ``attempts + 1``: 1, 2, 4 … minutes, at most one hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def classify(exc: BaseException) -> Exception:
    """Temporary or permanent, from what SMTP or the socket said."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            return PermanentFailure(f"recipients refused: {exc.recipients}")
        return TemporaryFailure(f"recipients refused: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {exc.smtp_error!r}"
        return PermanentFailure(text) if 500 <= exc.smtp_code < 600 else TemporaryFailure(text)
    if isinstance(exc, BadHeaderError | ValueError | UnicodeError):
        return PermanentFailure(f"bad message: {exc!r}")
    return TemporaryFailure(repr(exc))


def build_message(row) -> MailMessage:
    """A Flask-Mail message: RFC 2047 subject, RFC 2231 attachment names, stable Message-ID."""
    msg = MailMessage(subject=row.subject, recipients=[row.to_addr], cc=list(row.cc_addrs or []),
                      body=row.body_text, html=row.body_html or None,
                      sender=current_app.config.get("MAIL_DEFAULT_SENDER"))
    domain = (current_app.config.get("MAIL_DEFAULT_SENDER") or "localhost").rpartition("@")[2] or "localhost"
    msg.msgId = make_msgid(idstring=f"outbox-{row.id}", domain=domain)
    for item in row.attachments or []:
        path = os.path.join(current_app.instance_path, item["path"])
        with open(path, "rb") as handle:
            msg.attach(filename=item["filename"], content_type=item.get("content_type") or "application/octet-stream",
                       data=handle.read())
    return msg


def claim(ids: list[int], now: datetime) -> list[int]:
    """Move rows from pending to sending; only ids this call moved are returned (commit follows)."""
    if not ids:
        return []
    statement = (
        sa.update(_table)
        .where(_table.c.id.in_(ids), _table.c.status == OutboxStatus.pending)
        .values(status=OutboxStatus.sending, claimed_at=now)
        .returning(_table.c.id)
    )
    return sorted(db.session.execute(statement).scalars())


#: built once: the hot path of a batch, compiled once and reused from the statement cache
_MARK_SENT = (sa.update(_table).where(_table.c.id == sa.bindparam("row_id"))
              .values(status=OutboxStatus.sent, sent_at=sa.bindparam("sent_at"), attempts=sa.bindparam("attempts"),
                      last_error=None))


def _mark(row_id: int, **values) -> None:
    db.session.execute(sa.update(_table).where(_table.c.id == row_id).values(**values))


def _temporary(row, error: str, now: datetime, result: DispatchResult) -> None:
    attempts = row.attempts + 1
    limit = current_app.config.get("MAIL_MAX_ATTEMPTS", 20)
    if attempts >= limit:
        _mark(row.id, status=OutboxStatus.failed, attempts=attempts,
              last_error=f"gave up after {attempts} attempts: {error}"[:2000])
        result.failed += 1
    else:
        _mark(row.id, status=OutboxStatus.pending, attempts=attempts, last_error=error[:2000],
              next_attempt_at=now + backoff(attempts))
        result.retried += 1


def send_pending(*, now: datetime, limit: int = 100) -> DispatchResult:
    """Send up to ``limit`` due rows once each; commits the claim and every outcome."""
    result = DispatchResult()
    digests.fold_due(now=now)
    db.session.commit()
    send_channels(now=now, limit=limit, result=result)
    if not mail_configured():
        result.disabled = True
        return result
    due = list(db.session.scalars(
        sa.select(OutboxEmail.id)
        .where(OutboxEmail.status == OutboxStatus.pending, OutboxEmail.next_attempt_at <= now,
               OutboxEmail.channel == Channel.email)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit)
    ))
    ids = claim(due, now)
    db.session.commit()
    if not ids:
        return result
    # plain rows, not ORM objects: the per-row commits below must not expire and reload them
    rows = list(db.session.execute(sa.select(_table).where(_table.c.id.in_(ids)).order_by(_table.c.id)))
    db.session.commit()  # end the read transaction: no lock held across SMTP
    remaining = list(rows)
    restore = _relax_sqlite_sync()
    try:
        _send_rows(remaining, now, result)
    finally:
        if restore is not None:
            db.session.execute(sa.text(f"PRAGMA synchronous={int(restore)}"))
            db.session.commit()
    return result


def _relax_sqlite_sync():
    """On SQLite (WAL), mark commits need not wait for fsync: durable against a killed process.

    Only an operating-system crash could lose a 'sent' mark, and the row then reverts to its
    committed claim ('sending', in doubt), never to 'pending': still no duplicate.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return None
    previous = db.session.execute(sa.text("PRAGMA synchronous")).scalar()
    db.session.execute(sa.text("PRAGMA synchronous=NORMAL"))
    db.session.commit()
    return previous


def _send_rows(remaining: list, now: datetime, result: DispatchResult) -> None:
    """Send claimed rows in order over one connection, marking each right after its own send."""
    try:
        with TimeoutConnection(current_app.extensions["mail"]) as conn:
            while remaining:
                row = remaining[0]
                try:
                    message = build_message(row)
                    payload = prepare_payload(message)
                except (OSError, ValueError, UnicodeError, BadHeaderError) as exc:
                    remaining.pop(0)
                    _mark(row.id, status=OutboxStatus.failed, attempts=row.attempts + 1,
                          last_error=f"cannot build message: {exc!r}"[:2000])
                    db.session.commit()
                    result.failed += 1
                    continue
                try:
                    conn.send(message, payload=payload)
                except (smtplib.SMTPException, OSError, BadHeaderError) as exc:
                    remaining.pop(0)
                    failure = classify(exc)
                    if isinstance(failure, PermanentFailure):
                        _mark(row.id, status=OutboxStatus.failed, attempts=row.attempts + 1,
                              last_error=str(failure)[:2000])
                        result.failed += 1
                    else:
                        _temporary(row, str(failure), now, result)
                    db.session.commit()
                    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError) and not isinstance(
                            exc, smtplib.SMTPResponseException):
                        raise  # the connection is gone: release the rest below
                    continue
                remaining.pop(0)
                # the session's connection directly: the ORM has nothing to add to this statement
                db.session.connection().execute(_MARK_SENT, {"row_id": row.id, "sent_at": now,
                                                             "attempts": row.attempts + 1})
                db.session.commit()
                result.sent += 1
    except (smtplib.SMTPException, OSError) as exc:
        # connecting failed, or the server went away: the unsent rows wait for the next run
        log.warning("SMTP unavailable: %r; %d message(s) left pending", exc, len(remaining))
        db.session.rollback()
        for row in remaining:
            _temporary(row, str(classify(exc)), now, result)
        db.session.commit()


def _hold_quiet_sms(now: datetime) -> None:
    """SMS rows due inside the quiet hours wait until they end: held back, not dropped."""
    until = channels.quiet_until(now)
    if until is None:
        return
    db.session.execute(
        sa.update(_table)
        .where(_table.c.status == OutboxStatus.pending, _table.c.channel == Channel.sms,
               _table.c.next_attempt_at <= now)
        .values(next_attempt_at=until)
    )


def send_channels(*, now: datetime, limit: int = 100, result: DispatchResult | None = None) -> DispatchResult:
    """Send due robot and SMS rows once each over HTTP: claim, commit, post, mark, commit."""
    result = result or DispatchResult()
    _hold_quiet_sms(now)
    due = list(db.session.scalars(
        sa.select(OutboxEmail.id)
        .where(OutboxEmail.status == OutboxStatus.pending, OutboxEmail.next_attempt_at <= now,
               OutboxEmail.channel != Channel.email)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit)
    ))
    ids = claim(due, now)
    db.session.commit()
    if not ids:
        return result
    rows = list(db.session.execute(sa.select(_table).where(_table.c.id.in_(ids)).order_by(_table.c.id)))
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_({r.unit_id for r in rows})))}
    db.session.commit()
    for row in rows:
        try:
            channels.deliver(Channel(row.channel), units.get(row.unit_id), row.body_text, now=now)
        except channels.PermanentFailure as exc:
            _mark(row.id, status=OutboxStatus.failed, attempts=row.attempts + 1, last_error=str(exc)[:2000])
            result.failed += 1
        except channels.TemporaryFailure as exc:
            _temporary(row, str(exc), now, result)
        else:
            db.session.connection().execute(_MARK_SENT, {"row_id": row.id, "sent_at": now,
                                                         "attempts": row.attempts + 1})
            result.sent += 1
        db.session.commit()
    return result
