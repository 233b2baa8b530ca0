"""When a follow-up step of a bad rating is due (`deadline`): rules.yaml `deadlines`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.calendar import WorkingCalendar
from rules.rule import CompiledRule, Facts, Outcome, eq
from rules.spec import Policy


@dataclass(frozen=True)
class StepDue:
    """due: the moment the step must be done; within: the policy's words, e.g. 2 working days."""

    due: dt.datetime
    within: str

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> StepDue | None:
        return cls(outcome["due"], str(outcome["within"])) if outcome else None


# The step of the moderation queue: its time comes from `moderation.review_within` when
# `deadlines` does not name it (one number in the policy, not two).
MODERATION_REVIEW = "moderation_review"


def rules(policy: Policy, calendar: WorkingCalendar) -> list[CompiledRule]:
    steps: list[tuple[str, str, Any]] = [(d.id, d.step, d.within) for d in policy.deadlines]
    moderation = policy.moderation
    named = {step for _id, step, _within in steps}
    if moderation and moderation.review_within and MODERATION_REVIEW not in named:
        steps.append((moderation.id, MODERATION_REVIEW, moderation.review_within))
    found = []
    for rule_id, step, within in steps:

        def due(facts: Facts, within: Any = within) -> Outcome:
            return {"due": calendar.add(facts["from"], within), "within": str(within)}

        found.append(CompiledRule(rule_id, "deadline", eq(step=step), due))
    return found
