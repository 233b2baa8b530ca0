"""`rulesVersion`: which policy this worker is applying right now."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.core.context import Context


@strawberry.type(
    description="The active policy: label from the file's version: key, and content hash"
)
class RulesVersion:
    version: str
    label: str | None
    digest: str
    title: str


def rules_version(info: Info[Context, None]) -> RulesVersion:
    source = info.context.collaborators.engine.source
    return RulesVersion(
        version=source.version,
        label=source.policy.version,
        digest=source.digest,
        title=source.policy.title,
    )
