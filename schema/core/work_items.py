"""The bad-rating loop's work items (差评工单) as the API shows them, and the one result
every action on them returns."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.enums import WorkItemCloseReason, WorkItemStatus
from schema.core.context import Context
from schema.core.reference import Department, Staff
from schema.core.types import business_time
from services import work_items as service
from services.identity import Principal
from services.paging import parse_id
from services.work_item_actions import ACTION_REFUSALS, Action, ActionRefusal, act

WorkItemStatusEnum = strawberry.enum(WorkItemStatus, name="WorkItemStatus")
WorkItemCloseReasonEnum = strawberry.enum(
    WorkItemCloseReason,
    name="WorkItemCloseReason",
    description="Why an item closed: its rating changed, the loop was completed, the appeal "
    "was upheld, or what the rater's follow-up rating came to",
)


@strawberry.type(description="One line of an item's timeline; entries are never changed")
class TimelineEntry:
    at: datetime
    actor_role: str
    actor: str = strawberry.field(description="who acted (a staff id; `hcp` for the system)")
    action: str
    step: str | None
    outcome: str | None
    note: str | None
    evidence_ids: list[strawberry.ID]


@strawberry.type(
    description="差评工单: a bad rating being worked. No rater identity: the phone for a "
    "callback only through revealContact, audited"
)
class WorkItem:
    id: strawberry.ID
    case_no: str
    matter_name: str
    department: Department
    region_code: str | None
    rated_staff: Staff | None
    status: WorkItemStatusEnum  # type: ignore[valid-type]
    step: str | None = strawberry.field(description="the step in front of the item (open only)")
    step_title: str | None
    actor: str | None = strawberry.field(description="the role that acts at this step")
    evidence_required: bool
    due_at: datetime | None
    overdue: bool
    escalated: bool
    opened_at: datetime
    closed_at: datetime | None
    close_reason: WorkItemCloseReasonEnum | None  # type: ignore[valid-type]
    level: int
    level_label: str
    tag_labels: list[str]
    comment: str | None
    rated_at: datetime
    appeal_upheld: str | None = strawberry.field(
        description="what an upheld appeal made of the rating: not_counted, revoked or "
        "recorded_unrated (the policy's appeal_upheld)"
    )

    @strawberry.field(description="Everything done to the item, oldest first")
    async def timeline(self) -> list[TimelineEntry]:
        return [
            TimelineEntry(
                at=business_time(e.at),
                actor_role=e.actor_role,
                actor=e.actor,
                action=e.action,
                step=e.step,
                outcome=e.outcome,
                note=e.note,
                evidence_ids=[strawberry.ID(str(i)) for i in e.evidence_ids],
            )
            for e in await service.timeline(int(self.id))
        ]


def work_item_from_view(view: service.WorkItemView) -> WorkItem:
    return WorkItem(
        id=strawberry.ID(str(view.id)),
        case_no=view.case_no,
        matter_name=view.matter_name,
        department=Department(code=view.department.code, name=view.department.name),
        region_code=view.region_code,
        rated_staff=Staff(code=view.rated_staff.code, name=view.rated_staff.name)
        if view.rated_staff
        else None,
        status=view.status,
        step=view.step,
        step_title=view.step_title,
        actor=view.actor,
        evidence_required=view.evidence_required,
        due_at=business_time(view.due_at) if view.due_at else None,
        overdue=view.overdue,
        escalated=view.escalated,
        opened_at=business_time(view.opened_at),
        closed_at=business_time(view.closed_at) if view.closed_at else None,
        close_reason=view.close_reason,
        level=view.level,
        level_label=view.level_label,
        tag_labels=list(view.tag_labels),
        comment=view.comment,
        rated_at=business_time(view.rated_at),
        appeal_upheld=view.appeal_upheld,
    )


@strawberry.type(description="Done: the item as it is now, its timeline one entry longer")
class WorkItemUpdated:
    item: WorkItem


@strawberry.type(description="Nothing was done. `message` is for staff")
class WorkItemActionRefused:
    code: str = strawberry.field(
        description="NOT_FOUND, WRONG_STEP, DEADLINE_PASSED, NOT_YOURS, EVIDENCE_REQUIRED, "
        "EVIDENCE_NOT_FOUND or TEXT_REQUIRED"
    )
    message: str


WorkItemActionResult = Annotated[
    WorkItemUpdated | WorkItemActionRefused, strawberry.union("WorkItemActionResult")
]


@strawberry.enum(description="What a callback came to")
class CallbackOutcome(Enum):
    REACHED = "REACHED"
    UNREACHABLE = "UNREACHABLE"
    DECLINED = "DECLINED"


def item_id(id: strawberry.ID) -> int | None:
    return parse_id(str(id).strip())


def evidence_ids(ids: list[strawberry.ID] | None) -> tuple[int, ...] | None:
    """The ids as numbers, None when one is not an id at all."""
    parsed = [item_id(i) for i in ids or []]
    return None if any(p is None for p in parsed) else tuple(p for p in parsed if p is not None)


async def run(
    info: Info[Context, None], viewer: Principal, id: strawberry.ID, action: Action | None
) -> WorkItemActionResult:
    """`action` on item `id` for `viewer`, as the union every action returns (`action` None:
    its evidence ids were not ids)."""
    number = item_id(id)
    if number is None:
        return WorkItemActionRefused(code="NOT_FOUND", message=ACTION_REFUSALS["NOT_FOUND"])
    if action is None:
        code = "EVIDENCE_NOT_FOUND"
        return WorkItemActionRefused(code=code, message=ACTION_REFUSALS[code])
    result = await act(
        item_id=number,
        action=action,
        viewer=viewer,
        engine=info.context.collaborators.engine,
        now=info.context.now(),
    )
    if isinstance(result, ActionRefusal):
        return WorkItemActionRefused(code=result.code, message=result.message)
    return WorkItemUpdated(item=work_item_from_view(result))
