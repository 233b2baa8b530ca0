"""Anti-abuse limits on rating: per rater, per device and per window, and a device that
rates for many different people in a short time has those ratings held for review.

The thresholds come from the policy (`abuse` in rules.yaml, decided by the rules engine as
counting windows); the counts live in Redis (shared by every worker) or, without Redis, in
the process. Counting windows are fixed buckets of the policy's length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rules import Decided, Limits


class Counters(Protocol):
    async def count(
        self, hits: Sequence[tuple[str, int]], member: tuple[str, str, int] | None = None
    ) -> tuple[list[int], int]:
        """In one round trip: count one event under each key (a key lives its seconds) and,
        with `member` = (key, member, seconds), remember the member in that set. Returns the
        counts now and the set's size (0 without a member)."""
        ...

    async def release(self, keys: Sequence[str]) -> None:
        """Take back one event counted under each key (an attempt that was refused)."""
        ...


@dataclass(frozen=True)
class Verdict:
    refused_by: str | None = None  # the limit that refused: per_rater, per_device, per_window
    hold: bool = False  # store the rating but hold it for review instead of counting it
    rules: tuple[str, ...] = ()  # the policy rules behind a refusal or a hold
    # What was counted for this rating, to take back if the rating is refused after all
    # (a form error, a closed window): only a stored rating uses up an allowance.
    counted: tuple[str, ...] = ()


async def check_rating(
    counters: Counters,
    decision: Decided[Limits],
    *,
    rater: str,
    operator: str | None,
    device: str | None,
    window: str | None,
    hold_bursts: bool,
    now: datetime,
) -> Verdict:
    """Count this rating against every limit the policy sets and say what to do with it
    (`decision` is the engine's `abuse` decision: the limits as counting windows). `rater`
    is the applicant the rating is for, `operator` whoever enters it for them (staff, a
    pad), `device` one the server recognises; `hold_bursts`: a device rating for many
    different people is held (not for pads and operators, whose job that is)."""
    burst = decision.value.hold_device_burst if hold_bursts else None
    member = None
    if burst is not None and device is not None:
        seconds = burst.seconds
        member = (f"hcp:abuse:device_raters:{device}:{_bucket(now, seconds)}", rater, seconds)
    refused_by, raters, counted = await _count(
        counters,
        decision.value,
        "rating",
        {"per_rater": rater, "per_device": device, "per_window": window, "per_operator": operator},
        now,
        member,
    )
    if refused_by is not None:
        return Verdict(refused_by=refused_by, rules=decision.fired)
    if burst is not None and raters >= burst.count:
        return Verdict(hold=True, rules=decision.fired, counted=counted)
    return Verdict(counted=counted)


async def check_misses(
    counters: Counters, decision: Decided[Limits], *, rater: str, now: datetime
) -> bool:
    """Count a rating of a case the rater cannot rate (none there, or someone else's):
    True once the policy's `not_found` limit is passed."""
    return await _refused_by(counters, decision, "rating", {"not_found": rater}, now) is not None


async def check_visit(
    counters: Counters, decision: Decided[Limits], *, device: str | None, window: str, now: datetime
) -> str | None:
    """A window's scan page (the QR code's target) under the same per-device and per-window
    limits as ratings, counted apart from them: the limit that refuses, or None."""
    subjects = {"per_device": device, "per_window": window}
    return await _refused_by(counters, decision, "visit", subjects, now)


async def check_device_issue(
    counters: Counters, decision: Decided[Limits], *, address: str | None, now: datetime
) -> bool:
    """Count one device id issued to the client at `address`: True once the policy's
    `device_ids` limit is passed (no id then; the client rates without one)."""
    subjects = {"device_ids": address}
    return await _refused_by(counters, decision, "device_id", subjects, now) is not None


async def _refused_by(
    counters: Counters,
    decision: Decided[Limits],
    what: str,
    subjects: Mapping[str, str | None],
    now: datetime,
) -> str | None:
    """Count one event with no set to remember: the limit that refuses it, or None."""
    refused_by, _, _ = await _count(counters, decision.value, what, subjects, now, None)
    return refused_by


async def _count(
    counters: Counters,
    limits: Limits,
    what: str,
    subjects: Mapping[str, str | None],
    now: datetime,
    member: tuple[str, str, int] | None,
) -> tuple[str | None, int, tuple[str, ...]]:
    """One round trip counting `what` against each limit that applies; (the limit that
    refuses or None, the size of `member`'s set, the keys counted and kept)."""
    windows = limits.windows
    checked = [
        (name, f"hcp:abuse:{what}:{name}:{subject}:{_bucket(now, windows[name].seconds)}")
        for name, subject in subjects.items()
        if name in windows and subject is not None
    ]
    counts, size = await counters.count(
        [(key, windows[name].seconds) for name, key in checked], member
    )
    for (name, _key), count in zip(checked, counts, strict=True):
        if count > windows[name].count:
            # A refused attempt uses up nobody's allowance: a device over its own limit
            # cannot exhaust the window's for everyone else.
            await counters.release([key for _name, key in checked])
            return name, size, ()
    return None, size, tuple(key for _name, key in checked)


def _bucket(now: datetime, seconds: int) -> int:
    return int(now.timestamp()) // seconds
