"""Quiet hours: the part of each day (business time, Asia/Shanghai) when no SMS goes out.

Written in a policy as "21:00-08:00" (start-end, 24-hour clock); a span whose start is
after its end runs over midnight. The start is quiet, the end is not: with "21:00-08:00" a
message may go at 20:59 and again from 08:00.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rules.calendar import BUSINESS_TZ

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~～至到]\s*(\d{1,2}):(\d{2})\s*$")
_EXAMPLE = 'write the span as start-end on the 24-hour clock, e.g. "21:00-08:00"'


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, at: dt.datetime) -> bool:
        """Is `at` (with a UTC offset) within the quiet hours?"""
        clock = _local(at).time()
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def release(self, at: dt.datetime) -> dt.datetime:
        """`at` itself outside the quiet hours; inside them, the moment they end (the
        morning after a night that spans midnight). In `at`'s own time zone."""
        if not self.contains(at):
            return at
        local = _local(at)
        day = local.date()
        if local.time() >= self.end:  # before midnight of a span that runs over it
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, self.end, BUSINESS_TZ).astimezone(at.tzinfo)


def _local(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("quiet hours need a time with a UTC offset")
    return at.astimezone(BUSINESS_TZ)


def parse_quiet_hours(text: str) -> QuietHours:
    """QuietHours from "21:00-08:00"; ValueError in plain words otherwise."""
    match = _SPAN.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a span of time; {_EXAMPLE}")
    hours_minutes = [int(part) for part in match.groups()]
    try:
        start = dt.time(hours_minutes[0], hours_minutes[1])
        end = dt.time(hours_minutes[2], hours_minutes[3])
    except ValueError:
        raise ValueError(
            f"{text!r}: hours run from 00 to 23 and minutes from 00 to 59; {_EXAMPLE}"
        ) from None
    if start == end:
        raise ValueError(
            f"{text!r} starts and ends at the same time; {_EXAMPLE}, or delete quiet_hours "
            "to send at any hour"
        )
    return QuietHours(start, end)
