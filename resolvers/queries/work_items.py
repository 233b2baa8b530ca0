"""`workItems` and `workItem`: the bad-rating work items (差评工单) a viewer works or
oversees: a department's staff their department's, an area admin their region's."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import BadInputError
from schema.core.text import refuse_nul
from schema.core.types import PageInfo
from schema.core.work_items import (
    WorkItem,
    WorkItemStatusEnum,
    item_id,
    work_item_from_view,
)
from services import work_items as service
from services.identity import Role
from services.paging import BadCursorError, PageSizeError

STAFF = (Role.WINDOW_STAFF, Role.DEPT_HANDLER, Role.AREA_ADMIN)


@strawberry.input(description="Every field narrows the list; opened in [from, to)")
class WorkItemFilter:
    case_no: str | None = None
    step: str | None = None
    status: WorkItemStatusEnum | None = None  # type: ignore[valid-type]
    overdue: bool | None = None
    department_code: str | None = None
    region_code: str | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None


@strawberry.type(description="Work items, the soonest due first (the overdue lead)")
class WorkItemConnection:
    nodes: list[WorkItem]
    page_info: PageInfo


async def work_items(
    info: Info[Context, None],
    filter: WorkItemFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> WorkItemConnection:
    viewer = info.context.require(*STAFF)
    chosen = filter or WorkItemFilter()
    refuse_nul(chosen.case_no, chosen.step, chosen.department_code, chosen.region_code)
    try:
        page = await service.work_items(
            viewer=viewer,
            engine=info.context.collaborators.engine,
            chosen=service.Filter(
                case_no=chosen.case_no.strip() if chosen.case_no else None,
                step=chosen.step,
                status=chosen.status.value if chosen.status else None,
                overdue=chosen.overdue,
                department_code=chosen.department_code,
                region_code=chosen.region_code,
                opened_from=chosen.from_,
                opened_to=chosen.to,
            ),
            first=first,
            after=after,
        )
    except (BadCursorError, PageSizeError) as exc:
        raise BadInputError(str(exc)) from None
    return WorkItemConnection(
        nodes=[work_item_from_view(v) for v in page.nodes],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )


async def work_item(info: Info[Context, None], id: strawberry.ID) -> WorkItem | None:
    """The item, or null when it does not exist or the viewer may not see it."""
    viewer = info.context.require(*STAFF)
    number = item_id(id)
    found = None
    if number is not None:
        found = await service.work_item(
            viewer=viewer, engine=info.context.collaborators.engine, item_id=number
        )
    return work_item_from_view(found) if found else None
