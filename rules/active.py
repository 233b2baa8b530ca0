"""One compiled policy version and how a decision is taken from it: the memo of decisions
that depend only on the policy, the facts' normalisation, and the composed rating
decision. The Engine (rules.engine) holds the active one and swaps it whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, NamedTuple, TypeVar

from rules import decisions
from rules.compiler import CompiledPolicy
from rules.decisions import moderation, rating
from rules.loader import Source

T = TypeVar("T")

KINDS = (
    *("level", "form", "rating", "rating_window", "case_deadlines", "history", "scope"),
    *("deadline", "mask", "moderation", "cutoffs", "abuse", "workflow_step"),
)
KIND_SET = frozenset(KINDS)
# Decisions that read no clock and depend only on the policy and a few small facts (a role,
# a field, a channel, a target, a level, what a case already has): asked again on every
# request, decided once per policy. `level` and `history` are also steps of every rating.
_MEMO_KINDS = frozenset({"form", "scope", "mask", "abuse", "level", "history", "workflow_step"})
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
class Decided(Generic[T]):
    """A typed decision: what the policy decided, which rules fired, under which version."""

    value: T
    fired: tuple[str, ...]
    version: str


@dataclass(frozen=True)
class Active:
    source: Source
    compiled: CompiledPolicy
    memo: dict[tuple[Any, ...], Decision] = field(default_factory=dict)
    typed: dict[tuple[Any, ...], Decided[Any]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.source.version


def compile_source(source: Source) -> Active:
    return Active(source, CompiledPolicy(decisions.policy_rules(source.policy), _ENGINE_KINDS))


def memo_key(kind: str, facts: Mapping[str, Any]) -> tuple[Any, ...] | None:
    if kind not in _MEMO_KINDS:
        return None
    for value in facts.values():
        if not isinstance(value, _SCALARS):
            return None
    return (kind, tuple(sorted(facts.items())))


def decided(
    active: Active, kind: str, facts: Mapping[str, Any], key: tuple[Any, ...] | None
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


def _run(active: Active, kind: str, facts: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    clean = _normalised(facts)
    if kind == "moderation":
        comment = str(clean.get("comment") or "")
        clean = {**clean, **moderation.facts(active.source.policy, comment)}
    message = {
        k: v.isoformat() if isinstance(v, dt.datetime) else v
        for k, v in clean.items()
        if not isinstance(v, list | dict)
    }
    return active.compiled.run(kind, clean, message)


def composed_rating(
    active: Active, facts: Mapping[str, Any], *, window: Active
) -> tuple[list[str], dict[str, Any]]:
    """The composed rating decision (rules.decisions.rating), its steps memoised; the
    rating window is `window`'s, the version judging the case's deadlines (rules.eras)."""
    fired: list[str] = []

    def step(kind: str, step_facts: Mapping[str, Any]) -> Mapping[str, Any]:
        deciding = window if kind == "rating_window" else active
        decision = decided(deciding, kind, step_facts, memo_key(kind, step_facts))
        fired.extend(r for r in decision.fired if r not in fired)
        return decision.outcome

    outcome = rating.decide(step, facts)
    return fired, outcome
