"""The decision API the rest of the product uses: `evaluate(kind, facts) -> Decision`.

A Decision carries the outcome, the ids of every rule that fired and the rules version, so
"why was this rating treated so?" always has an answer. Reloads swap the whole compiled
policy in one assignment: an evaluation sees the old policy or the new one, never half.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from rules.compiler import CompiledPolicy, compile_policy, moderation_facts
from rules.loader import Source, load, parse
from rules.quiet import QuietHours
from rules.spec import Policy

KINDS = (
    "level",
    "form",
    "rating",
    "rating_window",
    "case_deadlines",
    "history",
    "scope",
    "deadline",
    "mask",
    "moderation",
    "cutoffs",
    "abuse",
)
_KIND_SET = frozenset(KINDS)
# Decisions that read no clock and depend only on the policy and a few small facts (a role,
# a field, a channel, a target, a level, what a case already has): asked again on every
# request, decided once per policy. `level` and `history` are also steps of every rating.
_MEMO_KINDS = frozenset({"form", "scope", "mask", "abuse", "level", "history"})
_MEMO_LIMIT = 1024  # distinct fact sets kept per policy; beyond it, decided every time
_SCALARS = (str, int, bool, type(None))  # facts a memo key may hold (hashable, no clock)
_TIME_FACTS = ("completed_at", "rated_at", "from", "now")
_ENGINE_KINDS = tuple(k for k in KINDS if k != "rating")  # rating is composed, see _rating


class Decision(NamedTuple):
    """What the policy decided, which rules fired, and under which policy version."""

    kind: str
    outcome: Mapping[str, Any]
    fired: tuple[str, ...]
    version: str


@dataclass(frozen=True)
class _Active:
    source: Source
    compiled: CompiledPolicy
    memo: dict[tuple[Any, ...], Decision] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.source.version


class Engine:
    def __init__(self, source: Source) -> None:
        self._active = _Active(source, compile_policy(source.policy, _ENGINE_KINDS))
        self._swap_lock = threading.Lock()

    @classmethod
    def from_path(cls, path: Path) -> Engine:
        return cls(load(path))

    @property
    def version(self) -> str:
        return self._active.source.version

    @property
    def policy(self) -> Policy:
        return self._active.source.policy

    @property
    def source(self) -> Source:
        return self._active.source

    @property
    def sms_quiet_hours(self) -> QuietHours | None:
        """When no SMS may go out under the active policy (None: at any hour). For the SMS
        delivery, which is not a decision on facts but must wait for the morning too."""
        reminder = self._active.source.policy.rating.reminder
        return None if reminder is None else reminder.quiet_hours

    def evaluate(self, kind: str, facts: Mapping[str, Any]) -> Decision:
        """The policy's decision on `facts`. Outcomes are read-only: some are shared by every
        caller of the same policy (see _MEMO_KINDS)."""
        if kind not in _KIND_SET:
            raise ValueError(f"unknown decision kind {kind!r}")
        active = self._active
        key = _memo_key(kind, facts)
        if key is not None and key in active.memo:
            return active.memo[key]
        while not active.compiled.enter():  # retired and freed between read and enter
            active = self._active
        try:
            if kind == "rating":
                fired, outcome = _rating(active, facts)
                return Decision(kind, MappingProxyType(outcome), tuple(fired), active.version)
            return _decided(active, kind, facts, key)
        finally:
            active.compiled.leave()

    def replace(self, source: Source) -> bool:
        """Make `source` the active policy; False when it is already active."""
        with self._swap_lock:
            old = self._active
            if old.source.digest == source.digest:
                return False
            self._active = _Active(source, compile_policy(source.policy, _ENGINE_KINDS))
        old.compiled.retire()
        return True

    def reload(self, path: Path) -> bool:
        """Validate then swap; a PolicyError leaves the running policy untouched."""
        return self.replace(load(path))

    def publish(self, text: str, name: str = "<published>") -> bool:
        return self.replace(parse(text, name))


def _memo_key(kind: str, facts: Mapping[str, Any]) -> tuple[Any, ...] | None:
    if kind not in _MEMO_KINDS:
        return None
    for value in facts.values():
        if not isinstance(value, _SCALARS):
            return None
    return (kind, tuple(sorted(facts.items())))


def _decided(
    active: _Active, kind: str, facts: Mapping[str, Any], key: tuple[Any, ...] | None
) -> Decision:
    """One decision of `active` (entered by the caller), memoised under `key` (see
    _memo_key; None: not memoised)."""
    if key is not None and key in active.memo:
        return active.memo[key]
    fired, outcome = _run(active, kind, facts)
    decision = Decision(kind, MappingProxyType(outcome), tuple(fired), active.version)
    # Kept with the policy that decided it. Not kept when no rule matched facts a client
    # chose (a level 7): those must not fill the memo that real requests use. A question
    # with no facts (`abuse` of a policy without limits) is one per policy: kept.
    if key is not None and (outcome or not facts) and len(active.memo) < _MEMO_LIMIT:
        active.memo[key] = decision
    return decision


def _normalised(facts: Mapping[str, Any]) -> Mapping[str, Any]:
    if not any(key in facts for key in _TIME_FACTS):
        return facts
    clean = dict(facts)
    for key in _TIME_FACTS:
        value = clean.get(key)
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            raise ValueError(f"fact {key} needs a UTC offset")
        if value is not None:
            clean[key] = value
    return clean


def _run(active: _Active, kind: str, facts: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    clean = _normalised(facts)
    if kind == "moderation":
        comment = str(clean.get("comment") or "")
        clean = {**clean, **moderation_facts(active.source.policy, comment)}
    message = {
        k: v.isoformat() if isinstance(v, dt.datetime) else v
        for k, v in clean.items()
        if not isinstance(v, list | dict)
    }
    return active.compiled.run(kind, clean, message)


def _rating(active: _Active, facts: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Is this rating acceptable, and what does it mean? Composed from the single decisions
    in the order a citizen would meet the problems."""
    fired: list[str] = []

    def step(kind: str, step_facts: Mapping[str, Any]) -> Mapping[str, Any]:
        decision = _decided(active, kind, step_facts, _memo_key(kind, step_facts))
        fired.extend(r for r in decision.fired if r not in fired)
        return decision.outcome

    level = step("level", {"level": facts.get("level"), "channel": facts.get("channel")})
    if not level:
        return fired, {"accepted": False, "code": "INVALID_LEVEL"}
    tags = list(facts.get("tags") or [])
    if any(tag not in level["tag_codes"] for tag in tags):
        return fired, {"accepted": False, "code": "INVALID_TAG", **level}
    has_reason = bool(tags) or bool(str(facts.get("comment") or "").strip())
    if level["reason_required"] and not has_reason:
        return fired, {"accepted": False, "code": "REASON_REQUIRED", **level}
    if facts.get("completed_at") is not None:
        window = step("rating_window", {k: facts.get(k) for k in ("completed_at", "rated_at")})
        if window and not window["open"]:
            return fired, {
                "accepted": False,
                "code": "RATING_WINDOW_CLOSED",
                **level,
                "deadline": window["deadline"],
            }
    history = step("history", {"prior": facts.get("prior", "none")})
    if history and not history["accepted"]:
        return fired, {"accepted": False, "code": history["code"], **level}
    outcome = {
        "accepted": True,
        "code": None,
        **level,
        "supersedes": bool(history.get("supersedes")),
    }
    if facts.get("comment"):
        moderation = step("moderation", {"comment": str(facts["comment"])})
        outcome["held_for_review"] = bool(moderation.get("hold"))
    return fired, outcome
