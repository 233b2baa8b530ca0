"""A policy's problems as a policy officer can act on them: "FILE:LINE:COL: key.path: what
is wrong; what would be valid", located in the YAML document (the wording of pydantic's
errors is rules/schema_wording.py)."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from rules.wording import DocPath, Said


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str  # in Chinese, the policy staff's language (the default everywhere)
    warning: bool = False  # valid, but probably not what the policy staff meant
    message_en: str = ""  # the same in English, for HCP_LANG=en; empty: only `message`

    def text(self, lang: str = "zh") -> str:
        """The message in `lang` ("zh" or "en"), falling back to the Chinese one."""
        return self.message_en if lang == "en" and self.message_en else self.message

    def line_text(self, lang: str = "zh") -> str:
        """FILE:LINE:COL: [warning: ]message, as the CLI prints it."""
        kind = ("warning: " if lang == "en" else "提醒：") if self.warning else ""
        return f"{self.file}:{self.line}:{self.column}: {kind}{self.text(lang)}"

    def __str__(self) -> str:
        return self.line_text()


class PolicyError(Exception):
    """The policy file is not valid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def problem(name: str, line: int, column: int, said: Said, *, warning: bool = False) -> Problem:
    """A Problem saying `said` in both languages."""
    return Problem(name, line, column, said.zh, warning, said.en)


class Locator:
    def __init__(self, name: str, tree: yaml.Node) -> None:
        self.name = name
        self.tree = tree

    def at(self, path: DocPath, said: Said, *, key: bool = False, warning: bool = False) -> Problem:
        node = self._node(path, key=key)
        mark = node.start_mark
        return problem(self.name, mark.line + 1, mark.column + 1, said, warning=warning)

    def _node(self, path: DocPath, *, key: bool) -> yaml.Node:
        node = self.tree
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            child = _child(node, part, want_key=key and last)
            if child is None:
                break
            node = child
        return node

    def duplicate_keys(self) -> list[Problem]:
        problems: list[Problem] = []
        stack = [self.tree]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                seen: set[str] = set()
                for key_node, value_node in node.value:
                    if key_node.value in seen:
                        mark = key_node.start_mark
                        said = Said(
                            f"键“{key_node.value}”在这一层写了两次，系统只会保留其中一个；"
                            "请合并成一个，或删掉一个",
                            f"key {key_node.value!r} appears twice here; only one is kept, so "
                            "merge them or delete one",
                        )
                        problems.append(problem(self.name, mark.line + 1, mark.column + 1, said))
                    seen.add(key_node.value)
                    stack.append(value_node)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return problems


def _child(node: yaml.Node, part: str | int, *, want_key: bool) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if key_node.value == part:
                found: yaml.Node = key_node if want_key else value_node
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None
