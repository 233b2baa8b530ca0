"""Who acts at a step of the bad-rating loop, with what, and what its passed deadline does
(`workflow_step`): rules.yaml `workflow` (and `deadlines` for how long the step may take)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rules.rule import CompiledRule, Facts, Outcome, eq
from rules.spec import Policy
from rules.vocabulary import AppealUpheld, WhenOverdue

if TYPE_CHECKING:
    from rules.engine import Decided

# Staff act within their department, admins within their region, the rater on their case.
_SCOPE = {
    "window_staff": "department",
    "dept_handler": "department",
    "area_admin": "region",
    "rater": "case",
}


@dataclass(frozen=True)
class StepRule:
    """actor: the role that acts; scope: department, region or (the rater) their case;
    within: the policy's words for the step's deadline (None: no deadline)."""

    step: str
    title: str
    actor: str
    scope: str
    evidence: bool
    not_by_rated_staff: bool
    optional: bool
    when_overdue: WhenOverdue
    within: str | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> StepRule | None:
        if not outcome:
            return None
        return cls(
            step=outcome["step"],
            title=outcome["title"],
            actor=outcome["actor"],
            scope=outcome["scope"],
            evidence=bool(outcome["evidence"]),
            not_by_rated_staff=bool(outcome["not_by_rated_staff"]),
            optional=bool(outcome["optional"]),
            when_overdue=WhenOverdue(outcome["when_overdue"]),
            within=outcome["within"],
        )


@dataclass(frozen=True)
class StaffFlagRule:
    """Flag staff with `confirmed` confirmed bad ratings within `days` natural days."""

    id: str
    confirmed: int
    days: int


@dataclass(frozen=True)
class Loop:
    """The bad-rating loop of the active policy: its steps in order (each as decided by
    `workflow_step`), what an upheld appeal makes of the rating, the spot-check share, and
    the policy version it came from. No steps: the policy has no loop."""

    steps: tuple[StepRule, ...]
    appeal_upheld: AppealUpheld | None
    spot_check_percent: int | None
    version: str
    staff_flag: StaffFlagRule | None = None

    def rule(self, step: str) -> StepRule | None:
        return next((rule for rule in self.steps if rule.step == step), None)


def build_loop(
    policy: Policy, decide: Callable[[str], Decided[StepRule | None]], version: str
) -> Loop:
    """The policy's loop, each step as `decide` (the engine's workflow_step) gives it."""
    workflow = policy.workflow
    if workflow is None:
        return Loop((), None, None, version)
    decided = [decide(step.step) for step in workflow.steps]
    steps = tuple(d.value for d in decided if d.value is not None)
    flag = workflow.staff_flag
    staff_flag = (
        StaffFlagRule(flag.id, flag.confirmed_bad_ratings, flag.within.amount) if flag else None
    )
    return Loop(
        steps,
        workflow.appeal_upheld,
        workflow.spot_check_percent,
        decided[0].version if decided else version,
        staff_flag,
    )


def rules(policy: Policy) -> list[CompiledRule]:
    if policy.workflow is None:
        return []
    within = {deadline.step: str(deadline.within) for deadline in policy.deadlines}
    found = []
    for step in policy.workflow.steps:
        decided: Outcome = {
            "step": step.step,
            "title": step.title,
            "actor": step.actor,
            "scope": _SCOPE[step.actor],
            "evidence": step.evidence,
            "not_by_rated_staff": step.not_by_rated_staff,
            "optional": step.optional,
            "when_overdue": step.when_overdue.value,
            "within": within.get(step.step),
        }

        def outcome(_facts: Facts, decided: Outcome = decided) -> Outcome:
            return dict(decided)

        found.append(CompiledRule(step.id, "workflow_step", eq(step=step.step), outcome))
    return found
