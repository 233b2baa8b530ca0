"""Limits on the shape of a query, checked in one walk over it.

Depth counts every field, introspection included: Strawberry's QueryDepthLimiter skips
everything under `__schema`, which leaves the classic `ofType { ofType { … } }` abuse
unbounded (GraphiQL's own introspection query is 13 deep).

Cost: each field costs 1, and a field with a `first` argument costs its selection once per
item it may return (the literal, or the largest page when `first` comes from a variable).
Depth, alias and token limits bound the shape of a query; cost bounds the work it asks for
(`myCases(first: 100) { nodes { ratings { … } } }` a hundred times over, for instance).

Aliases: a query may name at most so many aliased fields (counted as executed, so through
every fragment spread).

Each fragment is measured once per operation: walked again at every spread, a chain of
fragments that each spread the next one twice would take 2^n steps to check (Strawberry's
own alias limiter does exactly that: 40 such links held a worker for good).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
)


class Shape(NamedTuple):
    depth: int
    cost: int
    aliases: int


_NOTHING = Shape(0, 0, 0)


def query_limits_rule(
    *, max_depth: int, max_cost: int, max_aliases: int, largest_page: int
) -> type[ValidationRule]:
    class QueryLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            shape = _Walk(fragments, largest_page).of(node.selection_set)
            if shape.depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"the query is nested deeper than the maximum depth of {max_depth}", node
                    )
                )
            if shape.aliases > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"the query uses {shape.aliases} aliases, more than the {max_aliases} "
                        "allowed",
                        node,
                    )
                )
            if shape.cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"the query asks for too much at once (cost {shape.cost}, limit "
                        f"{max_cost}); ask for fewer fields or smaller pages",
                        node,
                    )
                )

    return QueryLimits


class _Walk:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], largest_page: int) -> None:
        self.fragments = fragments
        self.largest_page = largest_page
        self.measured: dict[str, Shape] = {}
        self.entered: set[str] = set()

    def of(self, selections: SelectionSetNode | None) -> Shape:
        if selections is None:
            return _NOTHING
        depth = cost = aliases = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                below = self.of(node.selection_set)
                depth = max(depth, 1 + below.depth)
                cost += 1 + _pages(node, self.largest_page) * below.cost
                aliases += below.aliases + (node.alias is not None)
                continue
            if isinstance(node, FragmentSpreadNode):
                inner = self._fragment(node.name.value)
            elif isinstance(node, InlineFragmentNode):
                inner = self.of(node.selection_set)
            else:
                continue
            depth, cost, aliases = (
                max(depth, inner.depth),
                cost + inner.cost,
                aliases + inner.aliases,
            )
        return Shape(depth, cost, aliases)

    def _fragment(self, name: str) -> Shape:
        fragment = self.fragments.get(name)
        # A cycle is reported by the standard NoFragmentCycles rule; stop here.
        if fragment is None or name in self.entered:
            return _NOTHING
        if name not in self.measured:
            self.entered.add(name)
            self.measured[name] = self.of(fragment.selection_set)
            self.entered.discard(name)
        return self.measured[name]


def _pages(field: FieldNode, largest_page: int) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, min(int(argument.value.value), largest_page))
        if isinstance(argument.value, VariableNode):
            return largest_page
    return 1


__all__ = ["Shape", "query_limits_rule"]
