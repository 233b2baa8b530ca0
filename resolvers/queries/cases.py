"""`myCases` and `case`."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from models.enums import Channel, RatingStatus
from models.stores.cases import Among
from schema.core.context import Context
from schema.core.errors import BadInputError, NotFoundError
from schema.core.raters import viewer_rater
from schema.core.text import refuse_nul
from schema.core.types import Case, PageInfo, RatingStatusEnum, case_from_view
from services import cases, rating_form
from services.identity import Principal, Role
from services.paging import BadCursorError, PageSizeError
from services.rating_results import RatingRefusal


@strawberry.enum(description="The tabs of 我的办件")
class MyCasesTab(Enum):
    TO_RATE = strawberry.enum_value(
        "to_rate",
        description="待评价: not rated yet (or a fix awaiting its follow-up rating, 追评) and "
        "open to the viewer's rating now (canRate)",
    )
    RATED = strawberry.enum_value("rated", description="已评价: rated, or given a default rating")
    ALL = strawberry.enum_value("all", description="全部")


@strawberry.type(description="How many of the viewer's cases each tab of 我的办件 holds")
class MyCasesCounts:
    to_rate: int
    rated: int
    all: int


@strawberry.type(description="A page of cases, newest first")
class CaseConnection:
    nodes: list[Case]
    page_info: PageInfo
    viewer: strawberry.Private[Principal]
    among: strawberry.Private[Among]
    total: strawberry.Private[int | None]

    @strawberry.field(
        description="All cases of the viewer in this tab (with this status), not just this page"
    )
    async def total_count(self, info: Info[Context, None]) -> int:
        if self.total is not None:
            return self.total
        return await cases.count_my_cases(
            viewer=self.viewer, vault=info.context.vault, among=self.among
        )

    @strawberry.field(description="How many cases each tab holds (whatever tab this page is)")
    async def counts(self, info: Info[Context, None]) -> MyCasesCounts:
        vault = info.context.vault
        return MyCasesCounts(
            to_rate=len(await _to_rate(info, self.viewer)),
            rated=await cases.count_my_cases(viewer=self.viewer, vault=vault, among=_RATED),
            all=await cases.count_my_cases(viewer=self.viewer, vault=vault),
        )


_RATED = Among(statuses=(RatingStatus.RATED.value, RatingStatus.DEFAULTED.value))


async def _to_rate(info: Info[Context, None], viewer: Principal) -> list[int]:
    context = info.context
    rater = viewer_rater(context, viewer)
    if rater is None:
        return []
    return await rating_form.to_rate(
        rater, context.collaborators.engine, context.now(), Channel.APP
    )


async def my_cases(
    info: Info[Context, None],
    first: int = 20,
    after: str | None = None,
    status: RatingStatusEnum | None = None,  # type: ignore[valid-type]
    tab: MyCasesTab = MyCasesTab.ALL,
) -> CaseConnection:
    """我的办件: the signed-in citizen's cases, newest first, by tab, optionally by rating
    status. Each case says whether the citizen may rate it now (one statement per page)."""
    viewer = info.context.require(Role.CITIZEN)
    status = RatingStatus(status) if status is not None else None
    if tab is MyCasesTab.TO_RATE:
        among = cases.among(status, ids=await _to_rate(info, viewer))
    elif tab is MyCasesTab.RATED:
        among = cases.among(status, (RatingStatus.RATED, RatingStatus.DEFAULTED))
    else:
        among = cases.among(status)
    try:
        page = await cases.my_cases(
            viewer=viewer,
            vault=info.context.vault,
            first=first,
            after=after,
            among=among,
            with_total=_asks_for(info.selected_fields, "totalCount"),
        )
    except (BadCursorError, PageSizeError) as exc:
        raise BadInputError(str(exc)) from None
    wanted = _asks_for_in_nodes(info.selected_fields, ("canRate", "cannotRateCode"))
    checked = await _checks(info, viewer, [view.id for view in page.nodes]) if wanted else {}
    return CaseConnection(
        nodes=[case_from_view(view, checked.get(view.id)) for view in page.nodes],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        viewer=viewer,
        among=among,
        total=page.total,
    )


async def _checks(
    info: Info[Context, None], viewer: Principal, ids: list[int]
) -> dict[int, tuple[RatingRefusal | None]]:
    """Whether the viewer may rate each case of the page, asked at once."""
    context = info.context
    rater = viewer_rater(context, viewer)
    if rater is None or not ids:
        return {}
    found = await rating_form.refusals(
        ids, rater, context.collaborators.engine, context.now(), Channel.APP
    )
    return {case_id: (refusal,) for case_id, refusal in found.items()}


def _asks_for(selections: Sequence[Selection], name: str) -> bool:
    """Whether `name` is selected directly under the field (through fragments too)."""
    for field in selections:
        for child in field.selections:
            if isinstance(child, SelectedField) and child.name == name:
                return True
            if isinstance(child, FragmentSpread | InlineFragment) and _asks_for([child], name):
                return True
    return False


def _asks_for_in_nodes(selections: Sequence[Selection], names: tuple[str, ...]) -> bool:
    """Whether any of `names` is selected on the page's nodes (a page that does not show
    them is not charged for them)."""
    for field in selections:
        for child in field.selections:
            if isinstance(child, SelectedField) and child.name == "nodes":
                found = any(_asks_for([child], name) for name in names)
            elif isinstance(child, FragmentSpread | InlineFragment):
                found = _asks_for_in_nodes([child], names)
            else:
                found = False
            if found:
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
