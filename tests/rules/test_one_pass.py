"""A policy's problems come in one pass: duplicate keys, the schema's errors and the cross
checks of the sections that validated, together and sorted by line, so the policy staff
fix them all at once instead of round after round."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import PolicyError, Problem, parse

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
LEVEL_6 = ("    level: 5\n", "    level: 6\n")  # a schema error in `levels`
RATER = (  # a cross-check error in `workflow`
    "      step: callback\n      actor: dept_handler\n",
    "      step: callback\n      actor: rater\n",
)
NO_PAPER = (  # a cross-check error in `channel_classes`
    "offline: [PAD, QR, KIOSK, SMS, HOTLINE, PAPER]",
    "offline: [PAD, QR, KIOSK, SMS, HOTLINE]",
)


def broken(*edits: tuple[str, str]) -> str:
    text = TEXT
    for find, replace in edits:
        assert text.count(find) == 1, find
        text = text.replace(find, replace)
    return text


def problems(text: str) -> list[Problem]:
    with pytest.raises(PolicyError) as refused:
        parse(text, "policy.yaml")
    return refused.value.problems


def line_of(text: str, marker: str) -> int:
    return text[: text.index(marker)].count("\n") + 1


def test_a_schema_error_and_a_cross_check_error_come_together() -> None:
    text = broken(LEVEL_6, RATER)
    found = problems(text)
    assert [(p.line, p.message.split("：")[0]) for p in found] == [
        (line_of(text, "level: 6"), "levels[1].level"),
        (line_of(text, "actor: rater"), "workflow.steps[1].actor"),
    ]
    assert "评价人（rater）只在追评环节" in found[1].message
    assert found[1].text("en") == (
        "workflow.steps[1].actor: the rater acts at follow_up_rating, and only there"
    )


def test_duplicate_keys_schema_errors_and_cross_checks_are_sorted_by_line() -> None:
    duplicate = ("\nscope:\n", "\nscope:\n  batch: {id: x, title: x, description: x}\n")
    text = broken(RATER, NO_PAPER, LEVEL_6, duplicate)
    found = problems(text)
    lines = [p.line for p in found]
    assert lines == sorted(lines)
    messages = " | ".join(p.message for p in found)
    for words in ("levels[1].level：", "没有归类的：PAPER", "键“batch”在这一层写了两次"):
        assert words in messages
    assert "评价人（rater）" in messages


def test_a_check_that_reads_a_broken_section_waits_for_it() -> None:
    """With `levels` broken, "every level 5..1 is defined" cannot be known: it is not
    claimed, while the checks of the other sections still run."""
    found = problems(broken(LEVEL_6, NO_PAPER))
    messages = [p.message for p in found]
    assert not any("五个评价等级都要定义" in message for message in messages), messages
    assert any("没有归类的：PAPER" in message for message in messages)
    assert len(found) == 2


def test_every_cross_check_runs_when_every_section_validated() -> None:
    text = broken(NO_PAPER, ("{code: good-attitude,", "{code: one-form,"))
    found = problems(text)
    assert [p.line for p in found] == [
        line_of(text, "{code: one-form, label: 服务态度较好}"),
        line_of(text, "\nchannel_classes:") + 2,  # at its value: the line below the key
    ]
