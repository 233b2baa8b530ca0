"""How a span of days is read by month: whole months from the monthly rows, the days of a
month the span cuts from the daily ones."""

from __future__ import annotations

from datetime import date

from models.stores.stat_reads import _parts

D = date


def test_whole_months_are_read_from_the_monthly_rows() -> None:
    assert _parts(D(2026, 1, 1), D(2026, 12, 31)) == [("month", D(2026, 1, 1), D(2026, 12, 31))]
    assert _parts(D(2026, 10, 1), D(2026, 10, 31)) == [("month", D(2026, 10, 1), D(2026, 10, 31))]


def test_cut_months_are_read_by_day_on_either_side() -> None:
    assert _parts(D(2025, 12, 15), D(2026, 2, 10)) == [
        ("day", D(2025, 12, 15), D(2025, 12, 31)),
        ("month", D(2026, 1, 1), D(2026, 1, 31)),
        ("day", D(2026, 2, 1), D(2026, 2, 10)),
    ]
    assert _parts(D(2026, 2, 1), D(2026, 3, 30)) == [
        ("month", D(2026, 2, 1), D(2026, 2, 28)),
        ("day", D(2026, 3, 1), D(2026, 3, 30)),
    ]


def test_a_span_inside_one_month_or_across_two_cut_ones_is_read_by_day() -> None:
    assert _parts(D(2026, 10, 1), D(2026, 10, 20)) == [("day", D(2026, 10, 1), D(2026, 10, 20))]
    assert _parts(D(2026, 10, 15), D(2026, 11, 10)) == [("day", D(2026, 10, 15), D(2026, 11, 10))]
    assert _parts(D(2026, 10, 2), D(2026, 10, 2)) == [("day", D(2026, 10, 2), D(2026, 10, 2))]
