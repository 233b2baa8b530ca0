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
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from rules.active import (
    KIND_SET,
    KINDS,
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
from rules.loader import Source, load, parse
from rules.quiet import QuietHours
from rules.spec import Policy
from rules.vocabulary import Prior

__all__ = ["KINDS", "Decided", "Decision", "Engine"]

T = TypeVar("T")


class Engine:
    def __init__(self, source: Source) -> None:
        self._active = compile_source(source)
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
        if kind not in KIND_SET:
            raise ValueError(f"unknown decision kind {kind!r}")
        active = self._active
        key = memo_key(kind, facts)
        if key is not None and key in active.memo:
            return active.memo[key]
        while not active.compiled.enter():  # retired and freed between read and enter
            active = self._active
        try:
            if kind == "rating":
                fired, outcome = composed_rating(active, facts)
                return Decision(kind, MappingProxyType(outcome), tuple(fired), active.version)
            return decided(active, kind, facts, key)
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

    def replace(self, source: Source) -> bool:
        """Make `source` the active policy; False when it is already active."""
        with self._swap_lock:
            old = self._active
            if old.source.digest == source.digest:
                return False
            self._active = compile_source(source)
        old.compiled.retire()
        return True

    def reload(self, path: Path) -> bool:
        """Validate then swap; a PolicyError leaves the running policy untouched."""
        return self.replace(load(path))

    def publish(self, text: str, name: str = "<published>") -> bool:
        return self.replace(parse(text, name))

    def retire(self) -> None:
        """Free a throw-away engine's compiled rules (the gate's, a draft's): call once it
        is no longer used; evaluations still running finish first."""
        self._active.compiled.retire()
