"""The decision API the rest of the product uses.

Typed: one method per decision kind (`engine.history(Prior.RATING)`, `engine.cutoffs(now)`
…) returning `Decided[T]`, T the kind's frozen dataclass from rules/decisions. Untyped:
`evaluate(kind, facts) -> Decision` with the outcome as a mapping, the shape the scenario
files are written in (rules.scenarios, `hcp rules test`).

Both carry the outcome, the ids of every rule that fired and the rules version, so
"why was this rating treated so?" always has an answer. Reloads swap the whole compiled
policy in one assignment: an evaluation sees the old policy or the new one, never half.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, NamedTuple, TypeVar

from rules import decisions
from rules.compiler import CompiledPolicy
from rules.decisions import moderation, rating
from rules.decisions.abuse import Limits
from rules.decisions.deadlines import StepDue
from rules.decisions.history import History
from rules.decisions.levels import Form, LevelView
from rules.decisions.masking import MaskPattern
from rules.decisions.metrics import MetricBook, build_metrics
from rules.decisions.moderation import Moderation
from rules.decisions.rating import RatingFacts, RatingVerdict
from rules.decisions.scope import Reach
from rules.decisions.windows import CaseDeadlines, Cutoffs, RatingWindow
from rules.decisions.workflow import Loop, StepRule, build_loop
from rules.loader import Source, load, parse
from rules.quiet import QuietHours
from rules.spec import Policy
from rules.vocabulary import Prior

T = TypeVar("T")

KINDS = (
    *("level", "form", "rating", "rating_window", "case_deadlines", "history", "scope"),
    *("deadline", "mask", "moderation", "cutoffs", "abuse", "workflow_step"),
)
_KIND_SET = frozenset(KINDS)
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
class _Active:
    source: Source
    compiled: CompiledPolicy
    memo: dict[tuple[Any, ...], Decision] = field(default_factory=dict)
    typed: dict[tuple[Any, ...], Decided[Any]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.source.version


class Engine:
    def __init__(self, source: Source) -> None:
        self._active = _active(source)
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

    def level(self, level: int | None, channel: str | None = None) -> Decided[LevelView | None]:
        """What `level` means on `channel` (None: a level the policy does not have)."""
        return self._typed(
            "level",
            {"level": level, "channel": channel},
            lambda o: LevelView.from_outcome(o) if o else None,
        )

    def form(self, channel: str | None) -> Decided[Form]:
        return self._typed("form", {"channel": channel}, Form.from_outcome)

    def history(self, prior: Prior) -> Decided[History]:
        return self._typed("history", {"prior": prior.value}, History.from_outcome)

    def scope(self, target: str, *, in_batch: bool, in_integrated_service: bool) -> Decided[Reach]:
        facts = {
            "target": target,
            "in_batch": in_batch,
            "in_integrated_service": in_integrated_service,
        }
        return self._typed("scope", facts, Reach.from_outcome)

    def rating_window(
        self, completed_at: dt.datetime, rated_at: dt.datetime | None
    ) -> Decided[RatingWindow]:
        facts = {"completed_at": completed_at, "rated_at": rated_at}
        return self._typed("rating_window", facts, RatingWindow.from_outcome)

    def case_deadlines(self, completed_at: dt.datetime) -> Decided[CaseDeadlines]:
        return self._typed(
            "case_deadlines", {"completed_at": completed_at}, CaseDeadlines.from_outcome
        )

    def cutoffs(self, now: dt.datetime) -> Decided[Cutoffs]:
        return self._typed("cutoffs", {"now": now}, Cutoffs.from_outcome)

    def mask(self, role: str, field_name: str) -> Decided[MaskPattern]:
        return self._typed("mask", {"role": role, "field": field_name}, MaskPattern.from_outcome)

    def abuse(self) -> Decided[Limits]:
        return self._typed("abuse", {}, Limits.from_outcome)

    def moderation(self, comment: str) -> Decided[Moderation]:
        return self._typed("moderation", {"comment": comment}, Moderation.from_outcome)

    def deadline(self, step: str, start: dt.datetime) -> Decided[StepDue | None]:
        return self._typed("deadline", {"step": step, "from": start}, StepDue.from_outcome)

    def workflow_step(self, step: str) -> Decided[StepRule | None]:
        return self._typed("workflow_step", {"step": step}, StepRule.from_outcome)

    def loop(self) -> Loop:
        """The workflow's steps in order, each decided like workflow_step."""
        return build_loop(self.policy, self.workflow_step, self.version)

    def metrics(self) -> MetricBook:
        """The policy's metrics as sums over the statistics' counters, and its disclosure."""
        return build_metrics(self.policy, self.version)

    def rating(self, facts: RatingFacts) -> Decided[RatingVerdict]:
        return self._typed("rating", facts.as_facts(), RatingVerdict.from_outcome)

    def _typed(
        self, kind: str, facts: Mapping[str, Any], convert: Callable[[Mapping[str, Any]], T]
    ) -> Decided[T]:
        active = self._active
        key = _memo_key(kind, facts)
        if key is not None:
            known = active.typed.get(key)
            if known is not None:
                return known
        decision = self.evaluate(kind, facts)
        decided = Decided(convert(decision.outcome), decision.fired, decision.version)
        if key is not None and active.memo.get(key) is decision:
            active.typed[key] = decided  # memoised with the policy that decided it
        return decided

    def replace(self, source: Source) -> bool:
        """Make `source` the active policy; False when it is already active."""
        with self._swap_lock:
            old = self._active
            if old.source.digest == source.digest:
                return False
            self._active = _active(source)
        old.compiled.retire()
        return True

    def reload(self, path: Path) -> bool:
        """Validate then swap; a PolicyError leaves the running policy untouched."""
        return self.replace(load(path))

    def publish(self, text: str, name: str = "<published>") -> bool:
        return self.replace(parse(text, name))


def _active(source: Source) -> _Active:
    return _Active(source, CompiledPolicy(decisions.policy_rules(source.policy), _ENGINE_KINDS))


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
        clean = {**clean, **moderation.facts(active.source.policy, comment)}
    message = {
        k: v.isoformat() if isinstance(v, dt.datetime) else v
        for k, v in clean.items()
        if not isinstance(v, list | dict)
    }
    return active.compiled.run(kind, clean, message)


def _rating(active: _Active, facts: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The composed rating decision (rules.decisions.rating), its steps memoised."""
    fired: list[str] = []

    def step(kind: str, step_facts: Mapping[str, Any]) -> Mapping[str, Any]:
        decision = _decided(active, kind, step_facts, _memo_key(kind, step_facts))
        fired.extend(r for r in decision.fired if r not in fired)
        return decision.outcome

    outcome = rating.decide(step, facts)
    return fired, outcome
