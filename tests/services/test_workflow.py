"""Where a work item goes next, from each policy's loop alone (services.workflow)."""

from __future__ import annotations

from models.enums import WorkItemCloseReason
from rules import Engine
from services import workflow
from services.workflow import Move
from tests.conftest import ROOT
from tests.profiles import PROFILES_DIR


def engine_of(name: str) -> Engine:
    path = ROOT / "rules.yaml" if name == "rules" else PROFILES_DIR / f"{name}.yaml"
    return Engine.from_path(path)


def test_reviews_are_entered_only_by_an_outcome_never_as_the_next_step() -> None:
    loop = engine_of("rules").loop()
    assert workflow.first(loop) == "callback"
    assert workflow.after(loop, "callback", 1) == Move("appeal")
    assert workflow.after(loop, "appeal", 1) == Move("rectification")  # not appeal_review
    assert workflow.after(loop, "rectification", 1) == Move("rectification_review")
    assert workflow.after(loop, "rectification_review", 1) == Move(
        None, WorkItemCloseReason.RESOLVED
    )


def test_fenghua_follows_the_fix_with_the_raters_rating_and_no_review_unless_asked() -> None:
    loop = engine_of("fenghua").loop()
    assert workflow.after(loop, "rectification", 1) == Move("follow_up_rating")
    assert workflow.after(loop, "follow_up_rating", 1) == Move(None, WorkItemCloseReason.RESOLVED)
    missing = Move(None, WorkItemCloseReason.NO_FOLLOW_UP)
    assert workflow.into(loop, "follow_up_review", missing) == Move("follow_up_review")
    assert workflow.into(engine_of("min_an").loop(), "follow_up_review", missing) == missing


def test_inner_mongolia_draws_about_half_of_the_closed_items_for_a_spot_check() -> None:
    loop = engine_of("inner_mongolia").loop()
    drawn = [workflow.after(loop, "rectification", i) == Move("spot_check") for i in range(2000)]
    assert 0.45 < sum(drawn) / len(drawn) < 0.55  # the policy's 50 %, drawn by item id
    again = [workflow.after(loop, "rectification", i) == Move("spot_check") for i in range(2000)]
    assert drawn == again  # the same item is always drawn the same way
    assert workflow.after(loop, "spot_check", 7) == Move(None, WorkItemCloseReason.RESOLVED)
    # A policy without spot checks draws nothing.
    rules = engine_of("rules").loop()
    assert not any(workflow.drawn_for_spot_check(rules, i) for i in range(200))
