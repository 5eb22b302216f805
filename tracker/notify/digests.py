"""Digests: held outbox rows folded into one message per recipient when their time comes.

A row is *held* (not pending) when it should not go out on its own:

* a chase or an escalation: all of one person's (or one unit robot's, or phone's) found by a sweep
  go out together, as one message listing the tasks, right after the sweep;
* any reminder to a person who reads a daily digest: held until the next ``DIGEST_TIME``;
* a chase to a unit past its weekly cap: held until the next Monday's ``DIGEST_TIME``.

``fold_due`` moves the due held rows of one recipient from ``held`` to ``folded`` with a
conditional UPDATE (so two processes never fold the same row) and writes one digest row that
lists exactly the rows it moved; a single row goes out as itself. The digest is then sent like
any other row, exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from tracker import timeutil
from tracker.auth.models import DigestMode, User
from tracker.extensions import db
from tracker.links import services as link_services
from tracker.notify import links
from tracker.notify.models import Channel, OutboxEmail, OutboxStatus
from tracker.notify.outbox import insert_ignoring_duplicates, row_values
from tracker.tasks.models import Task

#: folded by day: what one person is chased about on one day goes out as one message
CHASE_KINDS = frozenset({"task_overdue", "task_escalation", "notice_chase"})
#: what a unit's weekly cap counts
CAPPED_KINDS = frozenset({"task_overdue", "notice_chase"})
DIGEST_KIND = "digest"
_table = OutboxEmail.__table__


def _digest_clock() -> time:
    hour, _sep, minute = (current_app.config.get("DIGEST_TIME") or "08:30").partition(":")
    return time(int(hour), int(minute or 0))


def next_digest_time(now: datetime) -> datetime:
    """The next daily digest instant at or after ``now`` (UTC)."""
    tz = timeutil.local_tz()
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), _digest_clock(), tzinfo=tz)
    if at < local:
        at = datetime.combine(local.date() + timedelta(days=1), _digest_clock(), tzinfo=tz)
    return at.astimezone(UTC)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 local of ``now``'s week, as UTC."""
    tz = timeutil.local_tz()
    day = now.astimezone(tz).date()
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)


def next_week_digest(now: datetime) -> datetime:
    """The digest instant of next Monday: where chases past a unit's weekly cap go."""
    tz = timeutil.local_tz()
    monday = week_start(now).astimezone(tz).date() + timedelta(days=7)
    return datetime.combine(monday, _digest_clock(), tzinfo=tz).astimezone(UTC)


def weekly_cap(unit: Any) -> int:
    """The unit's own cap, else the configured one; 0 means none."""
    own = getattr(unit, "chase_weekly_cap", None)
    return int(own if own is not None else current_app.config.get("CHASE_WEEKLY_CAP") or 0)


def chased_this_week(unit_ids: set[int], now: datetime) -> dict[int, set[str]]:
    """The chase facts each unit has had this week (any channel, any recipient)."""
    found: dict[int, set[str]] = defaultdict(set)
    if not unit_ids:
        return found
    rows = db.session.execute(
        sa.select(OutboxEmail.unit_id, OutboxEmail.fact_key).distinct()
        .where(OutboxEmail.kind.in_(CAPPED_KINDS), OutboxEmail.unit_id.in_(unit_ids),
               OutboxEmail.created_at >= week_start(now), OutboxEmail.fact_key.is_not(None))
    )
    for unit_id, fact_key in rows:
        found[unit_id].add(fact_key)
    return found


def hold_until(kind: str, digest_mode: DigestMode | str | None, *, over_cap: bool, now: datetime) -> datetime | None:
    """When a new row may go out: None at once, else the instant its digest is folded."""
    times = []
    if over_cap:
        times.append(next_week_digest(now))
    elif kind in CHASE_KINDS:
        times.append(now)
    if digest_mode in (DigestMode.daily, DigestMode.daily.value):
        times.append(next_digest_time(now))
    return max(times) if times else None


def _link(row: Any, channel: Channel, now: datetime) -> str:
    """The digest line's link: the task's one-task link for its reader (an email address, or the
    unit's chat), as a single message would carry."""
    if row.related_type == "task" and row.related_id:
        task = db.session.get(Task, row.related_id)
        if task is None:
            return links.task_url(row.related_id)
        if channel is Channel.email:
            return link_services.task_link(task, row.to_addr, now) if row.to_addr else links.task_url(task)
        return link_services.chat_link(task, now)
    if row.related_type == "supervision_notice" and row.related_id:
        return links.notice_url(row.related_id)
    return ""


def fold_due(*, now: datetime) -> int:
    """Fold every recipient's due held rows into one message each; returns the digests written."""
    held = list(db.session.execute(
        sa.select(_table).where(_table.c.status == OutboxStatus.held, _table.c.hold_until <= now)
        .order_by(_table.c.id)
    ))
    groups: dict[tuple, list] = defaultdict(list)
    for row in held:
        channel = Channel(row.channel)
        target = (row.recipient_id, row.to_addr) if channel is Channel.email else (row.unit_id,)
        groups[(channel, *target)].append(row)
    written = 0
    for (channel, *_target), rows in groups.items():
        if len(rows) == 1:
            db.session.execute(sa.update(_table).where(_table.c.id == rows[0].id,
                                                       _table.c.status == OutboxStatus.held)
                               .values(status=OutboxStatus.pending, next_attempt_at=now))
            continue
        moved = set(db.session.execute(
            sa.update(_table).where(_table.c.id.in_([r.id for r in rows]), _table.c.status == OutboxStatus.held)
            .values(status=OutboxStatus.folded).returning(_table.c.id)
        ).scalars())
        rows = [r for r in rows if r.id in moved]
        if not rows:
            continue
        digest_id = _write_digest(channel, rows, now)
        db.session.execute(sa.update(_table).where(_table.c.id.in_(moved)).values(digest_id=digest_id))
        written += 1
    db.session.flush()
    return written


def _write_digest(channel: Channel, rows: list, now: datetime) -> int | None:
    first = rows[0]
    # one line per task: an escalation and a chase of the same task say it once, as the escalation
    items, seen = [], set()
    for row in sorted(rows, key=lambda r: (r.kind != "task_escalation", r.id)):
        about = (row.related_type, row.related_id) if row.related_id else ("row", row.id)
        if about in seen:
            continue
        seen.add(about)
        link = _link(row, channel, now)
        items.append({"subject": row.subject, "link": link, "kind": row.kind})
    recipient = db.session.get(User, first.recipient_id) if first.recipient_id else None
    locale = (getattr(recipient, "locale", None) if channel is Channel.email else None) \
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    today = timeutil.local_today(now)
    with force_locale(locale):
        subject = _("【督办汇总】%(n)d项督办事项（%(day)s）", n=len(items), day=today.isoformat())
        reason = _("每日汇总")
        context = {"user": recipient, "items": items, "subject": subject, "today": today,
                   "current_locale": str(locale)}
        if channel is Channel.email:
            body_text = render_template("email/digest.txt", **context)
            body_html = render_template("email/digest.html", **context)
        else:
            body_text = render_template("channel/digest.txt", **context)
            body_html = ""
    values = row_values(dedupe_key=f"digest:{channel.value}:{first.id}", address=first.to_addr,
                        recipient_id=first.recipient_id, subject=subject, body_text=body_text,
                        body_html=body_html, reason=reason, kind=DIGEST_KIND, now=now,
                        channel=channel, unit_id=first.unit_id if channel is not Channel.email else None)
    return insert_ignoring_duplicates(values)
