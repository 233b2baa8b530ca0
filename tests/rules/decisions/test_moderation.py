from __future__ import annotations

from rules import Engine


def test_a_comment_with_a_listed_word_is_held_for_review(engine: Engine) -> None:
    held = engine.moderation("窗口说可以加微信办理")
    assert held.value.hold and held.value.matched == ("加微信",)
    assert held.value.review_within == "5 working days"
    assert held.fired == ("hold-comments-with-sensitive-words",)


def test_a_plain_comment_is_not_held(engine: Engine) -> None:
    plain = engine.moderation("办理很快，谢谢")
    assert not plain.value.hold and plain.fired == ()
