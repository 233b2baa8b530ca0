"""A cost limit on queries: each field costs 1, and a field with a `first` argument costs
its selection once per item it may return (the literal, or the largest page when `first`
comes from a variable). Depth, alias and token limits bound the shape of a query; this
bounds the work it asks for (`myCases(first: 100) { nodes { ratings { … } } }` a hundred
times over, for instance)."""

from __future__ import annotations

from typing import Any

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


def max_cost_rule(limit: int, largest_page: int) -> type[ValidationRule]:
    class MaxCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            cost = _cost(node.selection_set, fragments, frozenset(), largest_page)
            if cost > limit:
                self.report_error(
                    GraphQLError(
                        f"the query asks for too much at once (cost {cost}, limit {limit}); "
                        "ask for fewer fields or smaller pages",
                        node,
                    )
                )

    return MaxCost


def _pages(field: FieldNode, largest_page: int) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, min(int(argument.value.value), largest_page))
        if isinstance(argument.value, VariableNode):
            return largest_page
    return 1


def _cost(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    path: frozenset[str],
    largest_page: int,
) -> int:
    if selections is None:
        return 0
    total = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            below = _cost(node.selection_set, fragments, path, largest_page)
            total += 1 + _pages(node, largest_page) * below
        elif isinstance(node, InlineFragmentNode):
            total += _cost(node.selection_set, fragments, path, largest_page)
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in path:  # cycles: NoFragmentCycles reports
                total += _cost(fragment.selection_set, fragments, path | {name}, largest_page)
    return total
