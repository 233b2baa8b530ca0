"""What the deadline sweep has to do as of `now`: the policy's questions of one pass, asked
at once and answered without the database (see services.sweep_deadlines for the doing).

A case completed before a bound is due: for its default rating, for its rating window to
close, for its reminder. Every bound comes from one `cutoffs` decision, so that a reload
cannot hand a pass bounds from one policy and a level from another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.enums import Channel
from rules import Engine, EraCutoffs, ReminderVia


@dataclass(frozen=True)
class DefaultStep:
    """Unrated cases completed before `due_before` get `level` (stored with `category` and
    the rule that set the bound, `fired`, a JSON list)."""

    due_before: datetime
    level: int
    category: str
    fired: str


@dataclass(frozen=True)
class ReminderStep:
    """Unrated cases completed between `since` and `due_before` are reminded."""

    since: datetime
    due_before: datetime
    template: str
    reply_hint: str  # what {reply} stands for when replies are on
    quiet_until: datetime | None  # no SMS before then: `now` is within the quiet hours
    first: ReminderVia  # the channel the reminder goes by
    fallback: ReminderVia | None  # what follows when the first could not reach the person

    @property
    def texts_now(self) -> bool:
        """An SMS goes first and the quiet hours do not hold it back."""
        return self.first is ReminderVia.SMS and self.quiet_until is None

    @property
    def calls_first(self) -> bool:
        return self.first is ReminderVia.CALL

    @property
    def calls_unreached(self) -> bool:
        return self.fallback is ReminderVia.CALL


@dataclass(frozen=True)
class Plan:
    version: str  # the policy version that decided every step
    default: DefaultStep | None
    expire_before: datetime | None  # unrated cases completed before it expire
    reminder: ReminderStep | None
    # The cases this plan is for: completed from `since` (None: any time before `until`),
    # the era of one policy version (rules.eras); every bound above is within it.
    since: datetime | None = None
    until: datetime | None = None


def plans(engine: Engine, now: datetime, catch_up: timedelta) -> list[Plan]:
    """The pass as of `now`, one plan per era of cases (newest first): a case falls due by
    the deadlines of the version in force when it was completed."""
    return [
        _plan(engine, era, catch_up, since=_utc(era.start), until=_utc(era.end))
        for era in engine.era_cutoffs(now)
    ]


def plan(engine: Engine, now: datetime, catch_up: timedelta) -> Plan:
    """The pass as of `now` for the cases of the active version (the newest era)."""
    return plans(engine, now, catch_up)[0]


def _plan(
    engine: Engine,
    era: EraCutoffs,
    catch_up: timedelta,
    *,
    since: datetime | None,
    until: datetime | None,
) -> Plan:
    """`catch_up`: how long after it fell due a reminder may still go when the policy has
    no late-rating window to bound it."""
    cutoffs = era.cutoffs
    due = cutoffs.value
    closed = _utc(due.window_closed_before)
    window = None if closed is None else _within(closed, until)
    default = None
    if due.default is not None:
        meaning = engine.level(due.default.level, Channel.DEFAULT.value).value
        if meaning is None:
            raise ValueError(f"the default level {due.default.level} is not a level")
        # Stored with each default: the rule of this decision that set its bound.
        rule = era.policy.rating.default_rating
        fired = [r for r in cutoffs.fired if rule is not None and r == rule.id]
        default = DefaultStep(
            due_before=_within(_at(due.default.before), until),
            level=due.default.level,
            category=meaning.category.value,
            fired=json.dumps(fired),
        )
    expire_before = window
    if window is not None and default is not None:
        # The policy promises an unrated case its default: a window that closes first
        # (a case completed on a Saturday, before a holiday) must not expire it instead.
        expire_before = min(window, default.due_before)
    reminder = None
    if due.remind is not None:
        remind_before = _within(_at(due.remind.before), until)
        via = due.remind.via
        earliest = window if window is not None else remind_before - catch_up
        reminder = ReminderStep(
            since=earliest if since is None else max(earliest, since),
            due_before=remind_before,
            template=due.remind.template,
            reply_hint=due.remind.reply_hint,
            quiet_until=_utc(due.remind.quiet_until),
            first=via[0],
            fallback=via[1] if len(via) > 1 else None,
        )
    return Plan(cutoffs.version, default, expire_before, reminder, since, until)


def _within(bound: datetime, until: datetime | None) -> datetime:
    return bound if until is None else min(bound, until)


def _at(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("the cutoffs decision gave a time without a UTC offset")
    return value.astimezone(UTC)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else _at(value)
