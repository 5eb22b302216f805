"""One-task links: issue one per task email, resolve a token to what it grants, revoke.

A token is 32 random bytes (``secrets.token_urlsafe``); only its sha256 is stored, so a copy of
the database opens nothing. A link is bound to its task and to the address it was emailed to,
lives ``LINK_DAYS`` (30) days after the latest email about that task to that address, and dies
when the supervisor revokes it or the task is assigned again, reassigned or cancelled.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker import access, audit
from tracker.auth.models import User
from tracker.errors import UserError
from tracker.extensions import db
from tracker.links.models import LinkGrant, TaskLink, chat_address
from tracker.notify.links import base_url
from tracker.tasks.models import Task
from tracker.units.models import Unit

#: why links die; shown to no one but the audit
REVOKED_BY_SUPERVISOR, REVOKED_BY_ASSIGNMENT, REVOKED_BY_REASSIGNMENT, REVOKED_BY_CANCEL = (
    "supervisor", "assigned", "reassigned", "cancelled")


class LinkError(Exception):
    """A link that opens nothing: unknown (404) or expired/revoked (410). Its pages answer with a
    page of their own, never a redirect into the signed-in site."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LinkSettingError(UserError):
    """Bad input for a link setting."""


_TOKEN_IN_TEXT = re.compile(r"/l/[A-Za-z0-9_-]{20,}")


def redact(text: str | None) -> str:
    """``text`` with every one-task link's token hidden: the outbox pages show mail to people who
    must not act as the unit."""
    return _TOKEN_IN_TEXT.sub("/l/********", text or "")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(days=int(current_app.config.get("LINK_DAYS", 30)))


def _base_url() -> str:
    return base_url()


def _signed_in_url(task: Task) -> str:
    return _base_url() + current_app.url_map.bind("").build("tasks.view_task", {"task_id": task.id})


def link_url(token: str) -> str:
    return _base_url() + current_app.url_map.bind("").build("links.open_task", {"token": token})


def issue(task: Task, address: str, now: datetime) -> str:
    """A new token for ``task`` and ``address``; the pair's live links are renewed to the same expiry."""
    token = secrets.token_urlsafe(32)
    expires_at = now + _lifetime()
    db.session.execute(
        sa.update(TaskLink).where(TaskLink.task_id == task.id, TaskLink.email == address,
                                  TaskLink.revoked_at.is_(None), TaskLink.expires_at > now)
        .values(expires_at=expires_at))
    db.session.add(TaskLink(task_id=task.id, email=address, token_hash=hash_token(token), created_at=now,
                            expires_at=expires_at))
    db.session.flush()
    return token


def task_links(wanted: list[tuple[Task, str, int | None]], now: datetime) -> list[str]:
    """``task_link`` for many (task, address, recipient id) at once, in a few statements: the
    reminder sweep's thousands of emails. The recipient id stands for the address when it is an
    active person of the task's unit (one query for all); the unit's contact address also counts."""
    if not wanted:
        return []
    ids = {rid for _t, _a, rid in wanted if rid is not None}
    unit_people: dict[int, int] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 500):
        unit_people.update(db.session.execute(sa.select(User.id, User.unit_id).where(
            User.id.in_(id_list[start:start + 500]), access.assignable_people_condition())).all())
    expires_at = now + _lifetime()
    urls, rows, pairs = [], [], set()
    for task, address, rid in wanted:
        unit = task.unit
        allowed = bool(address) and unit is not None and unit.links_enabled and (
            (rid is not None and unit_people.get(rid) == task.unit_id)
            or (bool(unit.contact_email) and unit.contact_email.strip().lower() == address.strip().lower()))
        if not allowed:
            urls.append(_signed_in_url(task))
            continue
        token = secrets.token_urlsafe(32)
        rows.append({"task_id": task.id, "email": address, "token_hash": hash_token(token), "created_at": now,
                     "expires_at": expires_at})
        pairs.add((task.id, address))
        urls.append(link_url(token))
    ordered = sorted(pairs)
    for start in range(0, len(ordered), 500):
        db.session.execute(
            sa.update(TaskLink).where(sa.tuple_(TaskLink.task_id, TaskLink.email).in_(ordered[start:start + 500]),
                                      TaskLink.revoked_at.is_(None), TaskLink.expires_at > now)
            .values(expires_at=expires_at))
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(TaskLink.__table__), rows[start:start + 1000])
    return urls


def task_link(task: Task, address: str, now: datetime) -> str:
    """The address of ``task`` for an email to ``address``: a fresh one-task link when the unit has
    links on and the address is the unit's, else the signed-in task page."""
    if not access.link_recipient_allowed(task, address):
        return _signed_in_url(task)
    return link_url(issue(task, address, now))


def chat_link(task: Task, now: datetime) -> str:
    """The address of ``task`` in a message to its unit's group robot or SMS phone: a one-task link
    bound to the unit's chat when the unit has links on, else the signed-in task page."""
    return task_link(task, chat_address(task.unit), now) if task.unit is not None else _signed_in_url(task)


def resolve(token: str, now: datetime) -> tuple[LinkGrant, Task]:
    """What ``token`` grants, or LinkError; the link's last use is recorded."""
    link = None
    if token and len(token) <= 100:
        link = db.session.scalar(sa.select(TaskLink).where(TaskLink.token_hash == hash_token(token)))
    if link is None:
        raise LinkError(404, _("链接无效：请核对邮件中的链接是否完整。"))
    if link.revoked_at is not None:
        raise LinkError(410, _("此链接已失效（任务已重新交办或链接已被收回）。"
                               "请使用最新邮件中的链接，或登录系统办理。"))
    if now >= link.expires_at:
        raise LinkError(410, _("此链接已过期。请使用最新邮件中的链接，或登录系统办理。"))
    task = db.session.get(Task, link.task_id)
    if task is None:
        raise LinkError(404, _("链接无效：请核对邮件中的链接是否完整。"))
    link.last_used_at = now
    return LinkGrant(link_id=link.id, task_id=task.id, email=link.email), task


def revoke_all(task: Task, reason: str, now: datetime) -> int:
    """Revoke every live link of ``task`` (part of another service's change; it audits)."""
    result = db.session.execute(
        sa.update(TaskLink).where(TaskLink.task_id == task.id, TaskLink.revoked_at.is_(None),
                                  TaskLink.expires_at > now)
        .values(revoked_at=now, revoked_reason=reason))
    return result.rowcount or 0


def live_links(task: Task, now: datetime) -> list[TaskLink]:
    """The task's links that still open it, newest first (the supervisor sees to whom)."""
    return list(db.session.scalars(
        sa.select(TaskLink).where(TaskLink.task_id == task.id, TaskLink.revoked_at.is_(None),
                                  TaskLink.expires_at > now).order_by(TaskLink.id.desc())))


def revoke(task: Task, *, actor, now: datetime) -> int:
    """The supervisor revokes every live link of the task (收回链接)."""
    access.check(access.may_revoke_links(actor, task))
    count = revoke_all(task, REVOKED_BY_SUPERVISOR, now)
    db.session.flush()
    audit.record(actor, "task.links_revoked", task, {"count": count}, now=now)
    return count


def set_unit_links(unit: Unit, enabled: bool, *, actor, now: datetime) -> Unit:
    """A unit turns its one-task links on or off; off also revokes the live links of its tasks."""
    access.check(access.may_set_unit_links(actor, unit))
    if not isinstance(enabled, bool):
        raise LinkSettingError(_("请求有误，请刷新后重试。"))
    if unit.links_enabled == enabled:
        return unit
    unit.links_enabled = enabled
    revoked = 0
    if not enabled:
        result = db.session.execute(
            sa.update(TaskLink).where(TaskLink.task_id.in_(sa.select(Task.id).where(Task.unit_id == unit.id)),
                                      TaskLink.revoked_at.is_(None), TaskLink.expires_at > now)
            .values(revoked_at=now, revoked_reason="unit_off"))
        revoked = result.rowcount or 0
    db.session.flush()
    audit.record(actor, "unit.links_changed", unit, {"enabled": enabled, "revoked": revoked}, now=now)
    return unit
