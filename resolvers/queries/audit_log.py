"""`auditLog`: who revealed (or tried to reveal) whose contact, and who recorded which
reminder call, for the region's admins."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import BadInputError
from schema.core.types import PageInfo, business_time
from services import callbacks
from services.identity import Role
from services.paging import BadCursorError, PageSizeError


@strawberry.type(
    description="One access to personal data, or a refused attempt; or a reminder call recorded"
)
class AuditEntry:
    at: datetime
    action: str
    outcome: str = strawberry.field(
        description="reveal_contact: REVEALED or the refusal code; reminder_call: the outcome"
    )
    actor_role: str
    actor_subject: str
    actor_department_code: str | None
    case_no: str
    reason: str


@strawberry.type(description="Audit entries, newest first")
class AuditConnection:
    nodes: list[AuditEntry]
    page_info: PageInfo


async def audit_log(
    info: Info[Context, None], first: int = 50, after: str | None = None
) -> AuditConnection:
    """审计日志: entries about the cases of the admin's region (append-only)."""
    viewer = info.context.require(Role.AREA_ADMIN)
    try:
        page = await callbacks.audit_log(
            viewer=viewer, vault=info.context.vault, first=first, after=after
        )
    except (BadCursorError, PageSizeError) as exc:
        raise BadInputError(str(exc)) from None
    return AuditConnection(
        nodes=[
            AuditEntry(
                at=business_time(e.at),
                action=e.action,
                outcome=e.outcome,
                actor_role=e.actor_role,
                actor_subject=e.actor_subject,
                actor_department_code=e.actor_department_code,
                case_no=e.case_no,
                reason=e.reason,
            )
            for e in page.nodes
        ],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )
