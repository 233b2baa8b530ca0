"""`hcp rules check`: valid files pass; broken ones get located, plain-word errors."""

from __future__ import annotations

import difflib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rules.cli import check
from tests.rules.broken_cases import CASES, RULES, broken_text, write_broken

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")

# case (tests/rules/broken_cases.py) -> (text on the offending line, words the Chinese
# message must contain, words the English one must contain)
EXPECTED = {
    "typo_key.yaml": (
        "defualt_rating:",
        "不认识的键“defualt_rating”；是不是想写“default_rating”？",
        "did you mean 'default_rating'",
    ),
    "level_6.yaml": ("level: 6", "评价等级只能是 5（最好）到 1（最差）", "levels run from 5"),
    "tag_twice.yaml": (
        "{code: one-form, label: 服务态度较好}",
        "levels[2].tags[2].code：标签代码“one-form”用了两次",
        "tag code 'one-form' is used twice",
    ),
    "weekdays.yaml": (
        "within: 5 weekdays",
        "“5 weekdays”不是系统认识的时长，请写成例如 5个工作日",
        "'5 weekdays' is not a duration; write e.g.",
    ),
    "syntax.yaml": (
        "label: 填写一张表单就可完成申报",
        "YAML 格式错误：花括号 { } 没有配对",
        "YAML syntax",
    ),
    "category.yaml": (
        "category: terrible",
        "levels[4].category：“terrible”不是这里可以写的值；只能写 good、neutral、bad 中的一个",
        "'terrible' is not allowed here; use one of",
    ),
    "duplicate_key.yaml": ("  batch:", "键“batch”在这一层写了两次", "key 'batch' appears twice"),
    "missing_channel.yaml": (
        "channel_classes:",
        "每个评价渠道都要归入一类；没有归类的：PAPER",
        "missing: PAPER",
    ),
    "unknown_step.yaml": (
        "step: call-back",
        "“call-back”不是这里可以写的值",
        "'call-back' is not allowed here",
    ),
    "appeal_without_outcome.yaml": (
        "  steps:",
        "workflow.appeal_upheld：appeal 环节和 appeal_upheld",
        "workflow.appeal_upheld: the appeal step and appeal_upheld",
    ),
    "rater_at_callback.yaml": (
        "actor: rater",
        "workflow.steps[1].actor：评价人（rater）只在追评环节 follow_up_rating 办理",
        "the rater acts at follow_up_rating, and only there",
    ),
    "deadline_outside_workflow.yaml": (
        "step: follow_up_review",
        "follow_up_review 不是 workflow 里的环节",
        "follow_up_review is not a step of the workflow",
    ),
    "default_level.yaml": (
        "level: 0",
        "rating.default_rating.level：评价等级只能是 5",
        "rating.default_rating.level",
    ),
    "reminder_call_first.yaml": (
        "via: [CALL, SMS]",
        "rating.reminder.via：[CALL, SMS] 表示电话联系不上再发短信，系统不支持",
        "rating.reminder.via: [CALL, SMS] would fall back from a call to an SMS",
    ),
    "reminder_channel_twice.yaml": (
        "via: [SMS, CALL, SMS]",
        "rating.reminder.via：SMS 写了两次",
        "rating.reminder.via: SMS is listed twice; list each channel once",
    ),
    "quiet_hours.yaml": (
        'quiet_hours: "21:00-24:00"',
        "rating.reminder.quiet_hours：“21:00-24:00”不是有效的免打扰时段",
        "rating.reminder.quiet_hours: '21:00-24:00': hours run from 00 to 23",
    ),
    "quiet_hours_unquoted.yaml": (
        "quiet_hours: 21:00",
        'rating.reminder.quiet_hours：时段要加英文双引号，例如 "21:00-08:00"',
        'rating.reminder.quiet_hours: write the span in quotes, e.g. "21:00-08:00"',
    ),
    "reply_without_hint.yaml": (
        "template: “{matter}”已办结",
        "模板里用了 {reply}，但没有写 reply_hint",
        "the template uses {reply} but there is no reply_hint",
    ),
    "unknown_placeholder.yaml": (
        "template: “{matters}”",
        "{matters} 不是可用的占位符；模板里只能用 {matter}、{case_no}",
        "{matters} is not a placeholder; the template may use {matter}, {case_no}",
    ),
}


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(
        i for i, line in enumerate(lines, 1) if text in line and not line.lstrip().startswith("#")
    )


def test_every_broken_case_has_an_expectation() -> None:
    assert sorted(CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_broken_case_is_a_one_line_edit_of_the_current_policy(name: str) -> None:
    before = RULES.read_text(encoding="utf-8").splitlines()
    diff = list(difflib.unified_diff(before, broken_text(name).splitlines(), n=0, lineterm=""))
    removed = [line for line in diff[2:] if line.startswith("-")]
    added = [line for line in diff[2:] if line.startswith("+")]
    assert (removed or added) and len(removed) <= 1 and len(added) <= 1, diff


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_files_get_located_plain_word_errors(name: str, lang: str, tmp_path: Path) -> None:
    path = write_broken(name, tmp_path)
    out = io.StringIO()
    assert check([path], out, lang=lang) == 1
    lines = out.getvalue().strip().splitlines()
    assert lines, "no problem reported"
    marker, chinese, english = EXPECTED[name]
    words = chinese if lang == "zh" else english
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    hit = [m for m in parsed if m and words in m["message"]]
    assert hit, lines
    want = _line_of(path, marker)
    if name in ("syntax.yaml", "missing_channel.yaml"):  # reported where the problem shows
        assert int(hit[0]["line"]) in (want, want + 1)
    elif name == "duplicate_key.yaml":
        assert int(hit[0]["line"]) > want
    else:
        assert int(hit[0]["line"]) == want, lines
    assert hit[0]["file"] == str(path)


def test_the_root_policy_is_valid() -> None:
    out = io.StringIO()
    assert check([ROOT / "rules.yaml"], out) == 0, out.getvalue()
    assert "rules.yaml: 没有问题（OK），共 " in out.getvalue()
    english = io.StringIO()
    assert check([ROOT / "rules.yaml"], english, lang="en") == 0
    assert "rules.yaml: OK, " in english.getvalue()


def test_the_command_line_never_shows_a_traceback(tmp_path: Path) -> None:
    unreadable = tmp_path / "binary.yaml"
    unreadable.write_bytes(b"\xff\xfe\x00garbage")
    missing = tmp_path / "nope.yaml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rules",
            "check",
            str(write_broken("weekdays.yaml", tmp_path)),
            str(unreadable),
            str(missing),
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert str(missing) in result.stdout


def test_a_template_longer_than_one_sms_is_a_warning_at_its_line(tmp_path: Path) -> None:
    """The 135-character reminder of the issue: valid, so exit 0, but the policy staff are
    told where and by how much it overflows one SMS."""
    long_text = "您办理的“{matter}”（办件编号{case_no}）已办结，请对本次服务进行评价：{link}{reply}"
    policy = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    short = "template: “{matter}”已办结，请评价：{link}{reply}"
    assert policy.count(short) == 1
    path = tmp_path / "long.yaml"
    path.write_text(policy.replace(short, f"template: {long_text}"), encoding="utf-8")
    for lang, prefix, words in (
        (
            "zh",
            "提醒：rating.reminder.template：填入内容后约 ",
            "超过一条短信的 70 个字，会分成 2 条发出",
        ),
        (
            "en",
            "warning: rating.reminder.template: about ",
            "over the 70 of one SMS: it would go out as 2 messages",
        ),
    ):
        out = io.StringIO()
        assert check([path], out, lang=lang) == 0
        lines = out.getvalue().splitlines()
        [warning] = [line for line in lines if prefix in line]
        found = LINE.match(warning)
        assert found is not None, warning
        assert int(found["line"]) == _line_of(path, long_text)
        assert found["message"].startswith(prefix)
        assert words in found["message"]
        assert lines[-1].startswith(f"{path}: ")
        assert "OK" in lines[-1]


def test_the_reply_hint_counts_towards_the_length(tmp_path: Path) -> None:
    policy = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    hint = "reply_hint: ，或回复1-5分"
    assert policy.count(hint) == 1
    path = tmp_path / "hint.yaml"
    path.write_text(
        policy.replace(
            hint, "reply_hint: ，或回复5非常满意、4满意、3基本满意、2不满意、1非常不满意"
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    assert check([path], out) == 0
    assert "提醒：rating.reminder.template" in out.getvalue()
    assert "{reply} 31" in out.getvalue()  # the hint as written, counted in full


def test_a_day_the_calendar_does_not_have_is_refused_where_it_is(tmp_path: Path) -> None:
    """YAML reads 2026-02-30 as a date and fails without a line; it is located instead."""
    policy = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    assert policy.count("  holidays: []\n") == 1
    path = tmp_path / "day.yaml"
    path.write_text(policy.replace("  holidays: []\n", "  holidays: [2026-02-30]\n"), "utf-8")
    out = io.StringIO()
    assert check([path], out) == 1
    line = _line_of(path, "2026-02-30")
    assert out.getvalue() == (
        f"{path}:{line}:14: “2026-02-30”不是有效的日期：月份是 1-12，日不能超过当月的天数，"
        "例如 2026-10-01\n"
    )


def test_a_mapping_key_of_the_wrong_shape_is_named_as_written(tmp_path: Path) -> None:
    policy = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    path = tmp_path / "class.yaml"
    path.write_text(policy.replace("\n  online: [WEB, APP]\n", "\n  Online: [WEB, APP]\n"), "utf-8")
    out = io.StringIO()
    assert check([path], out) == 1
    assert f"{path}:{_line_of(path, 'Online:')}:3: channel_classes.Online：名称“Online”只能用" in (
        out.getvalue()
    )
