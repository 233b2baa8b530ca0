"""When things fall due for a completed case: until when it may be rated
(`rating_window`), its deadlines (`case_deadlines`), and the sweep's cut-offs as of a
moment (`cutoffs`). rules.yaml `rating.late_rating`, `rating.default_rating`,
`rating.reminder`; durations count on the policy's working calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.calendar import WorkingCalendar
from rules.rule import CompiledRule, Facts, Outcome, always
from rules.spec import RatingPolicy, Reminder
from rules.vocabulary import ReminderVia


@dataclass(frozen=True)
class RatingWindow:
    """deadline: the last moment a rating is taken (None: no late-rating rule, always
    open); open: whether `rated_at` is within it."""

    deadline: dt.datetime | None
    open: bool

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> RatingWindow:
        return cls(outcome.get("deadline"), bool(outcome.get("open", True)))


@dataclass(frozen=True)
class CaseDeadlines:
    """A completed case's deadlines; each None where the policy has no such rule."""

    rating_deadline: dt.datetime | None
    default_at: dt.datetime | None
    default_level: int | None
    remind_at: dt.datetime | None
    remind_via: tuple[ReminderVia, ...]
    remind_template: str | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> CaseDeadlines:
        level = outcome.get("default_level")
        return cls(
            rating_deadline=outcome.get("rating_deadline"),
            default_at=outcome.get("default_at"),
            default_level=None if level is None else int(level),
            remind_at=outcome.get("remind_at"),
            remind_via=tuple(ReminderVia(v) for v in outcome.get("remind_via", ())),
            remind_template=outcome.get("remind_template"),
        )


@dataclass(frozen=True)
class DefaultDue:
    """Cases completed before `before` get the default rating `level` now."""

    before: dt.datetime
    level: int


@dataclass(frozen=True)
class RemindDue:
    """Cases completed before `before` are reminded now, the first of `via` first."""

    before: dt.datetime
    via: tuple[ReminderVia, ...]
    template: str
    reply_hint: str
    quiet_until: dt.datetime | None  # within the quiet hours: no SMS before this moment


@dataclass(frozen=True)
class Cutoffs:
    """What is due as of a moment; each None where the policy has no such rule."""

    window_closed_before: dt.datetime | None
    default: DefaultDue | None
    remind: RemindDue | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> Cutoffs:
        default = remind = None
        if "default_due_before" in outcome:
            default = DefaultDue(outcome["default_due_before"], int(outcome["default_level"]))
        if "remind_due_before" in outcome:
            remind = RemindDue(
                before=outcome["remind_due_before"],
                via=tuple(ReminderVia(v) for v in outcome["remind_via"]),
                template=str(outcome["remind_template"]),
                reply_hint=str(outcome.get("remind_reply_hint") or ""),
                quiet_until=outcome.get("remind_quiet_until"),
            )
        return cls(outcome.get("window_closed_before"), default, remind)


def rules(rating: RatingPolicy, calendar: WorkingCalendar) -> list[CompiledRule]:
    found: list[CompiledRule] = []
    late, default, reminder = rating.late_rating, rating.default_rating, rating.reminder
    if late is not None:
        within = late.within

        def window(facts: Facts) -> Outcome:
            deadline = calendar.add(facts["completed_at"], within)
            rated_at = facts.get("rated_at")
            return {"deadline": deadline, "open": rated_at is None or rated_at <= deadline}

        found += [
            always(late.id, "rating_window", window),
            always(
                late.id,
                "case_deadlines",
                lambda f: {"rating_deadline": calendar.add(f["completed_at"], within)},
            ),
            always(
                late.id,
                "cutoffs",
                lambda f: {"window_closed_before": calendar.cutoff(f["now"], within)},
            ),
        ]
    if default is not None:
        found += [
            always(
                default.id,
                "case_deadlines",
                lambda f: {
                    "default_at": calendar.add(f["completed_at"], default.after),
                    "default_level": default.level,
                },
            ),
            always(
                default.id,
                "cutoffs",
                lambda f: {
                    "default_due_before": calendar.cutoff(f["now"], default.after),
                    "default_level": default.level,
                },
            ),
        ]
    if reminder is not None:
        found += _reminder_rules(reminder, calendar)
    return found


def _reminder_rules(reminder: Reminder, calendar: WorkingCalendar) -> list[CompiledRule]:
    via = [v.value for v in reminder.via]
    return [
        always(
            reminder.id,
            "cutoffs",
            lambda f: {
                "remind_due_before": calendar.cutoff(f["now"], reminder.after),
                "remind_via": list(via),
                "remind_template": reminder.template,
                "remind_reply_hint": reminder.reply_hint or "",
                "remind_quiet_until": _quiet_until(reminder, f["now"]),
            },
        ),
        always(
            reminder.id,
            "case_deadlines",
            lambda f: {
                "remind_at": _not_quiet(reminder, calendar.add(f["completed_at"], reminder.after)),
                "remind_via": list(via),
                "remind_template": reminder.template,
            },
        ),
    ]


def _not_quiet(reminder: Reminder, at: dt.datetime) -> dt.datetime:
    """When a reminder due at `at` goes: at once, or, for an SMS, when the quiet hours
    end (a call is a worklist entry for the department's staff, not a text at night)."""
    quiet = reminder.quiet_hours
    return at if quiet is None or reminder.via[0] is not ReminderVia.SMS else quiet.release(at)


def _quiet_until(reminder: Reminder, now: dt.datetime) -> dt.datetime | None:
    """None when an SMS may go `now`; within the quiet hours, the moment they end."""
    quiet = reminder.quiet_hours
    return None if quiet is None or not quiet.contains(now) else quiet.release(now)
