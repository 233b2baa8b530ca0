"""When things fall due for many cases at once, as the engine decides them for one
(`case_deadlines`, `deadline`), without asking durable once per case (rules.whatif).

What those decisions depend on: a duration in working days ends at 23:59:59 of a working
day, so it depends only on the Beijing date the period starts on; one in hours, minutes or
natural days is the start plus a fixed span. A reminder by SMS first is then moved out of
the quiet hours. So each answer is learnt from the engine once per Beijing date (at noon
of it), and checked there: a fixed span that does not give the engine's answer on that
date is an error, never a silent difference. tests/rules/test_whatif.py compares both
with the engine over random moments of every profile.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from rules.calendar import BUSINESS_TZ
from rules.durations import Duration, Unit
from rules.engine import Engine
from rules.quiet import QuietHours
from rules.vocabulary import ReminderVia

_UNIT_SPANS = {
    Unit.MINUTES: dt.timedelta(minutes=1),
    Unit.HOURS: dt.timedelta(hours=1),
    Unit.NATURAL_DAYS: dt.timedelta(days=1),
}
_NOON = dt.time(12, 0)


class DisagreesWithEngineError(Exception):
    """A deadline worked out for many cases is not the engine's own for one of them."""


class CaseDue(NamedTuple):
    """engine.case_deadlines(completed_at) of one case: each None where the policy has
    no such rule."""

    rating_deadline: dt.datetime | None
    default_at: dt.datetime | None
    remind_at: dt.datetime | None


class _Field(NamedTuple):
    present: bool
    span: dt.timedelta | None  # None: working days, one moment per Beijing date
    quiet: QuietHours | None = None  # moved out of these hours (an SMS reminder)


def _field(duration: Duration | None, quiet: QuietHours | None = None) -> _Field:
    if duration is None:
        return _Field(False, None)
    unit = _UNIT_SPANS.get(duration.unit)
    return _Field(True, None if unit is None else unit * duration.amount, quiet)


def beijing_day(at: dt.datetime) -> dt.date:
    return at.astimezone(BUSINESS_TZ).date()


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, _NOON, BUSINESS_TZ).astimezone(dt.UTC)


def _follow(field: _Field, at: dt.datetime, fixed: dt.datetime | None) -> dt.datetime | None:
    if not field.present:
        return None
    if field.span is None:
        return fixed
    due = at + field.span
    quiet = field.quiet
    return due if quiet is None or not quiet.contains(due) else quiet.release(due)


class CaseDueByDay:
    """engine.case_deadlines for many completion times, learnt once per Beijing date."""

    def __init__(self, engine: Engine) -> None:
        rating = engine.policy.rating
        reminder = rating.reminder
        quiet = None
        if reminder is not None and reminder.via[0] is ReminderVia.SMS:
            quiet = reminder.quiet_hours
        self._engine = engine
        self._fields = (
            _field(rating.late_rating.within if rating.late_rating else None),
            _field(rating.default_rating.after if rating.default_rating else None),
            _field(reminder.after if reminder else None, quiet),
        )
        self._days: dict[dt.date, tuple[dt.datetime | None, ...]] = {}

    def of(self, completed_at: dt.datetime, day: dt.date) -> CaseDue:
        """The deadlines of a case completed at `completed_at` (UTC), on Beijing `day`."""
        fixed = self._days.get(day)
        if fixed is None:
            fixed = self._learn(day)
        rating, default, remind = self._fields
        return CaseDue(
            _follow(rating, completed_at, fixed[0]),
            _follow(default, completed_at, fixed[1]),
            _follow(remind, completed_at, fixed[2]),
        )

    def _learn(self, day: dt.date) -> tuple[dt.datetime | None, ...]:
        noon = _noon(day)
        told = self._engine.case_deadlines(noon).value
        fixed = tuple(_utc(v) for v in (told.rating_deadline, told.default_at, told.remind_at))
        self._days[day] = fixed
        if self.of(noon, day) != fixed:
            raise DisagreesWithEngineError(f"case deadlines of {day} ({self._engine.version})")
        return fixed


class StepDueByDay:
    """engine.deadline(step, start).due for many starts, learnt once per Beijing date."""

    def __init__(self, engine: Engine, step: str) -> None:
        within = next((d.within for d in engine.policy.deadlines if d.step == step), None)
        self._engine = engine
        self._step = step
        self._field = _field(within)
        self._days: dict[dt.date, dt.datetime | None] = {}
        span = self._field.span
        if span is not None:  # the same span every day: checked once
            noon = _noon(dt.date(2026, 1, 1))
            if self._learn(noon) != noon + span:
                raise DisagreesWithEngineError(f"{step} deadline ({engine.version})")

    def of(self, start: dt.datetime) -> dt.datetime | None:
        """When the step begun at `start` is due (None: the policy sets it no deadline)."""
        if not self._field.present:
            return None
        if self._field.span is not None:
            return start + self._field.span
        day = beijing_day(start)
        if day not in self._days:
            self._days[day] = self._learn(_noon(day))
        return self._days[day]

    def _learn(self, start: dt.datetime) -> dt.datetime | None:
        told = self._engine.deadline(self._step, start).value
        return None if told is None else _utc(told.due)


def _utc(at: dt.datetime | None) -> dt.datetime | None:
    return None if at is None else at.astimezone(dt.UTC)
