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


def rules(policy: Policy, calendar: WorkingCalendar) -> list[CompiledRule]:
    found = []
    for deadline in policy.deadlines:

        def due(facts: Facts, within: Any = deadline.within) -> Outcome:
            return {"due": calendar.add(facts["from"], within), "within": str(within)}

        found.append(CompiledRule(deadline.id, "deadline", eq(step=deadline.step), due))
    return found
