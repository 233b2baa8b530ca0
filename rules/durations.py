"""Durations as policy texts write them: "5 working days", "7 natural days", "24 hours"
(or 5个工作日, 7个自然日, 24小时); "10 minutes" (10分钟) for the anti-abuse windows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from rules.wording import Refusal


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    NATURAL_DAYS = "natural_days"
    HOURS = "hours"
    MINUTES = "minutes"


_WORDS = {
    "working day": Unit.WORKING_DAYS,
    "working days": Unit.WORKING_DAYS,
    "工作日": Unit.WORKING_DAYS,
    "个工作日": Unit.WORKING_DAYS,
    "natural day": Unit.NATURAL_DAYS,
    "natural days": Unit.NATURAL_DAYS,
    "自然日": Unit.NATURAL_DAYS,
    "个自然日": Unit.NATURAL_DAYS,
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "小时": Unit.HOURS,
    "个小时": Unit.HOURS,
    "minute": Unit.MINUTES,
    "minutes": Unit.MINUTES,
    "分钟": Unit.MINUTES,
}
_ZH = {
    Unit.WORKING_DAYS: "个工作日",
    Unit.NATURAL_DAYS: "个自然日",
    Unit.HOURS: "小时",
    Unit.MINUTES: "分钟",
}
_PATTERN = re.compile(r"^\s*(\d{1,4})\s*([^\d].*?)\s*$")
EXAMPLES = '"5 working days", "7 natural days", "24 hours" (or 5个工作日, 7个自然日, 24小时)'
EXAMPLES_ZH = "5个工作日、7个自然日、24小时（或 5 working days、7 natural days、24 hours）"


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        words = self.unit.value.replace("_", " ")
        return f"{self.amount} {words[:-1] if self.amount == 1 else words}"

    def zh(self) -> str:
        """As a citizen reads it: 2个工作日, 7个自然日, 24小时, 10分钟."""
        return f"{self.amount}{_ZH[self.unit]}"


def parse_duration(text: str) -> Duration:
    """A Refusal (a ValueError) in plain words when `text` is not a duration."""
    match = _PATTERN.match(str(text))
    unit = _WORDS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise Refusal(
            f"“{text}”不是系统认识的时长，请写成例如 {EXAMPLES_ZH}",
            f"{text!r} is not a duration; write e.g. {EXAMPLES}",
        )
    amount = int(match.group(1))
    if amount <= 0:
        raise Refusal(
            f"“{text}”：时长至少是 1，例如 1个工作日",
            f"{text!r}: a duration must be at least 1",
        )
    return Duration(amount, unit)
