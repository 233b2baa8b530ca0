"""Comments held for review before they are published (`moderation`): rules.yaml
`moderation`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.rule import CompiledRule, Facts, Outcome
from rules.spec import Policy


@dataclass(frozen=True)
class Moderation:
    hold: bool
    matched: tuple[str, ...]
    review_within: str | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> Moderation:
        return cls(
            bool(outcome.get("hold")),
            tuple(outcome.get("matched", ())),
            outcome.get("review_within"),
        )


def rules(policy: Policy) -> list[CompiledRule]:
    """durable's `$mt` (regex) crashes the process on some patterns (double free on `x.*`)
    and `$iany` segfaults on empty arrays, so no text is matched inside the engine: the
    listed words are looked up by facts() and the engine decides on the plain result."""
    moderation = policy.moderation
    if moderation is None:
        return []
    words = tuple(moderation.words)
    review = str(moderation.review_within) if moderation.review_within else None

    def hold(facts: Facts) -> Outcome:
        return {
            "hold": True,
            "matched": [w for w in words if w in str(facts["comment"])],
            "review_within": review,
        }

    return [CompiledRule(moderation.id, "moderation", {"mentions_listed_word": True}, hold)]


def facts(policy: Policy, comment: str) -> dict[str, Any]:
    """What the engine matches on for a comment."""
    words = policy.moderation.words if policy.moderation else []
    return {"comment": comment, "mentions_listed_word": any(w in comment for w in words)}
