"""Checking the audit chain, and retention: old days archived to a signed export, then removed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from tracker import audit, timeutil
from tracker.audit import AuditEntry
from tracker.extensions import db


class AuditLogError(ValueError):
    """Retention or an archive check refused; the message is for the operator."""


@dataclass
class Break:
    id: int
    day: str
    #: "changed": the row's fields do not match its hash; "link": the row before it is missing or another
    reason: str


@dataclass
class VerifyResult:
    rows: int = 0
    days: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def check_rows(rows: Iterator[Any]) -> VerifyResult:
    """Walk rows in (day, id) order and report every place the chain does not hold."""
    result = VerifyResult()
    day, expected = None, None
    for row in rows:
        result.rows += 1
        if row.chain_day != day:
            day, expected = row.chain_day, audit.genesis(row.chain_day or "")
            result.days += 1
        if row.row_hash is None or row.chain_day is None or row.row_hash != audit.row_hash(row):
            result.breaks.append(Break(row.id, row.chain_day or "", "changed"))
        elif row.prev_hash != expected:
            result.breaks.append(Break(row.id, row.chain_day, "link"))
        expected = row.row_hash
    return result


def verify(*, since_day: str | None = None) -> VerifyResult:
    """Check the whole stored log (or the days from ``since_day``)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.chain_day, AuditEntry.id)
    if since_day:
        query = query.where(AuditEntry.chain_day >= since_day)
    # no joined actor: read the columns as stored
    query = query.options(lazyload(AuditEntry.actor))
    return check_rows(db.session.scalars(query.execution_options(yield_per=1000)))


def archive_folder() -> Path:
    return Path(current_app.config.get("AUDIT_ARCHIVE_FOLDER") or os.path.join(current_app.instance_path,
                                                                               "audit-archive"))


def _signing_key() -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"duban-audit-archive", hashlib.sha256).digest()


def sign(data: bytes) -> str:
    return hmac.new(_signing_key(), data, hashlib.sha256).hexdigest()


def export_row(row: AuditEntry) -> dict[str, Any]:
    return {"id": row.id, "at": row.at.isoformat(), "actor_id": row.actor_id, "action": row.action,
            "object_type": row.object_type, "object_id": row.object_id, "data": row.data,
            "chain_day": row.chain_day, "prev_hash": row.prev_hash, "row_hash": row.row_hash}


@dataclass
class ArchiveResult:
    rows: int
    path: Path | None
    first_day: str | None = None
    last_day: str | None = None


def archive_expired(*, now: datetime, actor: Any = None, retention_days: int | None = None) -> ArchiveResult:
    """Write rows of days older than the retention to a signed JSON-lines file, then delete them.

    Refuses (nothing removed) when those rows do not verify or the folder cannot be written. The
    caller commits; the file is on disk (and synced) before any row is deleted, and the removal is
    itself recorded in the log.
    """
    days = int(current_app.config.get("AUDIT_RETENTION_DAYS", 180) if retention_days is None else retention_days)
    if days <= 0:
        return ArchiveResult(0, None)
    cutoff = (timeutil.local_today(now) - timedelta(days=days)).isoformat()
    query = (sa.select(AuditEntry).where(AuditEntry.chain_day < cutoff)
             .order_by(AuditEntry.chain_day, AuditEntry.id).options(lazyload(AuditEntry.actor)))
    rows = list(db.session.scalars(query))
    if not rows:
        return ArchiveResult(0, None)
    checked = check_rows(iter(rows))
    if not checked.ok:
        first = checked.breaks[0]
        raise AuditLogError(_("审计日志在 %(day)s 的第 %(id)d 条记录处不连续，未归档、未删除。请先核查。",
                              day=first.day, id=first.id))
    folder = archive_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuditLogError(_("无法写入归档目录 %(path)s：%(error)s", path=str(folder), error=exc.strerror)) from exc
    body = "".join(json.dumps(export_row(r), ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    data = body.encode("utf-8")
    first_day, last_day = rows[0].chain_day, rows[-1].chain_day
    stem = f"audit-{first_day}-{last_day}-{now.strftime('%Y%m%dT%H%M%S')}"
    path = folder / f"{stem}.jsonl"
    try:
        _write_synced(path, data)
        _write_synced(folder / f"{stem}.jsonl.sig", (sign(data) + "\n").encode())
    except OSError as exc:
        raise AuditLogError(_("无法写入归档目录 %(path)s：%(error)s", path=str(folder), error=exc.strerror)) from exc
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 500):
        db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id.in_(ids[start:start + 500])))
    audit.record(actor, "audit.archived", None, {
        "rows": len(rows), "first_day": first_day, "last_day": last_day, "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest()}, now=now, object_type="audit_entry")
    return ArchiveResult(len(rows), path, first_day, last_day)


def _write_synced(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


@dataclass
class _Row:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: int | None
    data: dict
    chain_day: str
    prev_hash: str
    row_hash: str


def verify_archive(path: Path) -> VerifyResult:
    """An archive's signature (made with this install's secret key) and the chain inside it."""
    data = path.read_bytes()
    sig_path = path.with_name(path.name + ".sig")
    if not sig_path.exists():
        raise AuditLogError(_("缺少签名文件 %(name)s。", name=sig_path.name))
    if not hmac.compare_digest(sig_path.read_text().strip(), sign(data)):
        raise AuditLogError(_("归档文件 %(name)s 的签名不符：文件已被改动，或不是本系统的归档。", name=path.name))
    rows = []
    for line in data.decode("utf-8").splitlines():
        item = json.loads(line)
        item["at"] = datetime.fromisoformat(item["at"])
        rows.append(_Row(**item))
    return check_rows(iter(rows))
