from __future__ import annotations

from rules import AppliesTo, Engine, WhenBoth
from tests.rules.decisions.conftest import Edited


def test_a_batch_is_rated_once_for_all_its_cases(engine: Engine) -> None:
    assert engine.scope("batch", in_batch=True, in_integrated_service=False).value.applies_to is (
        AppliesTo.BATCH
    )
    member = engine.scope("case", in_batch=True, in_integrated_service=False)
    assert member.value.applies_to is AppliesTo.BATCH and member.fired == ("batch-one-rating",)


def test_a_case_on_its_own_is_rated_alone(engine: Engine) -> None:
    alone = engine.scope("case", in_batch=False, in_integrated_service=False)
    assert alone.value.applies_to is AppliesTo.CASE and alone.value.when_both is None
    assert alone.fired == ()


def test_a_one_thing_bundle_rated_whole_and_by_member_member_wins(engine: Engine) -> None:
    whole = engine.scope("integrated_service", in_batch=False, in_integrated_service=True).value
    assert whole.applies_to is AppliesTo.MEMBERS and whole.when_both is WhenBoth.MEMBER_WINS
    member = engine.scope("case", in_batch=False, in_integrated_service=True).value
    assert member.applies_to is AppliesTo.CASE and member.when_both is WhenBoth.MEMBER_WINS


def test_a_bundle_that_must_be_rated_member_by_member_refuses_the_whole(edited: Edited) -> None:
    engine = edited(("overall_applies_to_members: true", "overall_applies_to_members: false"))
    whole = engine.scope("integrated_service", in_batch=False, in_integrated_service=True).value
    assert whole.applies_to is AppliesTo.NONE and whole.code == "RATE_EACH_MEMBER"
