"""Chinese working days (调休 included) for reminder dates, with a Mon–Fri fallback.

``chinese_calendar`` covers the years the State Council has announced (it raises
``NotImplementedError`` beyond them, typically for next year until each November's release);
for such a year we fall back to Monday–Friday and log a warning once per year.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
_warned_years: set[int] = set()


def is_workday(day: date) -> bool:
    """True on a working day in mainland China; Mon–Fri for years the calendar does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("no Chinese holiday data for %s: treating Monday-Friday as working days; "
                        "upgrade the chinesecalendar package", day.year)
        return day.weekday() < 5


def previous_workday(day: date) -> date:
    """``day`` itself when it is a working day, else the working day before it.

    A reminder that would fall in a holiday goes out before the holiday, not after.
    """
    for _ in range(40):
        if is_workday(day):
            return day
        day -= timedelta(days=1)
    return day


def next_workday(day: date) -> date:
    """``day`` or the first working day after it (a notice dated 1 January goes out after the holiday)."""
    for _ in range(40):
        if is_workday(day):
            return day
        day += timedelta(days=1)
    return day


def nth_workday_after(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself not counted); ``day`` when n <= 0."""
    found = 0
    for _ in range(n * 3 + 40):
        if found >= n:
            return day
        day += timedelta(days=1)
        if is_workday(day):
            found += 1
    return day
