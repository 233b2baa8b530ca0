"""`activateRulesVersion(id, note)`: roll back (or forward) to a stored version. It goes
through the same gate as a publish, with the scenarios it was published with, and every
worker serves it on its next request."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.mutations.publish_rules import PublishRulesResult, published, publisher
from schema.core.context import Context
from schema.core.rules import RulesRejected
from services.identity import Role
from services.policy import activate_version


async def resolve(
    info: Info[Context, None],
    id: strawberry.ID,
    note: Annotated[str | None, strawberry.argument(description="why (kept with it)")] = None,
) -> PublishRulesResult:
    principal = info.context.require(Role.POLICY_STAFF)
    version_id = _number(id)
    result = None
    if version_id is not None:
        result = await activate_version(
            version_id,
            to=publisher(info),
            by=principal.name or principal.subject,
            note=note or "",
        )
    if result is None:
        return RulesRejected(code="NOT_FOUND", problems=[])
    return published(result, info.context.collaborators.lang)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None
