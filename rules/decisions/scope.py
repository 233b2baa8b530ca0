"""Which cases one rating lands on (`scope`): rules.yaml `scope.batch` and
`scope.integrated_service` (a one-thing bundle, 一件事)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.rule import CompiledRule, Outcome, eq
from rules.spec import Scope
from rules.vocabulary import AppliesTo, WhenBoth


@dataclass(frozen=True)
class Reach:
    """applies_to: the cases the rating lands on; when_both: for a bundle rated as a whole
    and member by member, which rating counts (None outside a bundle); code: why the
    target cannot be rated this way."""

    applies_to: AppliesTo
    when_both: WhenBoth | None
    code: str | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> Reach:
        when_both = outcome.get("when_both")
        return cls(
            applies_to=AppliesTo(outcome.get("applies_to", AppliesTo.CASE.value)),
            when_both=None if when_both is None else WhenBoth(when_both),
            code=outcome.get("code"),
        )


def rules(scope: Scope) -> list[CompiledRule]:
    batch, service = scope.batch, scope.integrated_service
    whole: Outcome = {"applies_to": AppliesTo.BATCH.value}
    found = [CompiledRule(batch.id, "scope", eq(target="batch"), lambda _f: dict(whole))]
    if batch.one_rating_for_whole_batch:
        found.append(
            CompiledRule(
                batch.id, "scope", eq(target="case", in_batch=True), lambda _f: dict(whole)
            )
        )
    overall: Outcome = (
        {"applies_to": AppliesTo.MEMBERS.value, "when_both": service.when_both.value}
        if service.overall_applies_to_members
        else {"applies_to": AppliesTo.NONE.value, "code": "RATE_EACH_MEMBER"}
    )
    member: Outcome = (
        {"applies_to": AppliesTo.CASE.value, "when_both": service.when_both.value}
        if service.members_rated_individually
        else {"applies_to": AppliesTo.MEMBERS.value}
    )
    found.append(
        CompiledRule(service.id, "scope", eq(target="integrated_service"), lambda _f: dict(overall))
    )
    found.append(
        CompiledRule(
            service.id,
            "scope",
            eq(target="case", in_integrated_service=True),
            lambda _f: dict(member),
        )
    )
    return found
