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

import itertools
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from tracker import timeutil
from tracker.auth.models import DigestMode, User
from tracker.db import insert_ignoring
from tracker.extensions import db
from tracker.links import services as link_services
from tracker.notify import links
from tracker.notify.models import Channel, OutboxEmail, OutboxStatus
from tracker.notify.outbox import row_values
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


def _links(rows: list, channel: Channel, now: datetime) -> list[str]:
    """Each digest line's link, as a single message would carry it: the task's one-task link for
    its reader (an email address, or the unit's chat), made for all the lines at once."""
    task_ids = {row.related_id for row in rows if row.related_type == "task" and row.related_id}
    tasks = {t.id: t for t in db.session.scalars(sa.select(Task).where(Task.id.in_(task_ids))
                                                 .options(selectinload(Task.unit)))} if task_ids else {}
    found: dict[int, str] = {}
    if channel is Channel.email:
        wanted = [(i, row) for i, row in enumerate(rows) if row.related_id in tasks and row.to_addr
                  and row.related_type == "task"]
        made = link_services.task_links([(tasks[row.related_id], row.to_addr, row.recipient_id)
                                         for _i, row in wanted], now)
        found = {i: url for (i, _row), url in zip(wanted, made, strict=True)}
    links_out = []
    for i, row in enumerate(rows):
        if i in found:
            links_out.append(found[i])
        elif row.related_type == "task" and row.related_id in tasks and channel is not Channel.email:
            links_out.append(link_services.chat_link(tasks[row.related_id], now))
        elif row.related_type == "task" and row.related_id:
            links_out.append(links.task_url(row.related_id))
        elif row.related_type == "supervision_notice" and row.related_id:
            links_out.append(links.notice_url(row.related_id))
        else:
            links_out.append("")
    return links_out


CHUNK = 500


def _ids_update(ids: list[int], *, returning: bool, **values: Any) -> set[int]:
    """A conditional held→… UPDATE of ``ids`` in chunks; the ids it moved when ``returning``."""
    moved: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        statement = (sa.update(_table).where(_table.c.id.in_(ids[start:start + CHUNK]),
                                             _table.c.status == OutboxStatus.held).values(**values))
        if returning:
            moved.update(db.session.execute(statement.returning(_table.c.id)).scalars())
        else:
            db.session.execute(statement)
    return moved


def fold_due(*, now: datetime) -> int:
    """Fold every recipient's due held rows into one message each; returns the digests written.

    A few statements whatever the number of recipients: the due rows are read at once, moved with
    conditional UPDATEs (only what this call moved is folded), and the digests inserted together."""
    held = list(db.session.execute(
        sa.select(_table.c.id, _table.c.channel, _table.c.recipient_id, _table.c.to_addr, _table.c.unit_id,
                  _table.c.subject, _table.c.kind, _table.c.related_type, _table.c.related_id)
        .where(_table.c.status == OutboxStatus.held, _table.c.hold_until <= now).order_by(_table.c.id)
    ))
    if not held:
        return 0
    groups: dict[tuple, list] = defaultdict(list)
    for row in held:
        channel = Channel(row.channel)
        target = (row.recipient_id, row.to_addr) if channel is Channel.email else (row.unit_id,)
        groups[(channel, *target)].append(row)
    singles = [rows[0].id for rows in groups.values() if len(rows) == 1]
    _ids_update(singles, returning=False, status=OutboxStatus.pending, next_attempt_at=now)
    moved = _ids_update([r.id for rows in groups.values() if len(rows) > 1 for r in rows], returning=True,
                        status=OutboxStatus.folded)
    folded = [(key[0], [r for r in rows if r.id in moved]) for key, rows in groups.items() if len(rows) > 1]
    folded = [(channel, rows) for channel, rows in folded if rows]
    if not folded:
        return 0
    recipient_ids = {rows[0].recipient_id for _c, rows in folded if rows[0].recipient_id}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(recipient_ids)))} \
        if recipient_ids else {}
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]

    def locale_of(channel: Channel, rows: list) -> str:
        reader = users.get(rows[0].recipient_id) if channel is Channel.email else None
        return getattr(reader, "locale", None) or default_locale

    # one language switch per language, not per digest
    folded.sort(key=lambda item: locale_of(*item))
    values = []
    for locale, group in itertools.groupby(folded, key=lambda item: locale_of(*item)):
        with force_locale(locale):
            values += [_digest_values(channel, rows, users.get(rows[0].recipient_id), now, locale)
                       for channel, rows in group]
    statement = insert_ignoring(_table, "dedupe_key").returning(_table.c.id, _table.c.dedupe_key)
    digest_ids = {key: digest_id for digest_id, key in db.session.execute(statement, values)}
    links_to_digest = [{"row_id": row.id, "digest": digest_ids[value["dedupe_key"]]}
                       for (_channel, rows), value in zip(folded, values, strict=True)
                       if value["dedupe_key"] in digest_ids for row in rows]
    if links_to_digest:
        db.session.execute(sa.update(_table).where(_table.c.id == sa.bindparam("row_id"))
                           .values(digest_id=sa.bindparam("digest")), links_to_digest)
    db.session.flush()
    return len(digest_ids)


def _digest_values(channel: Channel, rows: list, recipient: User | None, now: datetime,
                   locale: str) -> dict[str, Any]:
    """The outbox row of one digest: the listed rows' subjects and links, in the active language."""
    first = rows[0]
    # one line per task: an escalation and a chase of the same task say it once, as the escalation
    lines, seen = [], set()
    for row in sorted(rows, key=lambda r: (r.kind != "task_escalation", r.id)):
        about = (row.related_type, row.related_id) if row.related_id else ("row", row.id)
        if about not in seen:
            seen.add(about)
            lines.append(row)
    items = [{"subject": row.subject, "link": link, "kind": row.kind}
             for row, link in zip(lines, _links(lines, channel, now), strict=True)]
    today = timeutil.local_today(now)
    env = current_app.jinja_env
    subject = _("【督办汇总】%(n)d项督办事项（%(day)s）", n=len(items), day=today.isoformat())
    reason = _("每日汇总")
    context = {"user": recipient, "items": items, "subject": subject, "today": today,
               "current_locale": str(locale), "_": _, "gettext": _}
    if channel is Channel.email:
        body_text = env.get_template("email/digest.txt").render(context)
        body_html = env.get_template("email/digest.html").render(context)
    else:
        body_text = env.get_template("channel/digest.txt").render(context)
        body_html = ""
    return row_values(dedupe_key=f"digest:{channel.value}:{first.id}", address=first.to_addr,
                      recipient_id=first.recipient_id, subject=subject, body_text=body_text,
                      body_html=body_html, reason=reason, kind=DIGEST_KIND, now=now,
                      channel=channel, unit_id=first.unit_id if channel is not Channel.email else None)
