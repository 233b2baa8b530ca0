from __future__ import annotations

import datetime as dt

from rules import Engine, ReminderVia
from rules.decisions.windows import RatingWindow
from tests.rules.decisions.conftest import TEXT, Edited

CST = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 16, 10, 0, tzinfo=CST)


def test_a_case_may_be_rated_until_the_end_of_the_fifth_working_day(engine: Engine) -> None:
    deadline = dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=CST)  # over the weekend
    assert engine.rating_window(MONDAY, deadline).value == RatingWindow(deadline, True)
    assert engine.rating_window(MONDAY, None).value == RatingWindow(deadline, True)
    late = engine.rating_window(MONDAY, deadline + dt.timedelta(seconds=1)).value
    assert late.deadline == deadline and not late.open


def test_a_completed_cases_deadlines(engine: Engine) -> None:
    due = engine.case_deadlines(MONDAY).value
    assert due.default_at == dt.datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    assert due.default_level == 4
    assert due.rating_deadline == dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=CST)
    assert due.remind_at == MONDAY + dt.timedelta(hours=24)
    assert due.remind_via == (ReminderVia.SMS,)


def test_an_sms_reminder_due_in_the_quiet_hours_waits_for_the_morning(engine: Engine) -> None:
    evening = dt.datetime(2026, 11, 16, 22, 30, tzinfo=CST)
    due = engine.case_deadlines(evening).value
    assert due.remind_at == dt.datetime(2026, 11, 18, 8, 0, tzinfo=CST)


def test_the_sweeps_cutoffs_as_of_a_moment(engine: Engine) -> None:
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=CST)
    cutoffs = engine.cutoffs(now).value
    assert cutoffs.default is not None and cutoffs.default.level == 4
    assert cutoffs.default.before == now - dt.timedelta(days=7)
    assert cutoffs.remind is not None and cutoffs.remind.before == now - dt.timedelta(hours=24)
    assert cutoffs.remind.quiet_until is None
    assert cutoffs.window_closed_before is not None and cutoffs.window_closed_before < now


def test_without_a_default_rule_nothing_defaults(edited: Edited) -> None:
    start = TEXT.index("  default_rating:\n")
    end = TEXT.index("    replaceable: false\n", start) + len("    replaceable: false\n")
    engine = edited((TEXT[start:end], ""))
    assert engine.case_deadlines(MONDAY).value.default_at is None
