"""A policy rule as the engine runs it: an id, the decision it belongs to, a condition in
durable_rules' JSON and a function computing its outcome from the facts.

Plain data, shared by the section modules in rules/decisions (which build the rules) and
rules/compiler (which loads them into durable_rules).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Facts = Mapping[str, Any]
Outcome = dict[str, Any]
Condition = dict[str, Any]


@dataclass(frozen=True)
class CompiledRule:
    rule_id: str
    kind: str
    condition: Condition
    outcome: Callable[[Facts], Outcome]


def eq(**values: Any) -> Condition:
    """Every fact equal to its value."""
    return {"$and": [{key: value} for key, value in values.items()]}


def always(rule_id: str, kind: str, outcome: Callable[[Facts], Outcome]) -> CompiledRule:
    """A rule that holds whenever its decision is asked for."""
    return CompiledRule(rule_id, kind, {"kind": kind}, outcome)
