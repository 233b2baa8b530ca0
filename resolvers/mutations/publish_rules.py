"""`publishRules(yaml)`: policy staff publish a new policy; invalid ones are refused with
their located problems and the running policy stays."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from services.identity import Role
from services.policy import Published, publish_rules


@strawberry.type(description="The policy is active on every worker")
class RulesPublished:
    version: str
    changed: bool = strawberry.field(description="false when this exact policy was already active")


@strawberry.type(description="One problem in a refused policy, located in the submitted text")
class RuleProblem:
    line: int
    column: int
    message: str


@strawberry.type(description="The policy was not published; the previous one keeps serving")
class RulesRejected:
    code: str
    problems: list[RuleProblem]


PublishRulesResult = Annotated[
    RulesPublished | RulesRejected, strawberry.union("PublishRulesResult")
]


async def resolve(info: Info[Context, None], yaml: str) -> PublishRulesResult:
    info.context.require(Role.POLICY_STAFF)
    collaborators = info.context.collaborators
    result = await publish_rules(
        yaml,
        engine=collaborators.engine,
        path=collaborators.rules_path,
        announce=collaborators.announce_rules,
    )
    if isinstance(result, Published):
        return RulesPublished(version=result.version, changed=result.changed)
    return RulesRejected(
        code="INVALID_RULES",
        problems=[
            RuleProblem(line=p.line, column=p.column, message=p.message) for p in result.problems
        ],
    )
