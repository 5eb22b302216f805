"""The 通报's periods and figures, with a fixed clock."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.reports import bulletin


@pytest.mark.parametrize("text, start, end, label", [
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "2026年上半年"),
    ("2026-h2", date(2026, 7, 1), date(2026, 12, 31), "2026年下半年"),
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2026年第一季度"),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026年第四季度"),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026年2月"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026年"),
    ("2026年上半年", date(2026, 1, 1), date(2026, 6, 30), "2026年上半年"),
    ("2026年下半年", date(2026, 7, 1), date(2026, 12, 31), "2026年下半年"),
    ("2026年", date(2026, 1, 1), date(2026, 12, 31), "2026年"),
])
def test_periods(app, text, start, end, label):
    with app.test_request_context():
        period = bulletin.parse_period(text)
        assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("args", [("2026-H3",), ("2026-13",), ("明年",), ("2026年中半年",),
                                  ("", "2026-03-01", "2026-01-01"), ("", "2026-02-30", "2026-03-01"),
                                  ("", "2020-01-01", "2026-01-01"), ("",)])
def test_bad_periods(app, args):
    with app.test_request_context(), pytest.raises(bulletin.PeriodError):
        bulletin.parse_period(*args)


def test_bulletin_figures(app, seeded, people, now):
    with app.test_request_context():
        data = bulletin.bulletin_data(people.admin, bulletin.parse_period("2026-Q1"), now)
    by_unit = {u.unit_name: u for u in data.units}
    east, west = by_unit["东城区"], by_unit["西城区"]
    # east: two completed (one on time) and one extended still open; the April task is outside Q1
    assert (east.due, east.on_time, east.late, east.overdue, east.returns) == (3, 1, 1, 0, 2)
    # west: completed on its deadline day in local time, one overdue; the cancelled task not counted
    assert (west.due, west.on_time, west.late, west.overdue, west.returns) == (2, 1, 0, 1, 2)
    assert [u.rank for u in data.units] == [1, 2] and data.units[0].unit_name == "西城区"
    assert [(o.unit_name, o.days) for o in data.overdue] == [("西城区", 4)]
    assert data.as_of == date(2026, 3, 2)


def test_number_labels():
    assert [bulletin.number_label(n) for n in ("一", "（一）", "1", "（1）", "①", "一是", "1.2.1", "")] == \
        ["一、", "（一）", "1.", "（1）", "①", "一是，", "1.2.1 ", ""]
