from __future__ import annotations

import datetime as dt

from rules import Category, Engine, Prior, RatingFacts

CST = dt.timezone(dt.timedelta(hours=8))
COMPLETED = dt.datetime(2026, 11, 16, 10, 0, tzinfo=CST)


def _facts(**changes: object) -> RatingFacts:
    base: dict[str, object] = {
        "level": 5,
        "channel": "APP",
        "tags": (),
        "comment": "",
        "completed_at": COMPLETED,
        "rated_at": COMPLETED + dt.timedelta(hours=1),
        "prior": Prior.NONE,
    }
    return RatingFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_a_good_rating_is_accepted_with_its_meaning(engine: Engine) -> None:
    verdict = engine.rating(_facts()).value
    assert verdict.accepted and verdict.code is None and not verdict.supersedes
    assert verdict.meaning is not None and verdict.meaning.category is Category.GOOD


def test_the_problems_come_in_the_order_a_citizen_meets_them(engine: Engine) -> None:
    assert engine.rating(_facts(level=9)).value.code == "INVALID_LEVEL"
    assert engine.rating(_facts(level=1, tags=("no-such-tag",))).value.code == "INVALID_TAG"
    assert engine.rating(_facts(level=1)).value.code == "REASON_REQUIRED"
    late = engine.rating(_facts(rated_at=COMPLETED + dt.timedelta(days=30))).value
    assert late.code == "RATING_WINDOW_CLOSED" and late.deadline is not None
    assert engine.rating(_facts(prior=Prior.DEFAULT)).value.code == "ALREADY_RATED"


def test_a_second_rating_supersedes_and_a_listed_word_holds_it(engine: Engine) -> None:
    decided = engine.rating(_facts(prior=Prior.RATING, comment="加微信"))
    assert decided.value.supersedes and decided.value.held_for_review
    assert {"latest-rating-wins", "hold-comments-with-sensitive-words"} <= set(decided.fired)
