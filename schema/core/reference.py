"""Reference data as the API shows it: regions, halls, departments, windows and staff.

Each object carries its code and name; what it leads to (a window's hall, a region's parent)
is looked up when asked for, batched per response, so the same types serve a case's window
and the `windows` list. All of it is public reference data: staff names are on the scan
page; nothing here is an applicant's.
"""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from services.cases import Named

_T = TypeVar("_T")


@strawberry.type(description="区划")
class Region:
    code: str
    name: str

    @strawberry.field(description="The region this one is part of; null for a top region")
    async def parent(self, info: Info[Context, None]) -> Region | None:
        found = await info.context.reference.related("region_parent", self.code)
        return _one(Region, found)

    @strawberry.field(description="How many regions are directly below this one")
    async def child_count(self, info: Info[Context, None]) -> int:
        return await info.context.reference.tally("region_children", self.code)


@strawberry.type(description="大厅")
class Hall:
    code: str
    name: str

    @strawberry.field(description="The region the hall is in, if recorded")
    async def region(self, info: Info[Context, None]) -> Region | None:
        return _one(Region, await info.context.reference.related("hall_region", self.code))

    @strawberry.field(description="How many windows the hall has")
    async def window_count(self, info: Info[Context, None]) -> int:
        return await info.context.reference.tally("hall_windows", self.code)


@strawberry.type(description="部门")
class Department:
    code: str
    name: str

    @strawberry.field(description="The region the department serves")
    async def region(self, info: Info[Context, None]) -> Region:
        return _the(Region, await info.context.reference.related("department_region", self.code))


@strawberry.type(description="窗口")
class Window:
    code: str
    name: str

    @strawberry.field(description="The hall the window is in, if recorded")
    async def hall(self, info: Info[Context, None]) -> Hall | None:
        return _one(Hall, await info.context.reference.related("window_hall", self.code))

    @strawberry.field(description="The department responsible for the window")
    async def department(self, info: Info[Context, None]) -> Department:
        found = await info.context.reference.related("window_department", self.code)
        return _the(Department, found)

    @strawberry.field(description="The staff who serve at this window, by code")
    async def staff(self, info: Info[Context, None]) -> list[Staff]:
        found = await info.context.reference.related("window_staff", self.code)
        return [Staff(code=s.code, name=s.name) for s in found]


@strawberry.type(description="工作人员")
class Staff:
    code: str
    name: str

    @strawberry.field(description="The department the staff member belongs to")
    async def department(self, info: Info[Context, None]) -> Department:
        found = await info.context.reference.related("staff_department", self.code)
        return _the(Department, found)

    @strawberry.field(description="The windows the staff member serves at, by code")
    async def windows(self, info: Info[Context, None]) -> list[Window]:
        found = await info.context.reference.related("staff_windows", self.code)
        return [Window(code=w.code, name=w.name) for w in found]


def _one(kind: type[_T], found: list[Named]) -> _T | None:
    return kind(code=found[0].code, name=found[0].name) if found else None  # type: ignore[call-arg]


def _the(kind: type[_T], found: list[Named]) -> _T:
    """The one row a required foreign key leads to."""
    [row] = found
    return kind(code=row.code, name=row.name)  # type: ignore[call-arg]
