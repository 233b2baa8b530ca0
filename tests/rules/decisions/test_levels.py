from __future__ import annotations

from rules import Category, Engine
from tests.rules.decisions.conftest import Edited


def test_a_level_means_its_category_and_whether_it_needs_a_reason(engine: Engine) -> None:
    bad = engine.level(2, "APP")
    assert bad.value is not None
    assert bad.value.category is Category.BAD
    assert bad.value.reason_required is True
    assert "level-dissatisfied" in bad.fired
    good = engine.level(5, "APP").value
    assert good is not None and good.category is Category.GOOD and not good.reason_required


def test_a_level_the_policy_does_not_have_means_nothing(engine: Engine) -> None:
    assert engine.level(7, "APP").value is None
    assert engine.level(0, "APP").value is None


def test_the_form_lists_every_level_with_the_channels_tags(engine: Engine) -> None:
    levels = engine.form("APP").value.levels
    assert sorted(lv.level for lv in levels) == [1, 2, 3, 4, 5]
    bad = next(lv for lv in levels if lv.level == 1)
    assert bad.tags and bad.tag_codes == frozenset(t.code for t in bad.tags)


def test_recategorising_a_level_is_one_line(edited: Edited) -> None:
    engine = edited(
        (
            "把 category 改为 neutral\n    level: 3\n    label: 基本满意\n    category: good",
            "把 category 改为 neutral\n    level: 3\n    label: 基本满意\n    category: neutral",
        )
    )
    meaning = engine.level(3, "APP").value
    assert meaning is not None and meaning.category is Category.NEUTRAL
