"""`regions`, `halls`, `departments`, `windows`, `staff`: the reference data, for the staff
who run it. An area admin reads its region and every region below; department staff their
department's windows and staff and the halls and regions those are in; the system all of it.
A filter outside the caller's scope gives an empty list (as `reminderCalls` does)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import BadInputError
from schema.core.reference import Department, Hall, Region, Staff, Window
from schema.core.text import refuse_nul
from schema.core.types import PageInfo
from services import reference
from services.identity import Principal, Role
from services.paging import BadCursorError, PageSizeError

READERS = (Role.AREA_ADMIN, Role.DEPT_HANDLER, Role.WINDOW_STAFF, Role.SYSTEM)


def _name_contains() -> Any:
    return strawberry.field(
        default=None, description="only names holding this text (exactly, character for character)"
    )


@strawberry.input(description="Narrows `regions`; every field given must hold")
class RegionFilter:
    parent_code: str | None = strawberry.field(
        default=None, description="only the regions directly below this one"
    )
    code: str | None = strawberry.field(default=None, description="only this region")
    name_contains: str | None = _name_contains()


@strawberry.input(description="Narrows `halls`; every field given must hold")
class HallFilter:
    region_code: str | None = strawberry.field(
        default=None, description="halls in this region or any region below it"
    )
    name_contains: str | None = _name_contains()


@strawberry.input(description="Narrows `departments`; every field given must hold")
class DepartmentFilter:
    region_code: str | None = strawberry.field(
        default=None, description="departments of this region or any region below it"
    )
    name_contains: str | None = _name_contains()


@strawberry.input(description="Narrows `windows`; every field given must hold")
class WindowFilter:
    hall_code: str | None = None
    department_code: str | None = None
    region_code: str | None = strawberry.field(
        default=None,
        description="windows whose department or hall is in this region or one below it",
    )
    name_contains: str | None = _name_contains()


@strawberry.input(description="Narrows `staff`; every field given must hold")
class StaffFilter:
    department_code: str | None = strawberry.field(
        default=None, description="staff of this department"
    )
    window_code: str | None = strawberry.field(
        default=None, description="staff who serve at this window"
    )
    region_code: str | None = strawberry.field(
        default=None,
        description="staff whose department, or a window they serve at, is in this region "
        "or one below it",
    )
    name_contains: str | None = _name_contains()


@strawberry.type
class _Listed:
    page_info: PageInfo
    kind: strawberry.Private[reference.Kind]
    viewer: strawberry.Private[Principal]
    wanted: strawberry.Private[reference.Filter]

    @strawberry.field(description="Everything the caller may see with this filter, all pages")
    async def total_count(self) -> int:
        return await reference.count(self.kind, viewer=self.viewer, wanted=self.wanted)


@strawberry.type(description="Regions, by code")
class RegionConnection(_Listed):
    nodes: list[Region]


@strawberry.type(description="Halls, by code")
class HallConnection(_Listed):
    nodes: list[Hall]


@strawberry.type(description="Departments, by code")
class DepartmentConnection(_Listed):
    nodes: list[Department]


@strawberry.type(description="Windows, by code")
class WindowConnection(_Listed):
    nodes: list[Window]


@strawberry.type(description="Staff, by code")
class StaffConnection(_Listed):
    nodes: list[Staff]


def _wanted(given: object | None) -> reference.Filter:
    """The filter as the service takes it: codes trimmed, empty text ignored."""
    fields: dict[str, Any] = {}
    for name in reference.Filter.__dataclass_fields__:
        value = getattr(given, name, None)
        if isinstance(value, str):
            refuse_nul(value)
            value = value.strip() or None
        fields[name] = value
    return reference.Filter(**fields)


async def _page(
    info: Info[Context, None],
    kind: reference.Kind,
    given: object | None,
    first: int,
    after: str | None,
) -> tuple[reference.Page, dict[str, Any]]:
    viewer = info.context.require(*READERS)
    wanted = _wanted(given)
    if after is not None:
        refuse_nul(after)
    try:
        page = await reference.listing(kind, viewer=viewer, wanted=wanted, first=first, after=after)
    except (BadCursorError, PageSizeError, reference.FilterTooLongError) as exc:
        raise BadInputError(str(exc)) from None
    listed = {
        "page_info": PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        "kind": kind,
        "viewer": viewer,
        "wanted": wanted,
    }
    return page, listed


async def regions(
    info: Info[Context, None],
    filter: RegionFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> RegionConnection:
    """区划: the caller's regions, by code."""
    page, listed = await _page(info, "region", filter, first, after)
    return RegionConnection(nodes=[Region(code=n.code, name=n.name) for n in page.nodes], **listed)


async def halls(
    info: Info[Context, None],
    filter: HallFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> HallConnection:
    """大厅: the halls in the caller's scope, by code."""
    page, listed = await _page(info, "hall", filter, first, after)
    return HallConnection(nodes=[Hall(code=n.code, name=n.name) for n in page.nodes], **listed)


async def departments(
    info: Info[Context, None],
    filter: DepartmentFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> DepartmentConnection:
    """部门: the departments in the caller's scope, by code."""
    page, listed = await _page(info, "department", filter, first, after)
    return DepartmentConnection(
        nodes=[Department(code=n.code, name=n.name) for n in page.nodes], **listed
    )


async def windows(
    info: Info[Context, None],
    filter: WindowFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> WindowConnection:
    """窗口: the windows in the caller's scope, by code."""
    page, listed = await _page(info, "window", filter, first, after)
    return WindowConnection(nodes=[Window(code=n.code, name=n.name) for n in page.nodes], **listed)


async def staff(
    info: Info[Context, None],
    filter: StaffFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> StaffConnection:
    """工作人员: the staff in the caller's scope, by code."""
    page, listed = await _page(info, "staff", filter, first, after)
    return StaffConnection(nodes=[Staff(code=n.code, name=n.name) for n in page.nodes], **listed)
