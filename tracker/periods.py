"""Reporting periods (反馈周期): one vocabulary for the parser's suggestions, forms, models,
reminders and the API, and the key and bounds of each period.

Pure (no Flask, no database): the reminder rules and the parser's callers both use it. The
parser writes its codes hyphenated (``half-yearly``, the corpus format); the task model stores
``ReportingPeriod`` values (``half_yearly``). ``daily`` is a rhythm a plan may state, but nobody
reports daily: it maps to no period, and the assignment page shows it as a note.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

#: the periods a task may report on, in the order forms list them
PERIODS = ("once", "weekly", "monthly", "quarterly", "half_yearly", "yearly")
#: the periodic ones (``once`` owes no periodic report)
PERIODIC = PERIODS[1:]
#: the parser's codes (``outline.Item.period``) and the period each means; ``daily`` means none
SUGGESTED = {"daily": None, "weekly": "weekly", "monthly": "monthly", "quarterly": "quarterly",
             "half-yearly": "half_yearly", "yearly": "yearly"}
#: the key a report for each period carries, e.g. "2026-W05", "2026-03", "2026-Q1", "2026-H1", "2026"
KEY_PATTERNS = {
    "weekly": r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$",
    "monthly": r"^\d{4}-(0[1-9]|1[0-2])$",
    "quarterly": r"^\d{4}-Q[1-4]$",
    "half_yearly": r"^\d{4}-H[12]$",
    "yearly": r"^\d{4}$",
}


def from_suggestion(code: str | None) -> str | None:
    """The period value a parser code (or a period value itself) means; None for daily or unknown."""
    text = (code or "").strip().lower()
    if text in SUGGESTED:
        return SUGGESTED[text]
    normalized = text.replace("-", "_")
    return normalized if normalized in PERIODS else None


def bounds(day: date, period: str) -> tuple[str, date, date] | None:
    """The period containing ``day``: its key, first day and last day; None for ``once`` or unknown.

    Weeks are ISO weeks (Monday to Sunday) keyed by their ISO year, so 2027-01-01 is in 2026-W53.
    """
    year = day.year
    if period == "weekly":
        iso_year, week, weekday = day.isocalendar()
        start = day - timedelta(days=weekday - 1)
        return f"{iso_year}-W{week:02d}", start, start + timedelta(days=6)
    if period == "monthly":
        first_next = date(year + (day.month == 12), day.month % 12 + 1, 1)
        return f"{year}-{day.month:02d}", day.replace(day=1), first_next - timedelta(days=1)
    if period == "quarterly":
        quarter = (day.month - 1) // 3 + 1
        end_month = quarter * 3
        first_next = date(year + (end_month == 12), end_month % 12 + 1, 1)
        return f"{year}-Q{quarter}", date(year, end_month - 2, 1), first_next - timedelta(days=1)
    if period == "half_yearly":
        if day.month <= 6:
            return f"{year}-H1", date(year, 1, 1), date(year, 6, 30)
        return f"{year}-H2", date(year, 7, 1), date(year, 12, 31)
    if period == "yearly":
        return f"{year}", date(year, 1, 1), date(year, 12, 31)
    return None


def last_closed(period: str, today: date) -> tuple[str, date, date]:
    """The key, first and last day of the latest whole period that ended before ``today``."""
    current = bounds(today, period)
    if current is None:
        raise ValueError(period)
    previous = bounds(current[1] - timedelta(days=1), period)
    assert previous is not None
    return previous


def is_valid_key(period: str, key: str) -> bool:
    """Whether ``key`` names a period of this kind (a report's 反馈期次)."""
    pattern = KEY_PATTERNS.get(period)
    if pattern is None or not re.match(pattern, key or ""):
        return False
    if period == "weekly":
        year, week = int(key[:4]), int(key[6:])
        return week <= date(year, 12, 28).isocalendar()[1]
    return True


def key_kind(key: str) -> str | None:
    """Which kind of period a key names ("2026-Q3" → "quarterly"); None when it names none."""
    for period in ("weekly", "quarterly", "half_yearly", "monthly", "yearly"):
        if is_valid_key(period, key or ""):
            return period
    return None


_CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_TEXT_PATTERNS = (
    (re.compile(r"^(\d{4})\s*年?\s*(上|下)\s*半\s*年$"), lambda y, m: f"{y}-H{1 if m == '上' else 2}"),
    (re.compile(r"^(\d{4})\s*年?\s*第?\s*([一二三四1-4])\s*季度?$"), lambda y, m: f"{y}-Q{_CN_NUMBERS[m]}"),
    (re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月(份)?$"), lambda y, m: f"{y}-{int(m):02d}"),
    (re.compile(r"^(\d{4})\s*年\s*第\s*(\d{1,2})\s*周$"), lambda y, m: f"{y}-W{int(m):02d}"),
    (re.compile(r"^(\d{4})\s*(年|年度|全年)?$"), lambda y, m: f"{y}"),
)


def parse_key(text: str | None) -> str | None:
    """The period key a written period means: a key itself ("2026-H2") or the way a plan or a unit
    writes it ("2026年下半年", "2026 上半年", "2026年第三季度", "2026年3月", "2026年"); None otherwise."""
    value = " ".join((text or "").split())
    if not value:
        return None
    upper = value.upper()
    if key_kind(upper):
        return upper
    for pattern, build in _TEXT_PATTERNS:
        match = pattern.match(value)
        if match:
            key = build(match.group(1), match.group(2))
            return key if key_kind(key) else None
    return None


def keys_between(period: str, first: date, last: date) -> list[str]:
    """The keys of the periods of one kind from the one containing ``first`` to the one containing ``last``."""
    keys: list[str] = []
    day = first
    while day <= last:
        found = bounds(day, period)
        if found is None:
            return []
        keys.append(found[0])
        day = found[2] + timedelta(days=1)
    return keys
