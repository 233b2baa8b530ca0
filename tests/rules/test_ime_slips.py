"""Slips of a Chinese input method in rules.yaml are reported as what they are, on their own
line and column, all of them at once: not as PyYAML's "could not find expected ':'" on the
line after, and not as a schema error about a value YAML made of the slip."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rules import PolicyError, Problem, parse
from rules.cli import check

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
LABEL = "    description: 好评\n    level: 4\n    label: 满意\n"  # level-satisfied


def slipped(find: str, replace: str) -> str:
    assert TEXT.count(find) == 1, find
    return TEXT.replace(find, replace)


def problems(text: str) -> list[Problem]:
    with pytest.raises(PolicyError) as refused:
        parse(text, "rules.yaml")
    return refused.value.problems


def line_of(text: str, marker: str) -> int:
    return text[: text.index(marker)].count("\n") + 1


def only(text: str) -> Problem:
    (found,) = problems(text)
    return found


def test_a_full_width_colon_after_a_key() -> None:
    text = slipped(LABEL, LABEL.replace("level: 4", "level：4"))
    found = only(text)
    line = line_of(text, "level：4")
    assert (found.line, found.column) == (line, 10)
    assert found.message == (
        f"第{line}行：“level”后面的冒号是全角的“：”，请改为半角的“:”并在后面加一个空格"
        "（写成“level: ”）"
    )
    assert found.text("en") == (
        f"line {line}: the colon after 'level' is the full-width '：'; type the half-width "
        "':' followed by a space ('level: ')"
    )


def test_no_space_after_the_colon_of_a_key() -> None:
    text = slipped(LABEL, LABEL.replace("level: 4", "level:4"))
    found = only(text)
    line = line_of(text, "level:4")
    assert (found.line, found.column) == (line, 10)
    assert found.message == f"第{line}行：“level:”的冒号后面少了一个空格，请写成“level: 4”"


def test_a_tab_in_the_indentation() -> None:
    text = slipped(LABEL, LABEL.replace("    label", "\tlabel"))
    found = only(text)
    line = line_of(text, "\tlabel")
    assert (found.line, found.column) == (line, 1)
    assert found.message == (
        f"第{line}行：行首的缩进用了 Tab 键（制表符），请全部改为半角空格（每深一层多 2 个空格）"
    )


def test_tabs_and_spaces_mixed_on_one_line() -> None:
    text = slipped(LABEL, LABEL.replace("    label", "  \t  label"))
    found = only(text)
    line = line_of(text, "\t  label")
    assert (found.line, found.column) == (line, 3)
    assert found.message == (
        f"第{line}行：行首的缩进混用了 Tab 键（制表符）和空格，请全部改为半角空格"
        "（每深一层多 2 个空格）"
    )


def test_a_full_width_space_in_the_indentation() -> None:
    text = slipped(LABEL, LABEL.replace("    label", "  \u3000label"))
    found = only(text)
    assert found.line == line_of(text, "\u3000label") and found.column == 3
    assert "行首的缩进用了全角空格，请全部改为半角空格" in found.message


def test_a_key_indented_deeper_than_its_siblings() -> None:
    text = slipped(LABEL, LABEL.replace("    label", "     label"))
    found = only(text)
    line = line_of(text, "     label")
    assert (found.line, found.column) == (line, 6)
    assert found.message == (
        f"第{line}行：这个键缩进了 5 个空格，比上一行的键（4 个空格）多，可上一行的键已经写了值。"
        "同一层的键要对齐：请改为 4 个空格；"
        "如果这一行本该写在上一行的键下面，就删掉上一行冒号后面的值"
    )


def test_a_key_indented_between_two_levels() -> None:
    """3 spaces where the keys of `rating` use 2: no level of the file is at 3."""
    text = slipped("\n  late_rating:\n", "\n   late_rating:\n")
    found = only(text)
    line = line_of(text, "   late_rating:")
    assert (found.line, found.column) == (line, 4)
    assert found.message == (
        f"第{line}行：这一行缩进了 3 个空格，和上面任何一层（0、2 个空格）都对不上；"
        "同一层的键要对齐，每深一层多缩进 2 个空格"
    )


def test_a_full_width_comma_in_a_flow_list() -> None:
    """Valid YAML, silently wrong: `[PAD, QR，KIOSK]` has a channel named "QR，KIOSK". The
    slip is reported in place of what the schema makes of that line."""
    text = slipped("offline: [PAD, QR, KIOSK,", "offline: [PAD, QR，KIOSK,")
    found = only(text)
    line = line_of(text, "QR，KIOSK")
    assert (found.line, found.column) == (line, 20)
    assert found.message == f"第{line}行：列表里的逗号是全角的“，”，请改为半角的“,”，后面加一个空格"


def test_full_width_brackets_around_a_flow_list() -> None:
    text = slipped("    via: [SMS]\n", "    via: 【SMS】\n")
    found = only(text)
    line = line_of(text, "【SMS】")
    assert (found.line, found.column) == (line, 10)
    assert found.message == f"第{line}行：列表里的方括号是全角的“【】”，请改为半角的“[]”"


def test_chinese_quotes_in_a_flow_list() -> None:
    text = slipped("    via: [SMS]\n", "    via: [“SMS”]\n")
    found = only(text)
    line = line_of(text, "[“SMS”]")
    assert (found.line, found.column) == (line, 11)
    assert found.message == f'第{line}行：列表里用了中文引号 “ ” ，请改为英文双引号 "，或者去掉引号'


def test_every_slip_of_the_file_comes_at_once() -> None:
    text = slipped(LABEL, LABEL.replace("level: 4", "level：4").replace("    label", "\tlabel"))
    text = text.replace("\n  late_rating:\n", "\n  late_rating：\n")
    text = text.replace("    via: [SMS]\n", "    via:[SMS]\n")
    found = problems(text)
    assert [(p.line, p.column) for p in found] == [
        (line_of(text, "level：4"), 10),
        (line_of(text, "\tlabel"), 1),
        (line_of(text, "late_rating："), 14),
        (line_of(text, "via:[SMS]"), 8),
    ]
    heads = ("“level”后面的冒号", "行首的缩进用了 Tab", "“late_rating”后面", "“via:”的冒号后面")
    for problem, head in zip(found, heads, strict=True):
        assert problem.message.split("：", 1)[1].startswith(head), problem.message


def test_a_syntax_error_before_the_first_slip_is_reported_too() -> None:
    text = slipped(
        "{code: one-form, label: 填写一张表单就可完成申报}\n",
        "{code: one-form, label: 填写一张表单就可完成申报\n",
    )
    text = text.replace("    via: [SMS]\n", "    via：[SMS]\n")
    found = problems(text)
    assert found[0].message.startswith("YAML 格式错误：花括号 { } 没有配对")
    assert found[0].line in (line_of(text, "填写一张表单"), line_of(text, "填写一张表单") + 1)
    assert found[-1].line == line_of(text, "via：[SMS]")


def test_chinese_colons_and_commas_in_values_are_not_slips(tmp_path: Path) -> None:
    """Titles, descriptions and labels are Chinese text: `：` and `，` belong in them, and
    so do a URL, a time and a colon within quotes."""
    text = TEXT.replace(
        'title: 政务服务"好差评"规则（起步模板）',
        'title: 政务服务"好差评"规则：模板，2026年版',
    ).replace(
        "source: 依据",
        "source: 见 https://www.gov.cn/zhengce/content/2019-12/03/content_5457958.htm，"
        "每日09:00更新；备注：无。依据",
    )
    text = text.replace("    description: 好评\n", '    description: "好评：level:4，满意"\n')
    text = text.replace("    label: 满意\n", "    label: 【满意】\n")
    text = text.replace("    title: 满意\n", "    title: 【模板】满意，好评\n")
    text = text.replace(
        "{code: one-visit, label: 一次办结}", "{code: one-visit, label: 一次办结，不用跑：好}"
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    assert check([path], out) == 0, out.getvalue()
    assert parse(text).policy.title == '政务服务"好差评"规则：模板，2026年版'


def test_the_slips_reach_the_command_line_on_their_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = slipped(LABEL, LABEL.replace("level: 4", "level：4"))
    path.write_text(text, encoding="utf-8")
    line = line_of(text, "level：4")
    for lang, words in (
        ("zh", f"第{line}行：“level”后面的冒号是全角的"),
        ("en", f"line {line}: the colon after 'level' is the full-width"),
    ):
        out = io.StringIO()
        assert check([path], out, lang=lang) == 1
        assert out.getvalue().startswith(f"{path}:{line}:10: {words}"), out.getvalue()


def test_a_value_on_a_key_with_keys_below_it_is_one_slip() -> None:
    """`late_rating: 5` above its own keys: the first of them is the slip, and the keys
    below it, lined up with it, are not reported again."""
    text = slipped("\n  late_rating:\n", "\n  late_rating: 5\n")
    found = only(text)
    assert found.line == line_of(text, "late_rating: 5") + 1
    assert "如果这一行本该写在上一行的键下面，就删掉上一行冒号后面的值" in found.message


def test_the_rest_of_the_file_is_checked_as_if_the_slips_were_typed_right() -> None:
    """A slip stops YAML; the slips with one right spelling are mended for the rest of the
    check, so the schema's errors and the cross checks come in the same pass."""
    text = slipped(LABEL, LABEL.replace("level: 4", "level：4"))
    text = text.replace("  default_rating:\n", "  defualt_rating:\n")
    text = text.replace(
        "      step: callback\n      actor: dept_handler\n",
        "      step: callback\n      actor: rater\n",
    )
    text = text.replace("    via: [SMS]\n", "    via: [SMS，CALL]\n")
    found = problems(text)
    expected = [
        ("level：4", "“level”后面的冒号是全角的"),
        ("defualt_rating", "rating：不认识的键“defualt_rating”"),
        ("[SMS，CALL]", "列表里的逗号是全角的"),
        ("actor: rater", "workflow.steps[1].actor：评价人（rater）"),
    ]
    assert [p.line for p in found] == [line_of(text, marker) for marker, _ in expected]
    for problem, (_, words) in zip(found, expected, strict=True):
        assert words in problem.message, problem.message


def test_a_slip_that_cannot_be_mended_stops_the_check_there() -> None:
    """Which level a key indented 3 spaces meant cannot be told: the slips are reported,
    and the rest waits for the next check."""
    text = slipped("\n  late_rating:\n", "\n   late_rating:\n")
    text = text.replace("  default_rating:\n", "  defualt_rating:\n")
    assert [p.line for p in problems(text)] == [line_of(text, "   late_rating:")]


@pytest.mark.parametrize("typed", ["\t- id: level-satisfied\n", "   - id: level-satisfied\n"])
def test_the_lines_below_a_slipped_indentation_are_not_blamed_for_it(typed: str) -> None:
    """A tab, or a column between two levels, leaves open which level was meant: the
    lines below, lined up as they should be, are not reported too."""
    text = slipped("  - id: level-satisfied\n", typed)
    assert [p.line for p in problems(text)] == [line_of(text, typed)]
