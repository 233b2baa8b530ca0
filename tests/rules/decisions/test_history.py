from __future__ import annotations

from rules import Engine, Prior
from tests.rules.decisions.conftest import Edited


def test_nothing_before_a_rating_is_accepted_and_replaces_nothing(engine: Engine) -> None:
    first = engine.history(Prior.NONE).value
    assert first.accepted and not first.supersedes and first.code is None


def test_the_latest_rating_wins(engine: Engine) -> None:
    again = engine.history(Prior.RATING)
    assert again.value.accepted and again.value.supersedes
    assert again.fired == ("latest-rating-wins",)


def test_a_default_that_is_not_replaceable_refuses_a_rating(engine: Engine) -> None:
    over_default = engine.history(Prior.DEFAULT).value
    assert not over_default.accepted and over_default.code == "ALREADY_RATED"


def test_an_entry_on_behalf_leaves_the_applicants_own_rating_standing(engine: Engine) -> None:
    over_own = engine.history(Prior.OWN_RATING)
    assert over_own.value.accepted and not over_own.value.supersedes
    assert over_own.fired == ("own-rating-stands",)


def test_refusing_repeat_ratings_refuses_over_the_applicants_own_too(edited: Edited) -> None:
    engine = edited(("when_rated_again: latest_wins", "when_rated_again: refuse"))
    for prior in (Prior.RATING, Prior.OWN_RATING):
        decided = engine.history(prior).value
        assert not decided.accepted and decided.code == "ALREADY_RATED"


def test_displacing_the_own_rating_is_one_line(edited: Edited) -> None:
    engine = edited(("    displaces_own_rating: false\n", "    displaces_own_rating: true\n"))
    assert engine.history(Prior.OWN_RATING).value.supersedes
