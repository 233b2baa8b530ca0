from __future__ import annotations

from rules import CountingWindow, Engine
from tests.rules.decisions.conftest import Edited


def test_the_limits_are_counting_windows_in_seconds(engine: Engine) -> None:
    limits = engine.abuse()
    assert limits.value.windows["per_rater"] == CountingWindow(20, 3600)
    assert limits.value.hold_device_burst == CountingWindow(10, 600)
    assert set(limits.value.windows) == {
        "per_rater",
        "per_device",
        "per_window",
        "per_operator",
        "not_found",
        "device_ids",
    }
    assert limits.fired == ("limit-rating-bursts",)


def test_a_limit_left_out_is_not_kept(edited: Edited) -> None:
    engine = edited(("  per_rater: {max: 20, within: 1 hour}\n", ""))
    assert "per_rater" not in engine.abuse().value.windows
