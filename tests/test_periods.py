"""One period vocabulary: the parser's codes, the task model, the form labels and the API agree."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from tracker import periods
from tracker.api.schemas import SCHEMAS
from tracker.plans import metadata
from tracker.tasks import forms, labels
from tracker.tasks.models import ReportingPeriod

#: what a supervisor reads for each parser code, in Chinese and in English
WORDS = {"weekly": ("每周", "Weekly"), "monthly": ("每月", "Monthly"), "quarterly": ("每季度", "Quarterly"),
         "half-yearly": ("每半年", "Half-yearly"), "yearly": ("每年", "Yearly")}


def test_the_vocabulary_is_the_models_and_the_parsers():
    assert periods.PERIODS == tuple(p.value for p in ReportingPeriod)
    assert set(metadata.PERIODS) == set(periods.SUGGESTED)  # every code the parser writes has a meaning
    assert [value for value, _label in forms.PERIOD_CHOICES] == list(periods.PERIODS)


@pytest.mark.parametrize("code", sorted(WORDS))
def test_parser_code_to_enum_to_label_to_api(app, code):
    period = forms.parse_period(code)
    assert period is not None and forms.parse_period(period.value) is period
    assert code.replace("-", "_") == period.value
    assert period.value in SCHEMAS["AssignmentCreate"]["properties"]["reporting_period"]["enum"]
    assert period.value in SCHEMAS["Task"]["properties"]["reporting_period"]["enum"]
    chinese, english = WORDS[code]
    with force_locale("zh_CN"):
        assert labels.period_label(period) == chinese
        assert labels.translated(labels.SUGGESTED_PERIOD_LABELS)[code] == chinese
    with force_locale("en"):
        assert labels.period_label(period) == english


def test_daily_prefills_nothing(app):
    assert periods.from_suggestion("daily") is None and forms.parse_period("daily") is None
    assert forms.parse_period("every-fortnight") is None and forms.parse_period("") is None
    with force_locale("zh_CN"):
        assert labels.translated(labels.SUGGESTED_PERIOD_LABELS)["daily"] == "每日"


@pytest.mark.parametrize("period", periods.PERIODIC)
def test_every_day_of_two_years_lies_in_one_period(period):
    """Periods tile the calendar: consecutive, no gaps, each key valid and each day inside its bounds."""
    day, previous = date(2026, 1, 1), None
    while day < date(2028, 1, 1):
        key, first, last = periods.bounds(day, period)
        assert first <= day <= last and periods.is_valid_key(period, key)
        if previous is not None and previous[0] != key:
            assert first == previous[2] + timedelta(days=1)
        assert periods.last_closed(period, day)[2] == first - timedelta(days=1)
        previous = (key, first, last)
        day += timedelta(days=1)


def test_iso_weeks_at_the_turn_of_the_year():
    assert periods.bounds(date(2027, 1, 1), "weekly") == ("2026-W53", date(2026, 12, 28), date(2027, 1, 3))
    assert periods.bounds(date(2025, 12, 29), "weekly")[0] == "2026-W01"
    assert periods.is_valid_key("weekly", "2026-W53") and not periods.is_valid_key("weekly", "2027-W53")
    assert periods.bounds(date(2026, 5, 5), "once") is None
