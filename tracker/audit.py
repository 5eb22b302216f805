"""One audit trail for every change: who did what to which object, when.

Each row carries the hash of the row before it on the same (local) day and its own hash over
its fields and that link, so an edited, removed or inserted row shows as a break in the chain
(``flask audit verify``, :mod:`tracker.auditlog`). A chain per day lets retention remove whole
days of old rows without breaking the days it keeps.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker import timeutil
from tracker.db import db, utcnow

#: PostgreSQL advisory lock taken while a row is linked: one writer at a time extends the chain
CHAIN_LOCK = 0x6475_6261


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_object", "object_type", "object_id", "id"),
        # scoring reads one action's events (every 办结, every 退回 of a period) without the rest
        sa.Index("ix_audit_entry_action", "action", "object_type", "object_id", "id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: dotted name of what happened, e.g. "task.submitted"
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: the chain (tracker.auditlog): the local day of ``at``, the previous row's hash that day, this row's
    chain_day: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    row_hash: Mapped[str | None] = mapped_column(sa.String(64))

    actor = db.relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


def record(
    actor: Any,
    action: str,
    obj: Any,
    data: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
    object_type: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits).

    An actor that is not a user (a one-task link) carries ``audit_data``, what to record about it.
    """
    extra = getattr(actor, "audit_data", None)
    if extra:
        data = {**(data or {}), **extra}
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or getattr(obj, "__tablename__", type(obj).__name__.lower()),
        object_id=getattr(obj, "id", None),
        data=_jsonable(data or {}),
    )
    db.session.add(entry)
    link(entry)
    return entry


def link(entry: AuditEntry) -> None:
    """Give a new row its place in its day's chain: the previous row's hash, and its own.

    On PostgreSQL an advisory lock, taken before the row is inserted and held to the end of the
    transaction, keeps two transactions from linking to the same row and gives ids in linking
    order; on SQLite the insert takes the database's write lock, to the same effect.
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # before the row is inserted: ids then follow the order in which transactions link
        with session.no_autoflush:
            session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    session.flush()
    entry.chain_day = chain_day(entry.at)
    previous = session.scalar(
        sa.select(AuditEntry.row_hash)
        .where(AuditEntry.chain_day == entry.chain_day, AuditEntry.id < entry.id)
        .order_by(AuditEntry.id.desc()).limit(1)
    )
    entry.prev_hash = previous or genesis(entry.chain_day)
    entry.row_hash = row_hash(entry)


def chain_day(at: datetime) -> str:
    return timeutil.to_local(at).date().isoformat()


def genesis(day: str) -> str:
    """The link of a day's first row."""
    return hashlib.sha256(f"duban-audit:{day}".encode()).hexdigest()


def canonical(entry: Any) -> str:
    """The row's fields as hashed: the same text before and after a round trip through the database."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    return json.dumps([entry.id, at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
                       entry.actor_id, entry.action, entry.object_type, entry.object_id, entry.data or {},
                       entry.chain_day, entry.prev_hash],
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(entry: Any) -> str:
    return hashlib.sha256(canonical(entry).encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    return value


def entries_for(object_type: str, object_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)
        )
    )
