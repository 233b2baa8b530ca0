"""What changed between two policies, in words for policy staff: which rules were added,
removed or changed and how (each changed value, before and after), then the changes
outside any rule, section by section. Rules are matched by their `id`, tags and metrics
by their `code`, so a rule moved within its list is not a change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rules.loader import Source, read_yaml

Path = tuple[str, ...]
_KEYS = ("id", "code")  # what identifies an item of a list across versions


@dataclass
class Change:
    section: str
    rule_id: str | None
    kind: str  # ADDED, REMOVED, CHANGED
    summary: str
    details: list[str] = field(default_factory=list)


def diff(old: Source, new: Source, lang: str = "zh") -> list[Change]:
    before = _data(old)
    after = _data(new)
    words = _EN if lang == "en" else _ZH
    changes: dict[tuple[str, str | None], Change] = {}
    order: list[tuple[str, str | None]] = []
    for edit in _walk((), before, after, None):
        section = edit.path[0] if edit.path else ""
        key = (section, edit.rule_id)
        if edit.kind != "CHANGED":
            change = Change(section, edit.rule_id, edit.kind, _whole(edit, words))
            changes[(section, f"{edit.kind}:{_show(edit.path)}")] = change
            order.append((section, f"{edit.kind}:{_show(edit.path)}"))
            continue
        if key not in changes:
            changes[key] = Change(section, edit.rule_id, "CHANGED", "")
            order.append(key)
        changes[key].details.append(_detail(edit, words))
    found = [changes[k] for k in order]
    for change in found:
        if change.kind == "CHANGED":
            title = _titles(after).get(change.rule_id or "", "")
            change.summary = _summary(change, title, words)
    return found


@dataclass(frozen=True)
class _Edit:
    path: Path
    rule_id: str | None  # the innermost rule (a mapping with an id) holding the change
    kind: str  # ADDED, REMOVED (a whole item or key), CHANGED (a value)
    before: Any
    after: Any


def _walk(path: Path, before: Any, after: Any, rule_id: str | None) -> Iterator[_Edit]:
    if isinstance(before, dict) and isinstance(after, dict):
        inner = rule_id
        if isinstance(after.get("id"), str) and after.get("id") == before.get("id"):
            inner = after["id"]
        for key in [*after, *(k for k in before if k not in after)]:
            if key not in before:
                yield _Edit(
                    (*path, str(key)), inner, _kind_of(after[key], "ADDED"), None, after[key]
                )
            elif key not in after:
                yield _Edit(
                    (*path, str(key)), inner, _kind_of(before[key], "REMOVED"), before[key], None
                )
            else:
                yield from _walk((*path, str(key)), before[key], after[key], inner)
        return
    if isinstance(before, list) and isinstance(after, list) and _keyed(before) and _keyed(after):
        old = {_key(item): item for item in before}
        new = {_key(item): item for item in after}
        for key in [*new, *(k for k in old if k not in new)]:
            where = (*path, key)
            if key not in old:
                yield _Edit(
                    where, _rule(new[key], rule_id), _kind_of(new[key], "ADDED"), None, new[key]
                )
            elif key not in new:
                yield _Edit(
                    where, _rule(old[key], rule_id), _kind_of(old[key], "REMOVED"), old[key], None
                )
            else:
                yield from _walk(where, old[key], new[key], rule_id)
        return
    if before != after:
        yield _Edit(path, rule_id, "CHANGED", before, after)


def _kind_of(value: Any, kind: str) -> str:
    """A key that holds a rule appears or goes as a whole; a plain value is changed."""
    return kind if isinstance(value, dict) and "id" in value else "CHANGED"


def _keyed(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and _key(i) for i in items)


def _key(item: dict[str, Any]) -> str:
    for name in _KEYS:
        if isinstance(item.get(name), str | int):
            return str(item[name])
    return ""


def _rule(item: Any, outer: str | None) -> str | None:
    own = isinstance(item, dict) and isinstance(item.get("id"), str)
    return str(item["id"]) if own else outer


def _titles(data: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                found[node["id"]] = str(node.get("title") or "")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _data(source: Source) -> Any:
    return read_yaml(source.text, "<policy>")[1]


def _show(path: Path) -> str:
    return ".".join(path)


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


def _whole(edit: _Edit, words: dict[str, str]) -> str:
    item = edit.after if edit.kind == "ADDED" else edit.before
    title = str(item.get("title") or "") if isinstance(item, dict) else ""
    name = edit.rule_id or _show(edit.path)
    label = (
        f"{name}（{title}）" if title and words is _ZH else (f"{name} ({title})" if title else name)
    )
    return words[edit.kind].format(what=label, where=_show(edit.path[:-1]) or edit.path[0])


def _detail(edit: _Edit, words: dict[str, str]) -> str:
    if edit.before is None or edit.after is None:
        which = "gone" if edit.after is None else "new"
        value = edit.before if edit.after is None else edit.after
        return words[which].format(where=_show(edit.path), value=_value(value))
    return words["detail"].format(
        where=_show(edit.path), before=_value(edit.before), after=_value(edit.after)
    )


def _summary(change: Change, title: str, words: dict[str, str]) -> str:
    count = len(change.details)
    if change.rule_id:
        name = words["named"].format(name=change.rule_id, title=title) if title else change.rule_id
        return words["rule"].format(name=name, count=count)
    return words["section"].format(section=change.section, count=count)


_ZH = {
    "ADDED": "新增 {what}（在 {where}）",
    "REMOVED": "删除 {what}（原在 {where}）",
    "detail": "{where}：由 {before} 改为 {after}",
    "new": "{where}：新增 {value}",
    "gone": "{where}：删除 {value}",
    "named": "{name}（{title}）",
    "rule": "规则 {name}：{count} 处改动",
    "section": "{section}：{count} 处改动",
}
_EN = {
    "ADDED": "added {what} (in {where})",
    "REMOVED": "removed {what} (was in {where})",
    "detail": "{where}: {before} -> {after}",
    "new": "{where}: added {value}",
    "gone": "{where}: removed {value}",
    "named": "{name} ({title})",
    "rule": "rule {name}: {count} change(s)",
    "section": "{section}: {count} change(s)",
}
