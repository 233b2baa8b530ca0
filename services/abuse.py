"""Anti-abuse limits on rating: per rater, per device and per window, and a device that
rates for many different people in a short time has those ratings held for review.

The thresholds come from the policy (`abuse` in rules.yaml, decided by the rules engine as
counting windows); the counts live in Redis (shared by every worker) or, without Redis, in
the process. Counting windows are fixed buckets of the policy's length.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from rules import Decision


class Counters(Protocol):
    async def hit(self, key: str, seconds: int) -> int:
        """Count one event under `key`; the count now (the key lives `seconds`)."""
        ...

    async def release(self, key: str) -> None:
        """Take back one event counted under `key` (an attempt that was refused)."""
        ...

    async def distinct(self, key: str, member: str, seconds: int) -> int:
        """Remember `member` under `key`; how many different members it holds now."""
        ...


@dataclass(frozen=True)
class Verdict:
    refused_by: str | None = None  # the limit that refused: per_rater, per_device, per_window
    hold: bool = False  # store the rating but hold it for review instead of counting it
    rules: tuple[str, ...] = ()  # the policy rules behind a refusal or a hold


ALLOW = Verdict()
Guard = Callable[[str | None], Awaitable[Verdict]]  # window code of the rated case -> verdict


async def check_rating(
    counters: Counters,
    decision: Decision,
    *,
    rater: str,
    device: str | None,
    window: str | None,
    now: datetime,
) -> Verdict:
    """Count this rating against every limit the policy sets and say what to do with it
    (`decision` is the engine's `abuse` decision: the limits as counting windows)."""
    limits: Mapping[str, Any] = decision.outcome
    stamp = int(now.timestamp())
    subjects = {"per_rater": rater, "per_device": device, "per_window": window}
    counted: list[str] = []
    for name, subject in subjects.items():
        limit = limits.get(name)
        if limit is None or subject is None:
            continue
        seconds = int(limit["seconds"])
        key = f"hcp:abuse:{name}:{subject}:{stamp // seconds}"
        counted.append(key)
        if await counters.hit(key, seconds) > int(limit["max"]):
            # A refused attempt uses up nobody's allowance: a device over its own limit
            # cannot exhaust the window's for everyone else.
            for done in counted:
                await counters.release(done)
            return Verdict(refused_by=name, rules=decision.fired)
    burst = limits.get("hold_device_burst")
    if burst is None or device is None:
        return ALLOW
    seconds = int(burst["seconds"])
    raters = await counters.distinct(
        f"hcp:abuse:device_raters:{device}:{stamp // seconds}", rater, seconds
    )
    if raters >= int(burst["raters"]):
        return Verdict(hold=True, rules=decision.fired)
    return ALLOW


async def check_visit(
    counters: Counters, decision: Decision, *, device: str | None, window: str, now: datetime
) -> str | None:
    """A window's scan page (the QR code's target) under the same per-device and per-window
    limits as ratings, counted apart from them: the limit that refuses, or None."""
    limits: Mapping[str, Any] = decision.outcome
    stamp = int(now.timestamp())
    for name, subject in (("per_device", device), ("per_window", window)):
        limit = limits.get(name)
        if limit is None or subject is None:
            continue
        seconds = int(limit["seconds"])
        key = f"hcp:abuse:visit:{name}:{subject}:{stamp // seconds}"
        if await counters.hit(key, seconds) > int(limit["max"]):
            await counters.release(key)
            return name
    return None
