"""Queue messages in the current transaction: an outbox row per email, a notice per user.

Producers never talk SMTP; the dispatcher sends committed rows later. The dedupe key names
the fact, so queuing the same fact twice (a second sweep, a retried request) is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from tracker.db import insert_ignoring, utcnow
from tracker.extensions import db
from tracker.links import services as link_services
from tracker.notify import channels
from tracker.notify.models import Channel, Notification, OutboxEmail, OutboxStatus
from tracker.tasks.models import Task


def _clean_header(value: str) -> str:
    """No CR/LF in a header: a plan title must not be able to add headers to an email."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


@dataclass
class Message:
    """One message to one user: the in-app notice and, when the user has an address, the email."""

    kind: str
    #: str or a lazy string, made in the recipient's language when queued
    subject: Any
    #: template name under templates/email/, without extension (.txt and .html are rendered)
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    reason: Any = ""
    link: str | None = None
    task_id: int | None = None
    related_type: str | None = None
    related_id: int | None = None
    cc: list[str] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)


def row_values(*, dedupe_key: str, address: str | None, recipient_id: int | None, subject: str, body_text: str,
               body_html: str, reason: str, kind: str, now: datetime, cc: list[str] | None = None,
               attachments: list[dict[str, str]] | None = None, related_type: str | None = None,
               related_id: int | None = None, channel: Channel = Channel.email, unit_id: int | None = None,
               fact_key: str | None = None, hold_until: datetime | None = None) -> dict[str, Any]:
    """The columns of one outbox row, cleaned and cut to size; a recipient without an address gets
    the in-app notice only, and the row records the fact (cancelled). A row with ``hold_until``
    waits for its digest (held)."""
    if not address:
        status = OutboxStatus.cancelled
    else:
        status = OutboxStatus.held if hold_until is not None else OutboxStatus.pending
    return {
        "dedupe_key": dedupe_key[:200],
        "to_addr": _clean_header(address or ""),
        "cc_addrs": [_clean_header(a) for a in cc or [] if a],
        "recipient_id": recipient_id,
        "subject": _clean_header(subject)[:300],
        "body_text": body_text,
        "body_html": body_html,
        "reason": _clean_header(reason)[:200],
        "kind": kind,
        "attachments": attachments or [],
        "status": status,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "related_type": related_type,
        "related_id": related_id,
        "channel": channel,
        "unit_id": unit_id,
        "fact_key": fact_key[:200] if fact_key else None,
        "hold_until": hold_until,
    }


def insert_ignoring_duplicates(values: dict[str, Any]) -> int | None:
    """Insert an outbox row unless its dedupe key exists; the new row's id, or None."""
    statement = insert_ignoring(OutboxEmail, "dedupe_key").values(**values).returning(OutboxEmail.id)
    return db.session.execute(statement).scalar()


def queue(user: Any, message: Message, dedupe_key: str, *, now: datetime | None = None,
          email: bool = True) -> int | None:
    """Queue ``message`` for ``user`` once per ``dedupe_key``; returns the outbox id when newly queued.

    The in-app notice is written only when the email row is new, so the two never disagree.
    """
    now = now or utcnow()
    address = getattr(user, "email", None) if email else None
    link = message.link
    if message.task_id is not None and address:
        if db.session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key[:200])):
            return None
        # the email carries the task's one-task link (or the signed-in page, per the unit's setting)
        link = link_services.task_link(db.session.get(Task, message.task_id), address, now)
    # in the recipient's language, whoever's action queued it; lazy subjects and reasons follow
    with force_locale(getattr(user, "locale", None) or current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = str(message.reason)
        context = {"user": user, "reason": reason, "link": link, **message.context}
        subject = _clean_header(str(message.subject))
        body_text = render_template(f"email/{message.template}.txt", **context)
        body_html = render_template(f"email/{message.template}.html", **context)
    values = row_values(dedupe_key=dedupe_key, address=address, recipient_id=getattr(user, "id", None),
                        subject=subject, body_text=body_text, body_html=body_html, reason=reason,
                        kind=message.kind, now=now, cc=message.cc, attachments=message.attachments,
                        related_type=message.related_type, related_id=message.related_id)
    new_id = insert_ignoring_duplicates(values)
    if new_id is None:
        return None
    if getattr(user, "id", None) is not None:
        # the in-app copy points to the signed-in page: a one-task link's token lives only in the email
        if link and link != message.link:
            body_text = body_text.replace(link, message.link or "")
        db.session.add(Notification(user_id=user.id, kind=message.kind, title=values["subject"],
                                    body=body_text, link=message.link, task_id=message.task_id,
                                    created_at=now))
    return new_id


def queue_channels(unit: Any, *, kind: str, text: str, dedupe_key: str, now: datetime,
                   related_type: str | None = None, related_id: int | None = None) -> int:
    """Queue ``text`` once per key for each channel ``unit`` has beside email (its group robot,
    its SMS phone); returns how many rows are new."""
    count = 0
    for channel in channels.unit_channels(unit):
        values = row_values(
            dedupe_key=f"{dedupe_key}:{channel.value}-unit-{unit.id}",
            address=channels.address_label(channel, unit) or channel.value, recipient_id=None,
            subject=text.splitlines()[0] if text else "", body_text=text, body_html="", reason="", kind=kind,
            now=now, related_type=related_type, related_id=related_id, channel=channel, unit_id=unit.id)
        if insert_ignoring_duplicates(values) is not None:
            count += 1
    return count
def unread_count_column(user_id: Any) -> Any:
    """The unread count of ``user_id`` as a scalar subquery, to read alongside the user."""
    return (sa.select(sa.func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0
