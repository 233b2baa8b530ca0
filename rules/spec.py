"""The shape of a policy file (rules.yaml), as a strict pydantic model.

Keys are English and fixed; titles, descriptions and labels are the policy staff's own
words. Anything not described here is an error, so a typo never silently drops a rule.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    field_validator,
)

from rules.durations import Duration, Unit, parse_duration
from rules.quiet import QuietHours, parse_quiet_hours
from rules.sms_length import SEGMENT, estimate, messages
from rules.vocabulary import Category, ReminderVia, WhenBoth, WhenRatedAgain

CHANNELS = ("PAD", "QR", "KIOSK", "SMS", "WEB", "APP", "HOTLINE", "PAPER")

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Channel = Literal["PAD", "QR", "KIOSK", "SMS", "WEB", "APP", "HOTLINE", "PAPER"]
Role = Literal["citizen", "window_staff", "dept_handler", "area_admin", "policy_staff", "system"]
Step = Literal[
    "callback",
    "appeal",
    "appeal_review",
    "rectification",
    "follow_up_rating",
    "follow_up_review",
    "escalation",
    "moderation_review",
]


def _duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    return parse_duration(str(value))


DurationText = Annotated[Duration, PlainValidator(_duration)]


def _quiet_hours(value: object) -> QuietHours:
    if isinstance(value, QuietHours):
        return value
    if not isinstance(value, str):
        # YAML reads an unquoted 21:00 as a number (sexagesimal): ask for quotes.
        raise ValueError('write the span in quotes, e.g. "21:00-08:00"')
    return parse_quiet_hours(value)


QuietHoursText = Annotated[QuietHours, PlainValidator(_quiet_hours)]

# What a reminder's template may leave to the sweep (services.sweep_deadlines): the
# matter's name, the case number, the rating link, and the reply hint when replies are on.
PLACEHOLDERS = ("{matter}", "{case_no}", "{link}", "{reply}")
_BRACED = re.compile(r"\{[^{}]*\}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(Strict):
    """Every rule names itself: a stable id (kebab-case) and the policy's own words."""

    id: RuleId
    title: Text
    description: Text


class Tag(Strict):
    code: Code
    label: Text
    channels: list[str] | None = Field(
        default=None, description="channel classes that offer this tag; all when absent"
    )


class Level(Rule):
    level: int = Field(ge=1, le=5)
    label: Text
    category: Category
    reason_required: bool = False
    tags: list[Tag] = Field(default_factory=list)


class Repeat(Rule):
    when_rated_again: WhenRatedAgain


class OnBehalf(Rule):
    """Ratings staff enter for the applicant (HOTLINE, PAPER, an assisted KIOSK): may such an
    entry displace a rating the applicant gave themselves?"""

    displaces_own_rating: bool


class LateRating(Rule):
    within: DurationText


class DefaultRating(Rule):
    level: int = Field(ge=1, le=5)
    after: DurationText
    replaceable: bool


class Reminder(Rule):
    after: DurationText
    via: list[ReminderVia] = Field(
        min_length=1,
        description="how the reminder goes (first), then the fallback when it could not "
        "reach the person: [SMS], [CALL] or [SMS, CALL]",
    )
    template: Text
    reply_hint: Text | None = Field(
        default=None,
        description="what {reply} stands for when SMS replies are on (the inbound endpoint "
        "is configured); {reply} is left out otherwise",
    )
    quiet_hours: QuietHoursText | None = Field(
        default=None,
        description="business-time span with no SMS, e.g. 21:00-08:00; messages due then "
        "wait for its end",
    )

    @field_validator("template")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        unknown = [p for p in _BRACED.findall(template) if p not in PLACEHOLDERS]
        if unknown:
            raise ValueError(
                f"{unknown[0]} is not a placeholder; the template may use "
                + ", ".join(PLACEHOLDERS)
            )
        return template

    @field_validator("reply_hint")
    @classmethod
    def _plain_hint(cls, hint: str | None) -> str | None:
        if hint is not None and _BRACED.search(hint):
            raise ValueError("the reply hint is plain text: it cannot hold placeholders")
        return hint

    @field_validator("via")
    @classmethod
    def _first_then_fallback(cls, via: list[ReminderVia]) -> list[ReminderVia]:
        twice = [channel for index, channel in enumerate(via) if channel in via[:index]]
        if twice:
            raise ValueError(
                f"{twice[0]} is listed twice; list each channel once: [SMS], [CALL] or [SMS, CALL]"
            )
        if via[0] is ReminderVia.CALL and len(via) > 1:
            raise ValueError(
                f"[{', '.join(via)}] would fall back from a call to an SMS, which is not "
                "supported: the first channel is how the reminder goes, the second only what "
                "follows when the first could not reach the person. Write [SMS, CALL] (an SMS, "
                "then a call when the SMS could not be delivered) or [CALL]"
            )
        return via


class RatingPolicy(Strict):
    repeat: Repeat
    on_behalf: OnBehalf | None = None
    late_rating: LateRating | None = None
    default_rating: DefaultRating | None = None
    reminder: Reminder | None = None


class BatchScope(Rule):
    one_rating_for_whole_batch: bool


class IntegratedScope(Rule):
    overall_applies_to_members: bool
    members_rated_individually: bool
    when_both: WhenBoth


class Scope(Strict):
    batch: BatchScope
    integrated_service: IntegratedScope


class Deadline(Rule):
    step: Step
    within: DurationText


class Keep(Strict):
    keep_first: int = Field(default=0, ge=0, le=18)
    keep_last: int = Field(default=0, ge=0, le=18)


MaskPattern = Literal["full", "hidden"] | Keep


class Masking(Rule):
    role: Role
    name: MaskPattern
    id_number: MaskPattern
    phone: MaskPattern


_PLAIN_WORD = r"^[^.*+?\[\](){}|\\^$]{1,40}$"


class Moderation(Rule):
    words: list[Annotated[str, StringConstraints(pattern=_PLAIN_WORD)]] = Field(min_length=1)
    review_within: DurationText | None = None


def _clock_time(value: object) -> Duration:
    duration = _duration(value)
    if duration.unit is Unit.WORKING_DAYS:
        raise ValueError(
            f"{value!r}: counting windows run on the clock; write minutes, hours or natural days"
        )
    return duration


ClockDuration = Annotated[Duration, PlainValidator(_clock_time)]


class Limit(Strict):
    max: int = Field(ge=1, le=1_000_000)
    within: ClockDuration


class Burst(Strict):
    raters: int = Field(ge=2, le=10_000)
    within: ClockDuration


class Abuse(Rule):
    """Anti-abuse limits (local operating choices, not from the policy texts): at most `max`
    ratings per rater / device / window `within` a period (more are refused), and a device
    rating for `raters` different people within a period has its ratings held for review."""

    per_rater: Limit | None = None
    per_device: Limit | None = None
    per_window: Limit | None = None
    per_operator: Limit | None = None
    not_found: Limit | None = None
    device_ids: Limit | None = None  # device ids issued per client address
    hold_device_burst: Burst | None = None


class Calendar(Strict):
    holidays: list[dt.date] = Field(default_factory=list)
    working_days: list[dt.date] = Field(default_factory=list)


class Policy(Strict):
    version: Annotated[str, StringConstraints(max_length=60)] | None = None
    title: Text
    source: Text | None = None
    levels: list[Level]
    channel_classes: dict[Code, list[Channel]]
    rating: RatingPolicy
    scope: Scope
    deadlines: list[Deadline] = Field(default_factory=list)
    masking: list[Masking] = Field(default_factory=list)
    moderation: Moderation | None = None
    abuse: Abuse | None = None
    calendar: Calendar = Field(default_factory=Calendar)

    def rules(self) -> list[Rule]:
        return [rule for _, rule in _rule_paths(self)]


Path = tuple[str | int, ...]
Problem = tuple[Path, str]


def cross_checks(policy: Policy) -> list[Problem]:
    """What one key cannot say alone: completeness, uniqueness, references between keys."""
    return (
        _levels_problems(policy)
        + _channel_problems(policy)
        + _unique_problems(policy)
        + _calendar_problems(policy)
        + _reminder_problems(policy)
    )


def advice(policy: Policy) -> list[Problem]:
    """What is valid but probably not meant: warnings, which do not stop the policy."""
    reminder = policy.rating.reminder
    if reminder is None:
        return []
    length, parts = estimate(reminder.template, reply_hint=reminder.reply_hint)
    if length <= SEGMENT:
        return []
    made_of = ", ".join(
        f"{'the text' if part == 'text' else part} {count}" for part, count in parts.items()
    )
    return [
        (
            ("rating", "reminder", "template"),
            f"about {length} characters once filled in ({made_of}), over the {SEGMENT} of one "
            f"SMS: it would go out as {messages(length)} messages. Shorten the text (or the "
            "reply hint) so the reminder fits one SMS",
        )
    ]


def _reminder_problems(policy: Policy) -> list[Problem]:
    reminder = policy.rating.reminder
    if reminder is None:
        return []
    uses_reply = "{reply}" in reminder.template
    if uses_reply and reminder.reply_hint is None:
        return [
            (
                ("rating", "reminder", "template"),
                "the template uses {reply} but there is no reply_hint to fill it in; add "
                "reply_hint (the words asking for an SMS reply) or take {reply} out",
            )
        ]
    if not uses_reply and reminder.reply_hint is not None:
        return [
            (
                ("rating", "reminder", "reply_hint"),
                "the reply hint is never sent: put {reply} in the template where it belongs, "
                "or delete reply_hint",
            )
        ]
    return []


def _levels_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[int] = set()
    for index, level in enumerate(policy.levels):
        if level.level in seen:
            problems.append((("levels", index, "level"), f"level {level.level} is defined twice"))
        seen.add(level.level)
    missing = sorted({1, 2, 3, 4, 5} - seen, reverse=True)
    if missing:
        problems.append(
            (
                ("levels",),
                "levels must define each of 5, 4, 3, 2, 1; missing: "
                + ", ".join(map(str, missing)),
            )
        )
    default = policy.rating.default_rating
    if default is not None and default.level not in seen:
        problems.append(
            (
                ("rating", "default_rating", "level"),
                f"level {default.level} is not one of the defined levels",
            )
        )
    return problems


def _channel_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    listed = [c for channels in policy.channel_classes.values() for c in channels]
    missing = [c for c in CHANNELS if c not in listed]
    if missing:
        problems.append(
            (("channel_classes",), f"every channel needs a class; missing: {', '.join(missing)}")
        )
    for name, channels in policy.channel_classes.items():
        for index, channel in enumerate(channels):
            if listed.count(channel) > 1:
                problems.append(
                    (
                        ("channel_classes", name, index),
                        f"channel {channel} is listed in more than one class",
                    )
                )
    for li, level in enumerate(policy.levels):
        for ti, tag in enumerate(level.tags):
            for ci, name in enumerate(tag.channels or []):
                if name not in policy.channel_classes:
                    problems.append(
                        (
                            ("levels", li, "tags", ti, "channels", ci),
                            f"{name!r} is not a channel class; defined: "
                            + ", ".join(policy.channel_classes),
                        )
                    )
    return problems


def _unique_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: set[str] = set()
    for path, rule in _rule_paths(policy):
        if rule.id in seen_ids:
            problems.append(((*path, "id"), f"rule id {rule.id!r} is used twice"))
        seen_ids.add(rule.id)
    seen_tags: set[str] = set()
    for li, level in enumerate(policy.levels):
        for ti, tag in enumerate(level.tags):
            if tag.code in seen_tags:
                problems.append(
                    (
                        ("levels", li, "tags", ti, "code"),
                        f"tag code {tag.code!r} is used twice; each tag needs its own code",
                    )
                )
            seen_tags.add(tag.code)
    for key, attr in (("deadlines", "step"), ("masking", "role")):
        seen: set[str] = set()
        for index, item in enumerate(getattr(policy, key)):
            value = getattr(item, attr)
            if value in seen:
                problems.append(((key, index, attr), f"{attr} {value!r} appears twice in {key}"))
            seen.add(value)
    return problems


def _rule_paths(policy: Policy) -> list[tuple[Path, Rule]]:
    rating, scope = policy.rating, policy.scope
    found: list[tuple[Path, Rule]] = [(("levels", i), lv) for i, lv in enumerate(policy.levels)]
    found.append((("rating", "repeat"), rating.repeat))
    for key in ("on_behalf", "late_rating", "default_rating", "reminder"):
        rule = getattr(rating, key)
        if rule is not None:
            found.append((("rating", key), rule))
    found += [
        (("scope", "batch"), scope.batch),
        (("scope", "integrated_service"), scope.integrated_service),
    ]
    found += [(("deadlines", i), d) for i, d in enumerate(policy.deadlines)]
    found += [(("masking", i), m) for i, m in enumerate(policy.masking)]
    if policy.moderation is not None:
        found.append((("moderation",), policy.moderation))
    if policy.abuse is not None:
        found.append((("abuse",), policy.abuse))
    return found


def _calendar_problems(policy: Policy) -> list[Problem]:
    holidays = set(policy.calendar.holidays)
    return [
        (
            ("calendar", "working_days", index),
            f"{day.isoformat()} is listed both as a holiday and as a working day",
        )
        for index, day in enumerate(policy.calendar.working_days)
        if day in holidays
    ]
