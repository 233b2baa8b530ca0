"""`publishRules(yaml, scenarios, note)`: policy staff publish a new policy. It passes the
publishing gate (valid, and every scenario passes) or is refused with its located problems
or the failed scenarios, and the running policy stays."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.rules import RulesRejected, rejected
from services.identity import Role
from services.policy import Published, Publisher, publish_rules
from services.policy_gate import RulesRefusal


@strawberry.type(description="The policy is active on every worker")
class RulesPublished:
    version: str
    changed: bool = strawberry.field(description="false when this exact policy was already active")
    id: strawberry.ID | None = strawberry.field(description="the stored version")


PublishRulesResult = Annotated[
    RulesPublished | RulesRejected, strawberry.union("PublishRulesResult")
]


def publisher(info: Info[Context, None]) -> Publisher:
    collaborators = info.context.collaborators
    return Publisher(
        engine=collaborators.engine,
        path=collaborators.rules_path,
        announce=collaborators.announce_rules,
        now=info.context.now(),
        lang=collaborators.lang,
    )


def published(result: Published | RulesRefusal, lang: str) -> PublishRulesResult:
    if isinstance(result, RulesRefusal):
        return rejected(result, lang)
    stored = None if result.id is None else strawberry.ID(str(result.id))
    return RulesPublished(version=result.version, changed=result.changed, id=stored)


async def resolve(
    info: Info[Context, None],
    yaml: str,
    scenarios: Annotated[
        str | None,
        strawberry.argument(description="the scenarios file; null: the active policy's"),
    ] = None,
    note: Annotated[str | None, strawberry.argument(description="why (kept with it)")] = None,
) -> PublishRulesResult:
    principal = info.context.require(Role.POLICY_STAFF)
    result = await publish_rules(
        yaml,
        to=publisher(info),
        scenarios=scenarios,
        by=principal.name or principal.subject,
        note=note or "",
    )
    return published(result, info.context.collaborators.lang)
