from __future__ import annotations

from rules import Engine, apply_mask


def test_each_role_sees_each_field_as_the_policy_says(engine: Engine) -> None:
    assert engine.mask("window_staff", "phone").value.pattern == "hidden"
    handler = engine.mask("dept_handler", "phone")
    assert handler.value.pattern == {"keep_first": 3, "keep_last": 4}
    assert handler.fired == ("mask-for-dept-handler",)
    assert apply_mask(handler.value.pattern, "13800138000") == "138****8000"


def test_a_role_the_policy_does_not_name_gets_no_pattern(engine: Engine) -> None:
    assert engine.mask("citizen", "phone").value.pattern is None
