"""The sweep's plan: what is due as of `now`, decided without a database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rules import Engine, ReminderVia, parse
from services.sweep_plan import plan

TEXT = (Path(__file__).resolve().parents[2] / "rules.yaml").read_text(encoding="utf-8")
CST = dt.timezone(dt.timedelta(hours=8))
CATCH_UP = dt.timedelta(days=7)


def _engine(*edits: tuple[str, str]) -> Engine:
    text = TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return Engine(parse(text))


def test_a_daytime_pass_defaults_expires_and_texts() -> None:
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=CST)
    engine = _engine()
    window = engine.cutoffs(now).value.window_closed_before
    due = plan(engine, now, CATCH_UP)
    assert due.default is not None
    assert due.default.due_before == (now - dt.timedelta(days=7)).astimezone(dt.UTC)
    assert due.default.level == 4 and due.default.category == "good"
    assert due.default.fired == '["default-satisfied-after-7-days"]'
    assert due.expire_before is not None and due.expire_before <= due.default.due_before
    assert due.reminder is not None and due.reminder.texts_now
    assert not due.reminder.calls_first and not due.reminder.calls_unreached
    assert due.reminder.since == window  # reminded while the window is open


def test_no_sms_in_the_quiet_hours() -> None:
    night = dt.datetime(2026, 11, 25, 23, 0, tzinfo=CST)
    reminder = plan(_engine(), night, CATCH_UP).reminder
    assert reminder is not None and not reminder.texts_now
    assert reminder.quiet_until == dt.datetime(2026, 11, 26, 8, 0, tzinfo=CST)


def test_sms_then_call_calls_the_unreached() -> None:
    engine = _engine(("    via: [SMS]\n", "    via: [SMS, CALL]\n"))
    reminder = plan(engine, dt.datetime(2026, 11, 25, 12, 0, tzinfo=CST), CATCH_UP).reminder
    assert reminder is not None
    assert reminder.first is ReminderVia.SMS and reminder.fallback is ReminderVia.CALL
    assert reminder.calls_unreached and not reminder.calls_first


def test_without_a_late_window_reminders_catch_up_for_a_bounded_time() -> None:
    start = TEXT.index("  late_rating:\n")
    end = TEXT.index("    within: 5 working days\n", start) + len("    within: 5 working days\n")
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=CST)
    due = plan(_engine((TEXT[start:end], "")), now, CATCH_UP)
    assert due.reminder is not None
    assert due.reminder.since == due.reminder.due_before - CATCH_UP
    assert due.expire_before is None
