"""Where a work item goes next in the policy's loop (`engine.loop()`): pure functions over
the steps in the policy's order.

The steps are the policy's; what each step *is* is the vocabulary's: a review or a check
(appeal_review, follow_up_review, spot_check) is entered only by what happened before it
(an appeal filed, a follow-up that was bad or never came, a closed item drawn for a spot
check), never simply because it comes next in the list."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from models.enums import WorkItemCloseReason
from rules import Loop

APPEAL, APPEAL_REVIEW = "appeal", "appeal_review"
CALLBACK = "callback"
RECTIFICATION, RECTIFICATION_REVIEW = "rectification", "rectification_review"
FOLLOW_UP_RATING, FOLLOW_UP_REVIEW = "follow_up_rating", "follow_up_review"
SPOT_CHECK = "spot_check"
_ENTERED_BY_OUTCOME = frozenset({APPEAL_REVIEW, FOLLOW_UP_REVIEW, SPOT_CHECK})


@dataclass(frozen=True)
class Move:
    """Where an item goes: the next step, or closed with `reason` (step None)."""

    step: str | None
    reason: WorkItemCloseReason | None = None


def first(loop: Loop) -> str | None:
    """The step a new item opens at (None: the policy has no loop)."""
    return next((r.step for r in loop.steps if r.step not in _ENTERED_BY_OUTCOME), None)


def after(loop: Loop, step: str, item_id: int) -> Move:
    """The step that follows `step` once it is done, passing over the steps entered only by
    an outcome; past the last, a spot check when the item is drawn for one, else closed."""
    steps = [r.step for r in loop.steps]
    for following in steps[steps.index(step) + 1 :] if step in steps else []:
        if following not in _ENTERED_BY_OUTCOME:
            return Move(following)
    if step != SPOT_CHECK and drawn_for_spot_check(loop, item_id):
        return Move(SPOT_CHECK)
    return Move(None, WorkItemCloseReason.RESOLVED)


def into(loop: Loop, step: str, otherwise: Move) -> Move:
    """`step` when the policy's loop has it, else `otherwise`."""
    return Move(step) if loop.rule(step) is not None else otherwise


def drawn_for_spot_check(loop: Loop, item_id: int) -> bool:
    """Whether the admin checks this closed item: the policy's share of items, drawn by the
    item's id so that the same item is always drawn the same way."""
    percent = loop.spot_check_percent
    if percent is None or loop.rule(SPOT_CHECK) is None:
        return False
    digest = hashlib.sha256(f"work-item-{item_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent
