"""Working-day arithmetic across Chinese holidays, adjusted weekends and unknown years."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from rules.calendar import BUSINESS_TZ, WorkingCalendar
from rules.durations import Duration, Unit, parse_duration


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_five_working_days_from_the_eve_of_national_day() -> None:
    end = WorkingCalendar().add(at("2026-09-30T15:00:00+08:00"), parse_duration("5 working days"))
    # Oct 1-7 off; Oct 8, 9 work; Oct 10 is a working Saturday (调休); Oct 11 off; 12, 13 work.
    assert end == at("2026-10-13T23:59:59+08:00")


def test_an_adjusted_saturday_counts_and_a_plain_sunday_does_not() -> None:
    calendar = WorkingCalendar()
    assert calendar.is_working_day(dt.date(2026, 10, 10))
    assert not calendar.is_working_day(dt.date(2026, 10, 11))
    assert not calendar.is_working_day(dt.date(2026, 10, 5))


def test_the_event_day_does_not_count_even_late_at_night() -> None:
    calendar = WorkingCalendar()
    friday_night = at("2026-11-20T23:30:00+08:00")
    assert calendar.add(friday_night, Duration(1, Unit.WORKING_DAYS)) == at(
        "2026-11-23T23:59:59+08:00"
    )


def test_utc_timestamps_are_counted_in_business_time() -> None:
    # 2026-11-20 17:00 UTC is already Saturday 01:00 in Shanghai.
    end = WorkingCalendar().add(at("2026-11-20T17:00:00+00:00"), Duration(1, Unit.WORKING_DAYS))
    assert end == at("2026-11-23T23:59:59+08:00")
    assert end.tzinfo is not None


def test_natural_days_and_hours_count_from_the_timestamp() -> None:
    calendar = WorkingCalendar()
    start = at("2026-09-30T15:00:00+08:00")
    assert calendar.add(start, parse_duration("7 natural days")) == at("2026-10-07T15:00:00+08:00")
    assert calendar.add(start, parse_duration("24小时")) == at("2026-10-01T15:00:00+08:00")


def test_policy_holidays_and_working_days_override_the_package() -> None:
    calendar = WorkingCalendar(
        holidays=[dt.date(2026, 11, 23)], working_days=[dt.date(2026, 11, 22)]
    )
    assert calendar.add(at("2026-11-20T10:00:00+08:00"), Duration(2, Unit.WORKING_DAYS)) == at(
        "2026-11-24T23:59:59+08:00"
    )


def test_an_unknown_year_counts_weekends_only_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkingCalendar()
    caplog.set_level(logging.WARNING, logger="hcp.rules.calendar")
    end = calendar.add(at("2027-01-01T10:00:00+08:00"), Duration(3, Unit.WORKING_DAYS))
    calendar.add(at("2027-03-01T10:00:00+08:00"), Duration(3, Unit.WORKING_DAYS))
    assert end == dt.datetime(2027, 1, 6, 23, 59, 59, tzinfo=BUSINESS_TZ)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.parametrize("text", ["5 weekdays", "five working days", "0 hours", "", "5"])
def test_durations_that_are_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 09-30 closes at 10-13 23:59:59 (see above); everything completed Oct 1-7 too.
        ("2026-10-14T09:00:00+08:00", "2026-10-08T00:00:00+08:00"),
        ("2026-10-13T23:00:00+08:00", "2026-09-30T00:00:00+08:00"),
    ],
)
def test_the_sweep_cutoff_for_working_days_is_exact(now: str, expected: str) -> None:
    calendar = WorkingCalendar()
    five = parse_duration("5 working days")
    cutoff = calendar.cutoff(at(now), five)
    assert cutoff == at(expected)
    last_closed = cutoff - dt.timedelta(seconds=1)
    assert calendar.add(last_closed, five) < at(now) <= calendar.add(cutoff, five)


def test_the_sweep_cutoff_for_natural_days_and_hours() -> None:
    calendar = WorkingCalendar()
    now = at("2026-11-25T10:00:00+08:00")
    assert calendar.cutoff(now, parse_duration("7 natural days")) == at("2026-11-18T10:00:00+08:00")
    assert calendar.cutoff(now, parse_duration("24 hours")) == at("2026-11-24T10:00:00+08:00")
