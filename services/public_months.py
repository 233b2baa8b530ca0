"""The months of the public page: a calendar month in Beijing time, and which months are
offered (the current one and the twelve complete months before it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from rules import BUSINESS_TZ
from services.statistics import Period

MONTHS_OFFERED = 13
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Month:
    first: date

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def following(self) -> date:
        return date(self.first.year + self.first.month // 12, self.first.month % 12 + 1, 1)

    @property
    def period(self) -> Period:
        return Period(self.first, date.fromordinal(self.following.toordinal() - 1))

    def instants(self) -> tuple[datetime, datetime]:
        """[start, end) of the month in Beijing time, as UTC instants."""
        start = datetime.combine(self.first, time(), BUSINESS_TZ).astimezone(UTC)
        return start, datetime.combine(self.following, time(), BUSINESS_TZ).astimezone(UTC)


def parse_month(text: str) -> Month | None:
    """`YYYY-MM` as a Month; None for anything else."""
    found = _MONTH.fullmatch(text)
    return Month(date(int(found[1]), int(found[2]), 1)) if found else None


def months_offered(now: datetime) -> list[Month]:
    """The months the page offers, newest (the current one, in Beijing time) first."""
    today = now.astimezone(BUSINESS_TZ).date()
    index = today.year * 12 + today.month - 1
    return [Month(date((index - n) // 12, (index - n) % 12 + 1, 1)) for n in range(MONTHS_OFFERED)]
