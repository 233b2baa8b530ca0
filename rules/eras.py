"""Effective dates (施行日期): which version's deadlines judge a case.

A policy may say `effective_from: 2026-12-01`: cases completed from that Beijing day on are
judged by its rating deadlines (`rating.late_rating`, `rating.default_rating`,
`rating.reminder`); a case completed before keeps the deadlines of the version in force
when it was completed, so an open case's deadlines never move under it. A version may
declare `applies_to_open_cases: [late_rating, …]`: those sections then apply to the open
cases of every earlier version too. Without `effective_from` a version applies to every
case, as if it had always been in force.

Everything else (levels, masking, the workflow …) is the active version's for every case:
it is about what happens now, not about when a case falls due. So is the working calendar:
a holiday added for next year counts for every open case.

The history is the versions in the order they became active, the active one last. A
rollback is a new activation of an old version: with no `effective_from` it governs every
case again, restoring the earlier behaviour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from rules.calendar import BUSINESS_TZ
from rules.loader import Source
from rules.spec import OpenCaseSection, Policy

SECTIONS: tuple[OpenCaseSection, ...] = ("late_rating", "default_rating", "reminder")


@dataclass(frozen=True)
class Era:
    """Cases completed from `start` (None: since always) until the next era's start are
    judged by `policy`: the active policy with `source`'s deadline sections."""

    start: dt.datetime | None
    source: Source
    policy: Policy


def effective_start(policy: Policy) -> dt.datetime | None:
    day = policy.effective_from
    return None if day is None else dt.datetime.combine(day, dt.time(), BUSINESS_TZ)


def build_eras(history: Sequence[Source]) -> list[Era]:
    """The eras of a history (oldest activation first, the active version last), newest
    era first. The active version's era is its own policy unchanged."""
    if not history:
        raise ValueError("a history holds at least the active version")
    active = history[-1]
    found: list[Era] = []
    upper: dt.datetime | None = None
    for index in range(len(history) - 1, -1, -1):
        source = history[index]
        start = effective_start(source.policy)
        if found and (start is not None and upper is not None and start >= upper):
            continue  # a later version took effect from an earlier day: nothing left of it
        policy = active.policy if not found else _compose(active, source, history[index + 1 :])
        found.append(Era(start, source, policy))
        if start is None:
            return found
        upper = start
    last = found[-1]
    found[-1] = Era(None, last.source, last.policy)  # before the first effective date
    return found


def needed(history: Sequence[Source]) -> list[Source]:
    """The part of a history its eras read: from the last version without an effective
    date (it governs every case before it) to the active one."""
    for index in range(len(history) - 1, -1, -1):
        if history[index].policy.effective_from is None:
            return list(history[index:])
    return list(history)


def era_for(eras: Sequence[Era], completed_at: dt.datetime) -> int:
    """The index (into `eras`, newest first) of the era a case completed then belongs to."""
    for index, era in enumerate(eras):
        if era.start is None or completed_at >= era.start:
            return index
    return len(eras) - 1


def _compose(active: Source, source: Source, later: Sequence[Source]) -> Policy:
    """The active policy judging `source`'s open cases: its deadline sections, each
    replaced by the latest later version that applied it to open cases."""
    rating = source.policy.rating
    sections: dict[str, object] = {name: getattr(rating, name) for name in SECTIONS}
    for newer in later:
        for name in newer.policy.applies_to_open_cases:
            sections[name] = getattr(newer.policy.rating, name)
    updated = active.policy.rating.model_copy(update=sections)
    # Labelled as `source`: its decisions record the version whose deadlines they are.
    return active.policy.model_copy(update={"rating": updated, "version": source.policy.version})
