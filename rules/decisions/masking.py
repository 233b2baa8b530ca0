"""How a role sees a field of personal data (`mask`): rules.yaml `masking`. The pattern
is applied by rules.masking.apply_mask."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.rule import CompiledRule, Facts, Outcome, eq
from rules.spec import Keep, Policy

MASKED_FIELDS = ("name", "id_number", "phone")


@dataclass(frozen=True)
class MaskPattern:
    """pattern: "full", "hidden", {"keep_first": n, "keep_last": m}, or None where the
    policy says nothing for the role (the field is then hidden)."""

    pattern: str | Mapping[str, int] | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> MaskPattern:
        return cls(outcome.get("pattern"))


def rules(policy: Policy) -> list[CompiledRule]:
    found = []
    for masking in policy.masking:
        for field_name in MASKED_FIELDS:
            pattern = getattr(masking, field_name)
            plain: Any = pattern.model_dump() if isinstance(pattern, Keep) else pattern

            def mask(_facts: Facts, plain: Any = plain) -> Outcome:
                return {"pattern": plain}

            found.append(
                CompiledRule(masking.id, "mask", eq(role=masking.role, field=field_name), mask)
            )
    return found
