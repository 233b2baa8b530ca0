"""Is this rating acceptable, and what does it mean (`rating`)? Composed from the single
decisions (level, rating_window, history, moderation) in the order a citizen would meet
the problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rules.decisions.levels import LevelView
from rules.rule import Facts, Outcome
from rules.vocabulary import Prior

Step = Callable[[str, Facts], Mapping[str, Any]]


@dataclass(frozen=True)
class RatingFacts:
    """A rating as the policy judges it: the level and reasons given, on which channel,
    when, for a case completed when, over what the case already has."""

    level: int
    channel: str
    tags: tuple[str, ...]
    comment: str
    completed_at: dt.datetime | None
    rated_at: dt.datetime
    prior: Prior

    def as_facts(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "channel": self.channel,
            "tags": list(self.tags),
            "comment": self.comment,
            "completed_at": self.completed_at,
            "rated_at": self.rated_at,
            "prior": self.prior.value,
        }


@dataclass(frozen=True)
class RatingVerdict:
    """accepted, or refused with `code`; `meaning` is the level as the channel shows it
    (None for a level the policy does not have); `supersedes`: the rating takes the place
    of the one the case had; `held_for_review`: its comment waits for moderation."""

    accepted: bool
    code: str | None
    meaning: LevelView | None
    supersedes: bool
    held_for_review: bool
    deadline: dt.datetime | None  # RATING_WINDOW_CLOSED: the deadline that passed

    @classmethod
    def from_outcome(cls, outcome: Mapping[str, Any]) -> RatingVerdict:
        return cls(
            accepted=bool(outcome["accepted"]),
            code=outcome.get("code"),
            meaning=LevelView.from_outcome(outcome) if "level" in outcome else None,
            supersedes=bool(outcome.get("supersedes")),
            held_for_review=bool(outcome.get("held_for_review")),
            deadline=outcome.get("deadline"),
        )


def decide(step: Step, facts: Facts) -> Outcome:
    """The outcome as a mapping (the scenario files' shape); `step(kind, facts)` asks one
    single decision."""
    level = step("level", {"level": facts.get("level"), "channel": facts.get("channel")})
    if not level:
        return {"accepted": False, "code": "INVALID_LEVEL"}
    tags = list(facts.get("tags") or [])
    if any(tag not in level["tag_codes"] for tag in tags):
        return {"accepted": False, "code": "INVALID_TAG", **level}
    has_reason = bool(tags) or bool(str(facts.get("comment") or "").strip())
    if level["reason_required"] and not has_reason:
        return {"accepted": False, "code": "REASON_REQUIRED", **level}
    if facts.get("completed_at") is not None:
        window = step("rating_window", {k: facts.get(k) for k in ("completed_at", "rated_at")})
        if window and not window["open"]:
            return {
                "accepted": False,
                "code": "RATING_WINDOW_CLOSED",
                **level,
                "deadline": window["deadline"],
            }
    history = step("history", {"prior": facts.get("prior", "none")})
    if history and not history["accepted"]:
        return {"accepted": False, "code": history["code"], **level}
    outcome = {
        "accepted": True,
        "code": None,
        **level,
        "supersedes": bool(history.get("supersedes")),
    }
    if facts.get("comment"):
        moderation = step("moderation", {"comment": str(facts["comment"])})
        outcome["held_for_review"] = bool(moderation.get("hold"))
    return outcome
