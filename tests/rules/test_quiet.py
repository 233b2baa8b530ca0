"""Quiet hours as a policy writes them: a span of business time (+08:00), over midnight or
not, whatever offset the clock that asks uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.quiet import parse_quiet_hours


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        ("2026-11-20T20:59:59+08:00", None),
        ("2026-11-20T21:00:00+08:00", "2026-11-21T08:00:00+08:00"),
        ("2026-11-20T23:59:00+08:00", "2026-11-21T08:00:00+08:00"),
        ("2026-11-21T00:00:00+08:00", "2026-11-21T08:00:00+08:00"),
        ("2026-11-21T05:39:00+08:00", "2026-11-21T08:00:00+08:00"),
        ("2026-11-21T08:00:00+08:00", None),
        ("2026-11-20T21:39:00+00:00", "2026-11-21T08:00:00+08:00"),  # 05:39 in Beijing
        ("2026-11-20T12:00:00+00:00", None),  # 20:00 in Beijing
    ],
)
def test_a_span_over_midnight(now: str, until: str | None) -> None:
    quiet = parse_quiet_hours("21:00-08:00")
    moment = at(now)
    assert quiet.contains(moment) is (until is not None)
    released = quiet.release(moment)
    assert released == (at(until) if until else moment)
    assert released.tzinfo == moment.tzinfo


def test_a_span_within_one_day() -> None:
    quiet = parse_quiet_hours("12:00-14:00")
    assert not quiet.contains(at("2026-11-20T11:59:00+08:00"))
    assert quiet.release(at("2026-11-20T13:00:00+08:00")) == at("2026-11-20T14:00:00+08:00")
    assert not quiet.contains(at("2026-11-20T23:00:00+08:00"))
    assert str(quiet) == "12:00-14:00"


@pytest.mark.parametrize("text", ["21:00", "9pm-8am", "25:00-08:00", "21:00-21:00", ""])
def test_what_is_not_a_span_is_refused_in_plain_words(text: str) -> None:
    with pytest.raises(ValueError, match="21:00-08:00"):
        parse_quiet_hours(text)


def test_a_time_without_an_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        parse_quiet_hours("21:00-08:00").contains(datetime(2026, 11, 20, 22))
    assert parse_quiet_hours("21:00-08:00").contains(datetime(2026, 11, 20, 14, tzinfo=UTC))
