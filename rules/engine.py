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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from rules.active import (
    KIND_SET,
    KINDS,
    Active,
    Decided,
    Decision,
    compile_source,
    composed_rating,
    decided,
    memo_key,
)
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
from rules.eras import build_eras, needed
from rules.loader import Source, load, parse
from rules.quiet import QuietHours
from rules.spec import Policy
from rules.vocabulary import Prior

__all__ = ["KINDS", "Decided", "Decision", "Engine", "EraCutoffs"]

T = TypeVar("T")


# Decisions about a completed case's deadlines: judged by the version in force when the
# case was completed (rules.eras). The composed `rating` asks `rating_window` so.
_BY_COMPLETION = frozenset({"rating_window", "case_deadlines", "rating"})
# Activations kept to judge older cases by (rules.eras.needed trims what is not needed).
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class EraCutoffs:
    """What is due as of a moment among the cases completed from `start` (None: since
    always) until `end` (None: on), under the version in force for them."""

    start: dt.datetime | None
    end: dt.datetime | None
    cutoffs: Decided[Cutoffs]
    policy: Policy  # the policy judging these cases (the active one, or as rules.eras says)


@dataclass(frozen=True)
class _State:
    eras: tuple[tuple[dt.datetime | None, Active], ...]  # newest first; [0] is the active
    history: tuple[Source, ...]  # oldest activation first, the active version last


class Engine:
    def __init__(self, source: Source, history: Sequence[Source] = ()) -> None:
        """`history`: the versions active before `source`, oldest first (rules.eras)."""
        self._state = _compiled_state([*history, source])
        self._swap_lock = threading.Lock()

    @property
    def _active(self) -> Active:
        return self._state.eras[0][1]

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
        if kind not in KIND_SET:
            raise ValueError(f"unknown decision kind {kind!r}")
        state = self._state
        active = state.eras[0][1]
        key = memo_key(kind, facts)
        if key is not None and key in active.memo:
            return active.memo[key]
        era = _era_of(state, facts) if kind in _BY_COMPLETION else active
        if not active.compiled.enter():  # retired and freed between read and enter
            return self.evaluate(kind, facts)
        try:
            if era is not active and not era.compiled.enter():
                return self.evaluate(kind, facts)
            try:
                if kind == "rating":
                    fired, outcome = composed_rating(active, facts, window=era)
                    return Decision(kind, MappingProxyType(outcome), tuple(fired), active.version)
                return decided(era, kind, facts, key)
            finally:
                if era is not active:
                    era.compiled.leave()
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
        """What is due as of `now` under the active version (its cases; see era_cutoffs)."""
        return self._typed("cutoffs", {"now": now}, Cutoffs.from_outcome)

    def era_cutoffs(self, now: dt.datetime) -> list[EraCutoffs]:
        """What is due as of `now`, era by era (newest first): a case is due by the
        deadlines of the version in force when it was completed (rules.eras)."""
        eras = self._state.eras
        found: list[EraCutoffs] = []
        for index, (start, active) in enumerate(eras):
            end = eras[index - 1][0] if index else None
            if not active.compiled.enter():
                return self.era_cutoffs(now)
            try:
                decision = decided(active, "cutoffs", {"now": now}, None)
            finally:
                active.compiled.leave()
            value = Cutoffs.from_outcome(decision.outcome)
            decided_value = Decided(value, decision.fired, decision.version)
            found.append(EraCutoffs(start, end, decided_value, active.source.policy))
        return found

    @property
    def timeline(self) -> tuple[Source, ...]:
        """The versions the eras are built from, oldest first, the active one last."""
        return self._state.history

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
        key = memo_key(kind, facts)
        if key is not None:
            known = active.typed.get(key)
            if known is not None:
                return known
        decision = self.evaluate(kind, facts)
        decided = Decided(convert(decision.outcome), decision.fired, decision.version)
        if key is not None and active.memo.get(key) is decision:
            active.typed[key] = decided  # memoised with the policy that decided it
        return decided

    def replace(self, source: Source, history: Sequence[Source] | None = None) -> bool:
        """Make `source` the active policy; False when it is already active (and no
        `history` is given). The version it replaces joins the history its cases are
        judged by, unless `history` (oldest first, without `source`) says what it is: read
        from the stored activations, or () to judge every case by `source`."""
        with self._swap_lock:
            old = self._state
            if history is None:
                if old.eras[0][1].source.digest == source.digest:
                    return False
                history = old.history
            self._state = _compiled_state([*history, source])
        for _start, active in old.eras:
            active.compiled.retire()
        return True

    def reload(self, path: Path) -> bool:
        """Validate then swap; a PolicyError leaves the running policy untouched."""
        return self.replace(load(path))

    def publish(self, text: str, name: str = "<published>") -> bool:
        return self.replace(parse(text, name))

    def retire(self) -> None:
        """Free a throw-away engine's compiled rules (the gate's, a draft's): call once it
        is no longer used; evaluations still running finish first."""
        for _start, active in self._state.eras:
            active.compiled.retire()


def _compiled_state(history: Sequence[Source]) -> _State:
    kept = needed(history[-HISTORY_LIMIT:])
    eras = build_eras(kept)
    compiled = [compile_source(kept[-1])]
    compiled += [compile_source(replace(era.source, policy=era.policy)) for era in eras[1:]]
    return _State(tuple((era.start, c) for era, c in zip(eras, compiled, strict=True)), tuple(kept))


def _era_of(state: _State, facts: Mapping[str, Any]) -> Active:
    """The compiled era judging a case completed at facts["completed_at"]."""
    if len(state.eras) == 1:
        return state.eras[0][1]
    completed = facts.get("completed_at")
    if isinstance(completed, str):
        completed = dt.datetime.fromisoformat(completed)
    if not isinstance(completed, dt.datetime) or completed.tzinfo is None:
        return state.eras[0][1]  # the decision itself refuses such facts
    for start, active in state.eras:
        if start is None or completed >= start:
            return active
    return state.eras[-1][1]
