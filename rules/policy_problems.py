"""A policy's problems as a policy officer can act on them: "FILE:LINE:COL: key.path: what
is wrong; what would be valid", located in the YAML document and worded from pydantic's
errors."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from rules.spec import Policy

DocPath = tuple[str | int, ...]


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
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}:{self.column}: {kind}{self.text(lang)}"

    def __str__(self) -> str:
        return self.line_text()


class PolicyError(Exception):
    """The policy file is not valid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class Locator:
    def __init__(self, name: str, tree: yaml.Node) -> None:
        self.name = name
        self.tree = tree

    def at(
        self, path: DocPath, message: str, *, key: bool = False, warning: bool = False
    ) -> Problem:
        node = self._node(path, key=key)
        mark = node.start_mark
        return Problem(self.name, mark.line + 1, mark.column + 1, message, warning)

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
                        problems.append(
                            Problem(
                                self.name,
                                mark.line + 1,
                                mark.column + 1,
                                f"key {key_node.value!r} appears twice here; only one is kept, so "
                                "merge them or delete one",
                            )
                        )
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


def dotted(path: DocPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def from_validation(located: Locator, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    reported: set[DocPath] = set()
    for error in exc.errors():
        path, union = _document_path(error)
        if path in reported:
            continue
        reported.add(path)
        message = _message(error, path, union)
        problems.append(located.at(path, message, key=error["type"] == "extra_forbidden"))
    return problems


def _document_path(error: ErrorDetails) -> tuple[DocPath, bool]:
    """The error's location in the document, without pydantic's union-branch labels."""
    path: list[str | int] = []
    union = False
    for part in error["loc"]:
        if isinstance(part, str) and (
            part.startswith(("literal[", "function-")) or part[:1].isupper()
        ):
            union = True
            continue
        path.append(part)
    return tuple(path), union


def _message(error: ErrorDetails, path: DocPath, union: bool) -> str:
    where = dotted(path)
    kind = error["type"]
    if kind == "extra_forbidden":
        valid = _valid_keys(path[:-1])
        guess = difflib.get_close_matches(str(path[-1]), valid, n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"{dotted(path[:-1])}: unknown key {path[-1]!r}{hint} Valid keys: {', '.join(valid)}"
    if kind == "missing":
        return f"{dotted(path[:-1])}: missing key {path[-1]!r}"
    if union and path and path[-1] in ("name", "id_number", "phone"):
        return f"{where}: must be full, hidden, or a mapping like {{keep_first: 1, keep_last: 1}}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        expected = (error.get("ctx") or {}).get("expected", "")
        message = f"{error['input']!r} is not allowed here; use one of {expected}"
    if kind == "string_pattern_mismatch" and path and path[-1] in ("id", "code"):
        message = "use lower-case letters, digits and hyphens, e.g. bad-rating-needs-reason"
    if kind == "string_pattern_mismatch" and "words" in path:
        message = (
            "a word must be 1-40 characters of plain text, without . * + ? [ ] ( ) { } | \\ ^ $"
        )
    if kind in ("greater_than_equal", "less_than_equal") and path and path[-1] == "level":
        message = "levels run from 5 (the best rating) down to 1 (the worst)"
    return f"{where}: {message}"


def _valid_keys(path: DocPath) -> list[str]:
    model: Any = Policy
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    return list(model.model_fields) if _is_model(model) else []


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if _is_model(annotation):
        model: type[BaseModel] = annotation
        return model
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType) or origin is dict:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
