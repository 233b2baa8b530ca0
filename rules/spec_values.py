"""The value types of a policy file: ids, codes, texts, channels, roles, workflow steps,
durations (working days included), quiet hours and the clock durations counting windows
take."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import PlainValidator, StringConstraints

from rules.durations import Duration, Unit, parse_duration
from rules.quiet import QuietHours, parse_quiet_hours
from rules.wording import Refusal

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
    "rectification_review",
    "follow_up_rating",
    "follow_up_review",
    "escalation",
    "moderation_review",
    "spot_check",
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
        raise Refusal(
            '时段要加英文双引号，例如 "21:00-08:00"', 'write the span in quotes, e.g. "21:00-08:00"'
        )
    try:
        return parse_quiet_hours(value)
    except ValueError as exc:
        # rules/quiet.py says which part is wrong in English; one Chinese sentence names
        # every condition of a valid span instead.
        raise Refusal(
            f"“{value}”不是有效的免打扰时段：请按 24 小时制写成“开始-结束”，时为 00-23、分为 "
            '00-59，开始和结束不能相同，例如 "21:00-08:00"；不需要免打扰就删除 quiet_hours',
            str(exc),
        ) from None


QuietHoursText = Annotated[QuietHours, PlainValidator(_quiet_hours)]


def _clock_time(value: object) -> Duration:
    duration = _duration(value)
    if duration.unit is Unit.WORKING_DAYS:
        # The English words stay in the Chinese text: the file may use them as units.
        raise Refusal(
            f"“{value}”：计数时段按钟点计算，不按工作日；请写分钟、小时或自然日"
            "（minutes, hours or natural days），例如 10分钟、1小时、1个自然日",
            f"{value!r}: counting windows run on the clock; write minutes, hours or natural days",
        )
    return duration


ClockDuration = Annotated[Duration, PlainValidator(_clock_time)]
