"""The anti-abuse limits (`abuse`): rules.yaml `abuse`, as counting windows in seconds for
the counters that keep them (outside the engine: counting is not deciding)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.calendar import WorkingCalendar
from rules.rule import CompiledRule, Outcome, always
from rules.spec import Policy

LIMITS = ("per_rater", "per_device", "per_window", "per_operator", "not_found", "device_ids")


@dataclass(frozen=True)
class CountingWindow:
    """At most `count` within `seconds` (for a burst: `count` different raters)."""

    count: int
    seconds: int


@dataclass(frozen=True)
class Limits:
    """The policy's limits by name (see LIMITS; absent: not limited) and the device burst
    that holds ratings for review (None: none)."""

    windows: Mapping[str, CountingWindow]
    hold_device_burst: CountingWindow | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> Limits:
        burst = outcome.get("hold_device_burst")
        return cls(
            windows={
                name: CountingWindow(int(value["max"]), int(value["seconds"]))
                for name, value in outcome.items()
                if name in LIMITS
            },
            hold_device_burst=None
            if burst is None
            else CountingWindow(int(burst["raters"]), int(burst["seconds"])),
        )


def rules(policy: Policy, calendar: WorkingCalendar) -> list[CompiledRule]:
    abuse = policy.abuse
    if abuse is None:
        return []
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

    def seconds(duration: Any) -> int:
        return int((calendar.add(epoch, duration) - epoch).total_seconds())

    limits: Outcome = {}
    for name in LIMITS:
        limit = getattr(abuse, name)
        if limit is not None:
            limits[name] = {"max": limit.max, "seconds": seconds(limit.within)}
    if abuse.hold_device_burst is not None:
        burst = abuse.hold_device_burst
        limits["hold_device_burst"] = {"raters": burst.raters, "seconds": seconds(burst.within)}
    return [always(abuse.id, "abuse", lambda _f: limits)]
