"""Reading the reference data (regions, halls, departments, windows, staff) for the staff
who run it, scoped like cases are: an area admin reads its region and every region below,
department staff their department's, the system everything (models.stores.reference
reads them).

A list is the intersection of the viewer's scope and the filter: a filter that reaches
outside the scope (another city's region, another department) gives an empty page, never an
error, so codes cannot be probed. Lists are ordered by code in code-point order on both
databases, and paged by the last code seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.stores import reference as store
from models.stores.reference import Filter, Kind, Relation, Tally
from models.stores.scope import Reach, Scope
from services.cases import Named
from services.identity import Principal, Role
from services.paging import check_first, decode_cursor, encode_cursor, split_page

# The longest text a filter takes: codes are at most 64 characters in the tables, names 128.
MAX_CODE = 64
MAX_NAME = 128


class FilterTooLongError(Exception):
    """A filter's text is longer than any code or name it could match."""


@dataclass(frozen=True)
class Page:
    nodes: list[Named]
    has_next_page: bool
    end_cursor: str | None


_LIMITS = (
    ("code", "code", MAX_CODE),
    ("parent_code", "parentCode", MAX_CODE),
    ("region_code", "regionCode", MAX_CODE),
    ("hall_code", "hallCode", MAX_CODE),
    ("department_code", "departmentCode", MAX_CODE),
    ("window_code", "windowCode", MAX_CODE),
    ("name_contains", "nameContains", MAX_NAME),
)


def check_filter(wanted: Filter) -> None:
    for field, shown, limit in _LIMITS:
        if len(getattr(wanted, field) or "") > limit:
            raise FilterTooLongError(f"filter.{shown} is longer than {limit} characters")


def reach_of(viewer: Principal) -> Scope:
    """The reference data the viewer may read."""
    if viewer.role is Role.SYSTEM:
        return Scope(Reach.ALL)
    if viewer.role is Role.AREA_ADMIN and viewer.region_code:
        return Scope(Reach.REGION, viewer.region_code)
    if viewer.role in (Role.DEPT_HANDLER, Role.WINDOW_STAFF) and viewer.department_code:
        return Scope(Reach.DEPARTMENT, viewer.department_code)
    return Scope(Reach.NONE)


async def listing(
    kind: Kind, *, viewer: Principal, wanted: Filter, first: int, after: str | None
) -> Page:
    """One page of the kind's rows the viewer may see and the filter asks for, by code."""
    check_first(first)
    check_filter(wanted)
    last = decode_cursor(after, kind, _unhex)[0] if after else None
    rows = await store.page_of(kind, reach_of(viewer), wanted, last, first + 1)
    page, more = split_page(rows, first)
    nodes = [Named(code, name) for code, name in page]
    end = encode_cursor(kind, nodes[-1].code.encode().hex()) if nodes else None
    return Page(nodes=nodes, has_next_page=more, end_cursor=end)


async def count(kind: Kind, *, viewer: Principal, wanted: Filter) -> int:
    """How many rows of the kind the viewer may see and the filter asks for."""
    check_filter(wanted)
    return await store.count_of(kind, reach_of(viewer), wanted)


def _unhex(text: str) -> str:
    return bytes.fromhex(text).decode()


async def related(relation: Relation, codes: Sequence[str]) -> dict[str, list[Named]]:
    """For each code, what it leads to by `relation`, ordered by code."""
    found: dict[str, list[Named]] = {code: [] for code in codes}
    for key, code, name in await store.related(relation, codes):
        found[key].append(Named(code, name))
    return found


async def tally(what: Tally, codes: Sequence[str]) -> dict[str, int]:
    """For each code, how many rows it holds (children of a region, windows of a hall)."""
    found = await store.tally(what, codes)
    return {code: found.get(code, 0) for code in codes}


__all__ = ["Filter", "FilterTooLongError", "Kind", "Page", "Relation", "Tally"]
