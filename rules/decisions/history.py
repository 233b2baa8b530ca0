"""A rating over one the case already has (`history`): rules.yaml `rating.repeat`, the
default rating's `replaceable` and `rating.on_behalf`. "Latest rating wins" is decided here
and nowhere else: `supersedes` says whether the new rating takes the old one's place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.rule import CompiledRule, Outcome, eq
from rules.spec import RatingPolicy
from rules.vocabulary import WhenRatedAgain


@dataclass(frozen=True)
class History:
    """accepted: the rating may be given; supersedes: it takes the place of the one before
    (False: the one before stands and the new one is kept in the history); code: why not."""

    accepted: bool
    supersedes: bool
    code: str | None

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> History:
        if not outcome:  # nothing before it: accepted, nothing to take the place of
            return cls(accepted=True, supersedes=False, code=None)
        return cls(
            accepted=bool(outcome["accepted"]),
            supersedes=bool(outcome.get("supersedes")),
            code=outcome.get("code"),
        )


_REFUSED: Outcome = {"accepted": False, "code": "ALREADY_RATED"}
_REPLACES: Outcome = {"accepted": True, "supersedes": True}


def rules(rating: RatingPolicy) -> list[CompiledRule]:
    again = _REPLACES if rating.repeat.when_rated_again is WhenRatedAgain.LATEST_WINS else _REFUSED
    found = [
        CompiledRule(rating.repeat.id, "history", eq(prior="rating"), lambda _f: dict(again)),
        _over_own_rating(rating, again),
    ]
    default = rating.default_rating
    if default is not None:
        on_default = _REPLACES if default.replaceable else _REFUSED
        found.append(
            CompiledRule(default.id, "history", eq(prior="default"), lambda _f: dict(on_default))
        )
    return found


def _over_own_rating(rating: RatingPolicy, again: Outcome) -> CompiledRule:
    """A rating entered on the applicant's behalf over one they gave themselves
    (prior "own_rating"): refused where ratings are never replaced; otherwise it displaces
    the applicant's own only where `on_behalf` says so. Without that section the applicant's
    own rating stands (the product's default) and the entry is kept in the history."""
    on_behalf = rating.on_behalf
    if not again["accepted"]:
        outcome, rule_id = again, rating.repeat.id
    elif on_behalf is not None and on_behalf.displaces_own_rating:
        outcome, rule_id = _REPLACES, on_behalf.id
    else:
        outcome = {"accepted": True, "supersedes": False}
        rule_id = on_behalf.id if on_behalf is not None else rating.repeat.id
    return CompiledRule(rule_id, "history", eq(prior="own_rating"), lambda _f: dict(outcome))
