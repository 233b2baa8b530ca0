"""The shape of a policy file (rules.yaml), as a strict pydantic model.

Keys are English and fixed; titles, descriptions and labels are the policy staff's own
words. Anything not described here is an error, so a typo never silently drops a rule.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
)

from rules.spec_base import Rule, Strict
from rules.spec_metrics import Disclosure, Metric
from rules.spec_values import (
    Channel,
    ClockDuration,
    Code,
    DurationText,
    QuietHoursText,
    Role,
    Step,
    Text,
)
from rules.spec_workflow import Workflow
from rules.vocabulary import Category, ReminderVia, WhenBoth, WhenRatedAgain
from rules.wording import Refusal

CHANNELS = ("PAD", "QR", "KIOSK", "SMS", "WEB", "APP", "HOTLINE", "PAPER")

# What a reminder's template may leave to the sweep (services.sweep_deadlines): the
# matter's name, the case number, the rating link, and the reply hint when replies are on.
PLACEHOLDERS = ("{matter}", "{case_no}", "{link}", "{reply}")
_BRACED = re.compile(r"\{[^{}]*\}")


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
            raise Refusal(
                f"{unknown[0]} 不是可用的占位符；模板里只能用 " + "、".join(PLACEHOLDERS),
                f"{unknown[0]} is not a placeholder; the template may use "
                + ", ".join(PLACEHOLDERS),
            )
        return template

    @field_validator("reply_hint")
    @classmethod
    def _plain_hint(cls, hint: str | None) -> str | None:
        if hint is not None and _BRACED.search(hint):
            raise Refusal(
                "回复提示（reply_hint）只能是普通文字，不能有 {…} 占位符",
                "the reply hint is plain text: it cannot hold placeholders",
            )
        return hint

    @field_validator("via")
    @classmethod
    def _first_then_fallback(cls, via: list[ReminderVia]) -> list[ReminderVia]:
        twice = [channel for index, channel in enumerate(via) if channel in via[:index]]
        if twice:
            raise Refusal(
                f"{twice[0]} 写了两次；每种方式只写一次：[SMS]、[CALL] 或 [SMS, CALL]",
                f"{twice[0]} is listed twice; list each channel once: [SMS], [CALL] or [SMS, CALL]",
            )
        if via[0] is ReminderVia.CALL and len(via) > 1:
            raise Refusal(
                f"[{', '.join(via)}] 表示电话联系不上再发短信，系统不支持：第一项是提醒方式，"
                "第二项只在第一项联系不上时才用。请写 [SMS, CALL]（先发短信，短信发送失败再打电话）"
                "或 [CALL]",
                f"[{', '.join(via)}] would fall back from a call to an SMS, which is not "
                "supported: the first channel is how the reminder goes, the second only what "
                "follows when the first could not reach the person. Write [SMS, CALL] (an SMS, "
                "then a call when the SMS could not be delivered) or [CALL]",
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


# The parts of `rating` that set a completed case's deadlines (rules.eras).
OpenCaseSection = Literal["late_rating", "default_rating", "reminder"]


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
    workflow: Workflow | None = None
    metrics: list[Metric] = Field(default_factory=list)
    disclosure: Disclosure | None = None
    calendar: Calendar = Field(default_factory=Calendar)
    # 施行日期: cases completed from this Beijing day on are judged by this version's
    # rating deadlines; those completed before keep the deadlines of the version then in
    # force, except the sections named in applies_to_open_cases. None: every case.
    effective_from: dt.date | None = None
    applies_to_open_cases: list[OpenCaseSection] = Field(default_factory=list)

    def rules(self) -> list[Rule]:
        return [rule for _, rule in rule_paths(self)]


Path = tuple[str | int, ...]


def rule_paths(policy: Policy) -> list[tuple[Path, Rule]]:
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
    if policy.workflow is not None:
        found += [(("workflow", "steps", i), w) for i, w in enumerate(policy.workflow.steps)]
    found += [(("metrics", i), m) for i, m in enumerate(policy.metrics)]
    if policy.disclosure is not None:
        found.append((("disclosure",), policy.disclosure))
    return found
