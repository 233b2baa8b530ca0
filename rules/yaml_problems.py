"""What is wrong with a policy file before its keys are read: a YAML syntax error, worded
for the policy staff, or the input-method slips (rules/ime.py) that explain it."""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from rules.ime import Slip, slips
from rules.policy_problems import Problem, problem
from rules.wording import Said

_GUESS = "多半是缩进没对齐、冒号后少了空格，或引号、括号没有配对；请看这一行和它的上一行"
# The beginnings of PyYAML's words for the syntax errors a policy file meets, in the policy
# staff's terms.
_SYNTAX = (
    (
        "could not find expected ':'",
        "少了冒号，或冒号后面没有空格：每个键都要写成“键: 值”，冒号是半角的，后面有一个空格",
    ),
    (
        "mapping values are not allowed here",
        "这里不能再出现“: ”：多半是缩进多了，或值里有“: ”却没加引号（这样的值请整个用英文"
        "双引号括起来）",
    ),
    ("did not find expected key", "这里应当是一个键，但没有找到：多半是缩进和同一层的键没有对齐"),
    ("expected <block", "缩进没对齐：这一行和上面同一层的键没有对齐"),
    ("did not find expected '-' indicator", "这一行和上面列表的各项（以“- ”开头）没有对齐"),
    ("did not find expected ',' or ']'", "方括号 [ ] 没有配对，或列表的各项之间少了英文逗号"),
    ("expected ',' or ']'", "方括号 [ ] 没有配对，或列表的各项之间少了英文逗号"),
    ("did not find expected ',' or '}'", "花括号 { } 没有配对，或各项之间少了英文逗号"),
    ("expected ',' or '}'", "花括号 { } 没有配对，或各项之间少了英文逗号"),
    ("found unexpected end of stream", "引号或括号没有配对：文件结束了，它还没有结束"),
    ("found character '\\t'", "这里有 Tab 键（制表符）：YAML 只能用空格缩进，请改为空格"),
)


def syntax_problems(text: str, name: str, exc: yaml.MarkedYAMLError) -> list[Problem]:
    """The slips in `text` when there are any, else PyYAML's error in plain words. PyYAML
    stops at its first error, which comes at or after the first slip when a slip caused
    it; one before every slip is a problem of its own and is reported too."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    found = slip_problems(name, slips(text))
    if found and found[0].line <= line:
        return found
    english = str(exc.problem)
    zh = next((zh for start, zh in _SYNTAX if english.startswith(start)), f"{_GUESS}（{english}）")
    if exc.context_mark and exc.context_mark.line + 1 < line:
        # An unclosed bracket or quote shows where the next thing starts: say where it began.
        zh += f"（问题从第{exc.context_mark.line + 1}行开始）"
    said = Said(f"YAML 格式错误：{zh}", f"YAML syntax: {english}")
    return [problem(name, line, column, said), *found]


def slip_problems(name: str, found: Iterable[Slip]) -> list[Problem]:
    return [problem(name, slip.line, slip.column, slip.said) for slip in found]


def with_slips(problems: list[Problem], slipped: list[Problem]) -> list[Problem]:
    """The slips, and the other problems but those on a slip's line: a slip explains what
    YAML made of its line (`[PAD，QR]` is one channel named "PAD，QR")."""
    lines = {slip.line for slip in slipped}
    return slipped + [found for found in problems if found.line not in lines]


def reader_problem(text: str, name: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow (a NUL, a control character), where it is."""
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - text.rfind("\n", 0, exc.position)
    code = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "?"
    return problem(
        name,
        line,
        column,
        Said(
            f"YAML：这里有一个文件里不允许的字符（{code}），多半是从别处复制来的看不见的控制"
            "字符；请删掉它",
            f"YAML: {exc.reason} ({code})",
        ),
    )
