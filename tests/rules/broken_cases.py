"""Broken policies for `hcp rules check`, each one a one-line edit of the current rules.yaml.

A case is the text to find in rules.yaml and what to put in its place. The text must occur
exactly once: if rules.yaml is reworded so that it is gone or repeated, building the case
fails and says so, instead of quietly checking a file that is no longer broken the way the
case means. Where the changed line alone is not unique, the text to find takes the line
before it along, unchanged. The key is the name of the file the case is written to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "rules.yaml"


@dataclass(frozen=True)
class Edit:
    find: str
    replace: str


def insert_after(anchor: str, line: str) -> Edit:
    return Edit(anchor, anchor + line)


CASES: dict[str, Edit] = {
    "typo_key.yaml": Edit("  default_rating:\n", "  defualt_rating:\n"),
    "level_6.yaml": Edit("    level: 5\n", "    level: 6\n"),
    "tag_twice.yaml": Edit(
        "{code: good-attitude, label: 服务态度较好}", "{code: one-form, label: 服务态度较好}"
    ),
    # late_rating's window; rectification has the same `within` line
    "weekdays.yaml": Edit(
        "可在5个工作日内补充评价\n    within: 5 working days\n",
        "可在5个工作日内补充评价\n    within: 5 weekdays\n",
    ),
    "syntax.yaml": Edit(
        "{code: one-form, label: 填写一张表单就可完成申报}\n",
        "{code: one-form, label: 填写一张表单就可完成申报\n",
    ),
    # 不满意's category; 非常不满意 is bad too
    "category.yaml": Edit(
        "    label: 不满意\n    category: bad\n", "    label: 不满意\n    category: terrible\n"
    ),
    "duplicate_key.yaml": insert_after(
        "\nscope:\n",
        "  batch: {id: x, title: x, description: x, one_rating_for_whole_batch: true}\n",
    ),
    "missing_channel.yaml": Edit(
        "offline: [PAD, QR, KIOSK, SMS, HOTLINE, PAPER]", "offline: [PAD, QR, KIOSK, SMS, HOTLINE]"
    ),
    # the callback's deadline; the workflow's callback step has the same `step` line
    "unknown_step.yaml": Edit(
        "电话回访评价人\n    step: callback\n", "电话回访评价人\n    step: call-back\n"
    ),
    "appeal_without_outcome.yaml": Edit("  appeal_upheld: not_counted\n", ""),
    "rater_at_callback.yaml": Edit(
        "      step: callback\n      actor: dept_handler\n",
        "      step: callback\n      actor: rater\n",
    ),
    # rectification's deadline; the workflow's rectification step has the same `step` line
    "deadline_outside_workflow.yaml": Edit(
        "    step: rectification\n    within: 5 working days\n",
        "    step: follow_up_review\n    within: 5 working days\n",
    ),
    # default_rating's level; level-satisfied has `level: 4` too
    "default_level.yaml": Edit(
        "    level: 4\n    after: 7 natural days\n", "    level: 0\n    after: 7 natural days\n"
    ),
    "reminder_call_first.yaml": Edit("    via: [SMS]\n", "    via: [CALL, SMS]\n"),
    "reminder_channel_twice.yaml": Edit("    via: [SMS]\n", "    via: [SMS, CALL, SMS]\n"),
    "quiet_hours.yaml": Edit(
        '    quiet_hours: "21:00-08:00"\n', '    quiet_hours: "21:00-24:00"\n'
    ),
    "quiet_hours_unquoted.yaml": Edit(
        '    quiet_hours: "21:00-08:00"\n', "    quiet_hours: 21:00\n"
    ),
    "reply_without_hint.yaml": Edit("    reply_hint: ，或回复1-5分\n", ""),
    "unknown_placeholder.yaml": Edit("template: “{matter}”", "template: “{matters}”"),
}


def broken_text(name: str) -> str:
    """The current rules.yaml with case `name`'s edit made."""
    edit = CASES[name]
    policy = RULES.read_text(encoding="utf-8")
    found = policy.count(edit.find)
    if found != 1:
        raise AssertionError(
            f"broken case {name!r}: {edit.find!r} is in rules.yaml {found} times, not once; "
            "update the case in tests/rules/broken_cases.py to the new rules.yaml"
        )
    return policy.replace(edit.find, edit.replace)


def write_broken(name: str, directory: Path) -> Path:
    """Case `name` written to `directory` under its name, for `check` to read."""
    path = directory / name
    path.write_text(broken_text(name), encoding="utf-8")
    return path
