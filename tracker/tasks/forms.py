"""Reading the task pages' forms: plain values out, no business rules (the services validate)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker import periods
from tracker.tasks.labels import PERIOD_LABELS, ROLE_LABELS
from tracker.tasks.models import ProgressReport, ReportingPeriod, Task, UnitRole


def parse_date(value: str | None) -> date | None:
    """An ISO date from a date input; None when missing or malformed (the service says why)."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def parse_int(value: str | None) -> int | None:
    text = (value or "").strip()
    if text.startswith("-") and text[1:].isdigit():
        return int(text)
    return int(text) if text.isdigit() else None


def parse_ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if (v or "").strip().isdigit()]


def parse_bool(form: Any, name: str) -> bool:
    return (form.get(name) or "") in ("1", "on", "true", "y")


def parse_role(value: str | None) -> UnitRole | None:
    return UnitRole.__members__.get(value or "")


def parse_period(value: str | None) -> ReportingPeriod | None:
    """A period from a form's value, or from a parser code (``half-yearly``); None for daily or unknown."""
    found = periods.from_suggestion(value)
    return ReportingPeriod(found) if found else None


def parse_percent(value: str | None) -> int | str | None:
    """An integer percent, None when empty; a non-number is passed on so the service refuses it."""
    text = (value or "").strip()
    if not text:
        return None
    number = parse_int(text)
    return number if number is not None else text


def report_defaults(task: Task, last: ProgressReport | None) -> dict[str, Any]:
    """What the progress form starts with: for a periodic task, the unit's last report (text and
    percent), so the unit changes only what is new (减负); otherwise an empty text."""
    percent = task.progress_percent
    if last is None or task.reporting_period is ReportingPeriod.once:
        return {"text": "", "percent": percent, "prefilled": False}
    return {"text": last.text, "percent": last.percent if last.percent is not None else percent,
            "prefilled": True, "from_period": last.period_key, "from_at": last.created_at}


def uploaded_files(files: Any, name: str = "files") -> list[Any]:
    return [f for f in files.getlist(name) if f and f.filename]


ROLE_CHOICES = [(role.value, label) for role, label in ROLE_LABELS.items()]
PERIOD_CHOICES = [(period.value, label) for period, label in PERIOD_LABELS.items()]
