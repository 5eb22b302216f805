"""Local time: deadlines are local dates (end of that day), storage is UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Shanghai"


def local_tz() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name or DEFAULT_TZ)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(value: datetime) -> datetime:
    return value.astimezone(local_tz())


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def end_of_day_utc(day: date) -> datetime:
    """The last instant of a local date, in UTC: when a deadline on that date passes."""
    start_next = datetime.combine(day + timedelta(days=1), time.min, tzinfo=local_tz())
    return (start_next - timedelta(microseconds=1)).astimezone(UTC)


def parse_iso(value: str) -> datetime:
    """An ISO date or datetime from the CLI; a naive value is local time."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local_tz())
    return parsed.astimezone(UTC)
