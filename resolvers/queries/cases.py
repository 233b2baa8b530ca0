"""`myCases` and `case`."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from models.enums import RatingStatus
from schema.core.context import Context
from schema.core.errors import BadInputError, NotFoundError
from schema.core.text import refuse_nul
from schema.core.types import Case, PageInfo, RatingStatusEnum, case_from_view
from services import cases
from services.identity import Principal, Role
from services.paging import BadCursorError, PageSizeError


@strawberry.type(description="A page of cases, newest first")
class CaseConnection:
    nodes: list[Case]
    page_info: PageInfo
    viewer: strawberry.Private[Principal]
    status: strawberry.Private[RatingStatus | None]
    total: strawberry.Private[int | None]

    @strawberry.field(description="All cases of the viewer (with this status), not just this page")
    async def total_count(self, info: Info[Context, None]) -> int:
        if self.total is not None:
            return self.total
        return await cases.count_my_cases(
            viewer=self.viewer, vault=info.context.vault, status=self.status
        )


async def my_cases(
    info: Info[Context, None],
    first: int = 20,
    after: str | None = None,
    status: RatingStatusEnum | None = None,  # type: ignore[valid-type]
) -> CaseConnection:
    """我的办件: the signed-in citizen's cases, newest first, optionally by rating status."""
    viewer = info.context.require(Role.CITIZEN)
    try:
        page = await cases.my_cases(
            viewer=viewer,
            vault=info.context.vault,
            first=first,
            after=after,
            status=status,
            with_total=_asks_for(info.selected_fields, "totalCount"),
        )
    except (BadCursorError, PageSizeError) as exc:
        raise BadInputError(str(exc)) from None
    return CaseConnection(
        nodes=[case_from_view(view) for view in page.nodes],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        viewer=viewer,
        status=status,
        total=page.total,
    )


def _asks_for(selections: Sequence[Selection], name: str) -> bool:
    """Whether `name` is selected directly under the field (through fragments too)."""
    for field in selections:
        for child in field.selections:
            if isinstance(child, SelectedField) and child.name == name:
                return True
            if isinstance(child, FragmentSpread | InlineFragment) and _asks_for([child], name):
                return True
    return False


async def case(info: Info[Context, None], case_no: str) -> Case:
    """One case, for a viewer allowed to see it (its applicant, its department's staff,
    its region's admins, the system)."""
    viewer = info.context.require(
        Role.CITIZEN,
        Role.WINDOW_STAFF,
        Role.DEPT_HANDLER,
        Role.HOTLINE_OPERATOR,
        Role.AREA_ADMIN,
        Role.SYSTEM,
    )
    refuse_nul(case_no)
    view = await info.context.visible_case(case_no, viewer)
    if view is None:
        raise NotFoundError("no case with this caseNo that you may see")
    return case_from_view(view)
