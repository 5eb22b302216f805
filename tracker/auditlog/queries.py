"""The audit log filtered as the audit page and its exports ask: by person, unit, object, action
and date, within what the reader may see (``tracker.access.audit_condition``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from tracker import access, timeutil
from tracker.audit import AuditEntry
from tracker.auth.models import User
from tracker.extensions import db
from tracker.tasks.models import Task

#: actions the 等保 checklist calls security events
SECURITY_ACTIONS = ("user.locked", "user.unlocked", "user.updated", "user.role_changed", "user.created",
                    "user.password_changed", "user.password_reset", "user.totp_enabled", "user.totp_reset",
                    "user.recovery_code_used", "api_token.created", "api_token.revoked", "security.permission_denied",
                    "audit.archived")


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    security_only: bool = False
    unit_id: int | None = None

    def args(self) -> dict:
        """The filter as query-string arguments (pager and export links keep it)."""
        values = {"action": self.action, "actor": self.actor, "object_type": self.object_type, "unit_id": self.unit_id,
                  "object_id": self.object_id, "date_from": self.date_from and self.date_from.isoformat(),
                  "date_to": self.date_to and self.date_to.isoformat(), "security": "1" if self.security_only else None}
        return {k: v for k, v in values.items() if v not in (None, "")}


def parse_filter(args) -> AuditFilter:
    """Bad values are dropped, not an error: the page shows everything the rest allows."""

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, "")) if args.get(name) else None
        except ValueError:
            return None

    object_id = args.get("object_id", "")
    unit_id = args.get("unit_id", "")
    return AuditFilter(
        unit_id=int(unit_id) if unit_id.isdigit() and len(unit_id) < 10 else None,
        action=(args.get("action") or "").strip()[:64], actor=(args.get("actor") or "").strip()[:254],
        object_type=(args.get("object_type") or "").strip()[:32],
        object_id=int(object_id) if object_id.isdigit() and len(object_id) < 10 else None,
        date_from=day("date_from"), date_to=day("date_to"), security_only=args.get("security") == "1")


def filtered(f: AuditFilter, user: Any) -> sa.Select:
    """The entries ``user`` may read that the filter selects, newest first."""
    query = sa.select(AuditEntry).where(access.audit_condition(user)).order_by(AuditEntry.id.desc())
    if f.unit_id is not None:
        # the unit's own people did it, or it happened to one of the unit's tasks
        people = sa.select(User.id).where(User.unit_id == f.unit_id).scalar_subquery()
        tasks = sa.select(Task.id).where(Task.unit_id == f.unit_id).scalar_subquery()
        query = query.where(sa.or_(AuditEntry.actor_id.in_(people),
                                   sa.and_(AuditEntry.object_type == "task", AuditEntry.object_id.in_(tasks))))
    if f.action:
        query = query.where(AuditEntry.action.startswith(f.action, autoescape=True))
    if f.actor:
        query = query.join(User, User.id == AuditEntry.actor_id).where(
            sa.or_(User.email.contains(f.actor.lower(), autoescape=True), User.name.contains(f.actor, autoescape=True)))
    if f.object_type:
        query = query.where(AuditEntry.object_type == f.object_type)
    if f.object_id is not None:
        query = query.where(AuditEntry.object_id == f.object_id)
    if f.date_from:
        query = query.where(AuditEntry.at >= timeutil.end_of_day_utc(f.date_from - timedelta(days=1)))
    if f.date_to:
        query = query.where(AuditEntry.at <= timeutil.end_of_day_utc(f.date_to))
    if f.security_only:
        query = query.where(AuditEntry.action.in_(SECURITY_ACTIONS))
    return query


def choices(user: Any) -> tuple[list[str], list[str]]:
    """The actions and object types among the entries ``user`` may read, for the filter's lists."""
    visible = access.audit_condition(user)
    actions = list(db.session.scalars(sa.select(AuditEntry.action).where(visible).distinct()
                                      .order_by(AuditEntry.action)))
    types = list(db.session.scalars(sa.select(AuditEntry.object_type).where(visible).distinct()
                                    .order_by(AuditEntry.object_type)))
    return actions, types
