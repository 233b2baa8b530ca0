"""pydantic's errors about a policy, worded for the policy staff in both languages: the key
path as written in the file, what is wrong there and what would be valid."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from rules.policy_problems import Locator, Problem
from rules.spec import Policy
from rules.wording import DocPath, Refusal, Said

_QUOTED = re.compile(r"'([^']*)'")
_MAPPING = Said(
    "这里要写一组“键: 值”（在下一行多缩进 2 个空格逐个写出），不能只写一个值",
    "must be a mapping of keys (key: value lines indented below it)",
)
_LIST = Said(
    "这里要写一个列表：每项一行、以“- ”开头，或写在方括号里，如 [a, b]",
    "must be a list: one item per line starting with '- ', or [a, b]",
)
# The Chinese for pydantic's error types a policy meets; {…} are the error's context.
_PLAIN = {
    "bool_parsing": "这里只能写 true（是）或 false（否）",
    "bool_type": "这里只能写 true（是）或 false（否）",
    "int_parsing": "这里要写一个整数，如 3",
    "int_type": "这里要写一个整数，如 3",
    "int_from_float": "这里要写一个整数，不能有小数",
    "string_type": "这里要写文字",
    "string_too_short": "不能是空的",
    "string_too_long": "太长了：最多 {max_length} 个字",
    "too_short": "至少要写 {min_length} 项",
    "too_long": "最多只能写 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "date_parsing": "日期要写成“年-月-日”，如 2026-10-01",
    "date_type": "日期要写成“年-月-日”，如 2026-10-01",
    "date_from_datetime_parsing": "日期要写成“年-月-日”，如 2026-10-01",
    "date_from_datetime_inexact": "日期只写到日，如 2026-10-01，不写时刻",
}


def from_validation(located: Locator, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    reported: set[DocPath] = set()
    for error in exc.errors():
        path, union = _document_path(error)
        if path in reported:
            continue
        reported.add(path)
        said = _message(error, path, union)
        at_key = error["type"] == "extra_forbidden" or error["loc"][-1:] == ("[key]",)
        problems.append(located.at(path, said, key=at_key))
    return problems


def failed_sections(exc: ValidationError) -> set[str]:
    """The top-level keys (levels, rating, …) that hold at least one error."""
    return {str(error["loc"][0]) for error in exc.errors() if error["loc"]}


def _document_path(error: ErrorDetails) -> tuple[DocPath, bool]:
    """The error's location in the document, without pydantic's union-branch labels."""
    if error["loc"][-1:] == ("[key]",):  # a mapping's key, as written (`Online`)
        return tuple(error["loc"][:-1]), False
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


def _message(error: ErrorDetails, path: DocPath, union: bool) -> Said:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(path)
    if kind == "missing":
        key = path[-1]
        return Said(f"缺少必填的键“{key}”", f"missing key {key!r}").after(path[:-1])
    return _value_message(error, path, union).after(path)


def _unknown_key(path: DocPath) -> Said:
    valid = _valid_keys(path[:-1])
    key = str(path[-1])
    guess = difflib.get_close_matches(key, valid, n=1)
    hint_zh = f"是不是想写“{guess[0]}”？" if guess else ""
    hint_en = f"; did you mean {guess[0]!r}?" if guess else ""
    return Said(
        f"不认识的键“{key}”；{hint_zh}这里可以用的键：{'、'.join(valid)}",
        f"unknown key {key!r}{hint_en} Valid keys: {', '.join(valid)}",
    ).after(path[:-1])


def _value_message(error: ErrorDetails, path: DocPath, union: bool) -> Said:
    kind, ctx, last = error["type"], error.get("ctx") or {}, (path[-1] if path else "")
    english = str(error["msg"]).removeprefix("Value error, ")
    if isinstance(ctx.get("error"), Refusal):
        said: Said = ctx["error"].said
        return said
    if union and last in ("name", "id_number", "phone"):
        return Said(
            "只能写 full（完整显示）、hidden（完全隐藏），或像 {keep_first: 1, keep_last: 1} "
            "这样写出保留前几位、后几位",
            "must be full, hidden, or a mapping like {keep_first: 1, keep_last: 1}",
        )
    if kind in ("literal_error", "enum"):
        allowed = _QUOTED.findall(str(ctx.get("expected", "")))
        return Said(
            f"“{error['input']}”不是这里可以写的值；只能写 {'、'.join(allowed)} 中的一个",
            f"{error['input']!r} is not allowed here; use one of {ctx.get('expected', '')}",
        )
    if kind == "string_pattern_mismatch" and error["loc"][-1:] == ("[key]",):
        return Said(
            f"名称“{last}”只能用小写英文字母、数字和连字符“-”，如 offline",
            f"the name {last!r} may hold lower-case letters, digits and hyphens, e.g. offline",
        )
    if kind == "string_pattern_mismatch":
        return _pattern_message(path, english)
    if kind in ("greater_than_equal", "less_than_equal") and last == "level":
        return Said(
            "评价等级只能是 5（最好）到 1（最差）",
            "levels run from 5 (the best rating) down to 1 (the worst)",
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _MAPPING
    if kind == "list_type":
        return _LIST
    plain = _PLAIN.get(kind)
    if plain is not None:
        return Said(plain.format(**ctx), english)
    return Said(f"这里的值不对（{english}）", english)


def _pattern_message(path: DocPath, english: str) -> Said:
    if "words" in path:
        return Said(
            "敏感词只能是 1-40 个字的普通文字，不能含 . * + ? [ ] ( ) { } | \\ ^ $ 这些符号",
            "a word must be 1-40 characters of plain text, without . * + ? [ ] ( ) { } | \\ ^ $",
        )
    metric_code = path[:1] == ("metrics",) and path[-1] == "code"
    if metric_code or path[:2] == ("disclosure", "metrics"):
        return Said(
            "指标代码只能用小写英文单词和数字，单词之间用下划线“_”连接，如 satisfaction_rate",
            "use lower-case words and digits joined by underscores, e.g. satisfaction_rate",
        )
    if path and path[-1] in ("id", "code"):
        return Said(
            "只能用小写英文字母、数字和连字符“-”，如 bad-rating-needs-reason",
            "use lower-case letters, digits and hyphens, e.g. bad-rating-needs-reason",
        )
    return Said(f"写法不对（{english}）", english)


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
