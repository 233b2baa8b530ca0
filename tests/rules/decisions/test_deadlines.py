from __future__ import annotations

import datetime as dt

from rules import Engine

CST = dt.timezone(dt.timedelta(hours=8))


def test_a_callback_is_due_within_two_working_days(engine: Engine) -> None:
    friday = dt.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    due = engine.deadline("callback", friday)
    assert due.value is not None
    assert due.value.due == dt.datetime(2026, 11, 24, 23, 59, 59, tzinfo=CST)
    assert due.value.within == "2 working days"
    assert due.fired == ("callback-within-2-working-days",)


def test_a_step_the_policy_sets_no_deadline_for_has_none(engine: Engine) -> None:
    assert engine.deadline("escalation", dt.datetime(2026, 11, 20, tzinfo=CST)).value is None
