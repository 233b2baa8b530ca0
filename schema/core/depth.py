"""A depth limit that counts every field, introspection included.

Strawberry's QueryDepthLimiter skips everything under `__schema`, which leaves the classic
`ofType { ofType { … } }` abuse unbounded; GraphiQL's own introspection query is 13 deep.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)


def max_depth_rule(limit: int) -> type[ValidationRule]:
    class MaxDepth(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            if _depth(node.selection_set, fragments, frozenset()) > limit:
                self.report_error(
                    GraphQLError(
                        f"the query is nested deeper than the maximum depth of {limit}", node
                    )
                )

    return MaxDepth


def _depth(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    path: frozenset[str],
) -> int:
    if selections is None:
        return 0
    deepest = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            below = 1 + _depth(node.selection_set, fragments, path) if node.selection_set else 1
        elif isinstance(node, InlineFragmentNode):
            below = _depth(node.selection_set, fragments, path)
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            fragment = fragments.get(name)
            # A cycle is reported by the standard NoFragmentCycles rule; stop here.
            below = (
                0
                if fragment is None or name in path
                else _depth(fragment.selection_set, fragments, path | {name})
            )
        else:
            below = 0
        deepest = max(deepest, below)
    return deepest


__all__ = ["max_depth_rule"]
