"""The reference data (regions, halls, departments, windows, staff) as the staff who run
it read it: lists scoped like cases are, and what a row leads to, for many rows at once.

Subtrees are walked with a recursive CTE over `region.parent_id` (the tree is explicit;
GB/T 2260 code prefixes are not relied on). Lists are ordered by code in code-point order
on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from models.db import connection, dialect, fetch
from models.stores.scope import Reach, Scope

Kind = Literal["region", "hall", "department", "window", "staff"]


@dataclass(frozen=True)
class Filter:
    """What the caller narrows a list to; each list reads the fields it has."""

    code: str | None = None
    parent_code: str | None = None
    region_code: str | None = None
    hall_code: str | None = None
    department_code: str | None = None
    window_code: str | None = None
    name_contains: str | None = None


_TABLES: dict[Kind, str] = {
    "region": "region r",
    "hall": "hall h",
    "department": "department d",
    "window": "service_window w",
    "staff": "staff s",
}
_ALIAS: dict[Kind, str] = {
    "region": "r",
    "hall": "h",
    "department": "d",
    "window": "w",
    "staff": "s",
}


# The statement's region trees: the viewer's (an area admin's scope) and the filter's
# (`regionCode`), each walked once per statement, however often the conditions read it.
_SCOPE_TREE = "scope_tree"
_WANTED_TREE = "wanted_tree"


def _tree(name: str) -> str:
    """A CTE: the ids of the region with code `?` and of every region below it."""
    return (
        f"{name}(id) AS (SELECT id FROM region WHERE code = ? "  # noqa: S608
        f"UNION SELECT c.id FROM region c JOIN {name} ON c.parent_id = {name}.id)"
    )


def _window_in_region(w: str, tree: str) -> str:
    """A window is in a region when its department or its hall is (a district hall may
    house a window of a city department)."""
    return (
        f"({w}.department_id IN (SELECT id FROM department WHERE region_id IN "  # noqa: S608
        f"(SELECT id FROM {tree})) "
        f"OR {w}.hall_id IN (SELECT id FROM hall WHERE region_id IN (SELECT id FROM {tree})))"
    )


def _in_region(kind: Kind, tree: str) -> str:
    """SQL condition over the kind's alias: the row is in the region tree `tree`."""
    if kind == "region":
        return f"r.id IN (SELECT id FROM {tree})"  # noqa: S608
    if kind in ("hall", "department"):
        return f"{_ALIAS[kind]}.region_id IN (SELECT id FROM {tree})"  # noqa: S608
    if kind == "window":
        return _window_in_region("w", tree)
    # Staff belong to a region through their department, or through a window they serve.
    return (
        f"(s.department_id IN (SELECT id FROM department WHERE region_id IN "  # noqa: S608
        f"(SELECT id FROM {tree})) "
        "OR s.id IN (SELECT sw.staff_id FROM staff_window sw "
        f"JOIN service_window w2 ON w2.id = sw.window_id WHERE {_window_in_region('w2', tree)}))"
    )


_DEPARTMENT_ID = "(SELECT id FROM department WHERE code = ?)"
# What department staff see: their department, its windows, the staff of the department
# and those serving at its windows, the halls holding its windows, and the regions of the
# department and of those halls.
_OF_DEPARTMENT: dict[Kind, tuple[str, int]] = {
    "region": (
        f"(r.id IN (SELECT region_id FROM department WHERE code = ?) "  # noqa: S608
        "OR r.id IN (SELECT h2.region_id FROM hall h2 JOIN service_window w2 "
        f"ON w2.hall_id = h2.id WHERE w2.department_id = {_DEPARTMENT_ID}))",
        2,
    ),
    "hall": (
        f"h.id IN (SELECT hall_id FROM service_window WHERE department_id = {_DEPARTMENT_ID})",  # noqa: S608
        1,
    ),
    "department": ("d.code = ?", 1),
    "window": (f"w.department_id = {_DEPARTMENT_ID}", 1),
    "staff": (
        f"(s.department_id = {_DEPARTMENT_ID} OR s.id IN (SELECT sw.staff_id FROM staff_window "  # noqa: S608
        "sw JOIN service_window w2 ON w2.id = sw.window_id "
        f"WHERE w2.department_id = {_DEPARTMENT_ID}))",
        2,
    ),
}


def _scope(kind: Kind, scope: Scope) -> tuple[str, list[Any]]:
    if scope.reach is Reach.ALL:
        return "1 = 1", []
    if scope.reach is Reach.REGION and scope.value:
        return _in_region(kind, _SCOPE_TREE), []
    if scope.reach is Reach.DEPARTMENT and scope.value:
        sql, count = _OF_DEPARTMENT[kind]
        return sql, [scope.value] * count
    return "1 = 0", []


def _filtered(kind: Kind, wanted: Filter, contains: str) -> tuple[list[str], list[Any]]:
    """The filter's conditions (each applies only to the lists that offer it)."""
    where: list[str] = []
    args: list[Any] = []
    x = _ALIAS[kind]
    if kind == "region" and wanted.code is not None:
        where.append("r.code = ?")
        args.append(wanted.code)
    if kind == "region" and wanted.parent_code is not None:
        where.append("r.parent_id = (SELECT id FROM region WHERE code = ?)")
        args.append(wanted.parent_code)
    if kind != "region" and wanted.region_code is not None:
        where.append(_in_region(kind, _WANTED_TREE))
    if kind == "window" and wanted.hall_code is not None:
        where.append("w.hall_id = (SELECT id FROM hall WHERE code = ?)")
        args.append(wanted.hall_code)
    if kind in ("window", "staff") and wanted.department_code is not None:
        where.append(f"{x}.department_id = {_DEPARTMENT_ID}")
        args.append(wanted.department_code)
    if kind == "staff" and wanted.window_code is not None:
        where.append(
            "s.id IN (SELECT sw.staff_id FROM staff_window sw "
            "JOIN service_window w2 ON w2.id = sw.window_id WHERE w2.code = ?)"
        )
        args.append(wanted.window_code)
    if wanted.name_contains:
        where.append(f"{contains}({x}.name, ?) > 0")
        args.append(wanted.name_contains)
    return where, args


def _where(kind: Kind, scope: Scope, wanted: Filter, postgres: bool) -> tuple[str, str, list[Any]]:
    """`WITH RECURSIVE … SELECT … FROM <table> WHERE` up to the conditions, and its arguments."""
    trees: list[str] = []
    args: list[Any] = []
    if scope.reach is Reach.REGION and scope.value:
        trees.append(_tree(_SCOPE_TREE))
        args.append(scope.value)
    if kind != "region" and wanted.region_code is not None:
        trees.append(_tree(_WANTED_TREE))
        args.append(wanted.region_code)
    condition, more = _scope(kind, scope)
    conditions, filtered = _filtered(kind, wanted, "strpos" if postgres else "instr")
    head = f"WITH RECURSIVE {', '.join(trees)} " if trees else ""
    return head, " AND ".join([condition, *conditions]), [*args, *more, *filtered]


def _code(kind: Kind, postgres: bool) -> str:
    # Code-point order on PostgreSQL as on SQLite, whatever the database's collation.
    return f'{_ALIAS[kind]}.code COLLATE "C"' if postgres else f"{_ALIAS[kind]}.code"


async def page_of(
    kind: Kind, scope: Scope, wanted: Filter, after: str | None, limit: int
) -> list[tuple[str, str]]:
    """(code, name) of the kind's rows in `scope` that the filter asks for, by code, after
    the code `after`, at most `limit`."""
    conn = connection()
    postgres = dialect(conn) == "postgres"
    head, where, args = _where(kind, scope, wanted, postgres)
    code = _code(kind, postgres)
    if after is not None:
        where += f" AND {code} > ?"
        args.append(after)
    x = _ALIAS[kind]
    rows = await fetch(
        conn,
        f"{head}SELECT {x}.code, {x}.name FROM {_TABLES[kind]} WHERE {where} "  # noqa: S608
        f"ORDER BY {code} LIMIT ?",
        [*args, limit],
    )
    return [(str(row["code"]), str(row["name"])) for row in rows]


async def count_of(kind: Kind, scope: Scope, wanted: Filter) -> int:
    conn = connection()
    head, where, args = _where(kind, scope, wanted, dialect(conn) == "postgres")
    x = _ALIAS[kind]
    rows = await fetch(
        conn,
        f"{head}SELECT COUNT({x}.id) AS n FROM {_TABLES[kind]} WHERE {where}",  # noqa: S608
        args,
    )
    return int(rows[0]["n"])


# What a reference row leads to, looked up for many rows at once (one query per relation
# and page): `key` is the code of the row asked about, `code` and `name` what it leads to.
Relation = Literal[
    "region_parent",
    "hall_region",
    "department_region",
    "window_hall",
    "window_department",
    "window_staff",
    "staff_department",
    "staff_windows",
]
_RELATIONS: dict[Relation, str] = {
    "region_parent": "SELECT x.code AS key, p.code, p.name FROM region x "
    "JOIN region p ON p.id = x.parent_id",
    "hall_region": "SELECT x.code AS key, p.code, p.name FROM hall x "
    "JOIN region p ON p.id = x.region_id",
    "department_region": "SELECT x.code AS key, p.code, p.name FROM department x "
    "JOIN region p ON p.id = x.region_id",
    "window_hall": "SELECT x.code AS key, p.code, p.name FROM service_window x "
    "JOIN hall p ON p.id = x.hall_id",
    "window_department": "SELECT x.code AS key, p.code, p.name FROM service_window x "
    "JOIN department p ON p.id = x.department_id",
    "window_staff": "SELECT x.code AS key, p.code, p.name FROM service_window x "
    "JOIN staff_window sw ON sw.window_id = x.id JOIN staff p ON p.id = sw.staff_id",
    "staff_department": "SELECT x.code AS key, p.code, p.name FROM staff x "
    "JOIN department p ON p.id = x.department_id",
    "staff_windows": "SELECT x.code AS key, p.code, p.name FROM staff x "
    "JOIN staff_window sw ON sw.staff_id = x.id JOIN service_window p ON p.id = sw.window_id",
}
Tally = Literal["region_children", "hall_windows"]
_TALLIES: dict[Tally, str] = {
    "region_children": "SELECT x.code AS key, COUNT(c.id) AS n FROM region x "
    "JOIN region c ON c.parent_id = x.id",
    "hall_windows": "SELECT x.code AS key, COUNT(c.id) AS n FROM hall x "
    "JOIN service_window c ON c.hall_id = x.id",
}


async def related(relation: Relation, codes: Sequence[str]) -> list[tuple[str, str, str]]:
    """(code asked about, code and name it leads to) by `relation`, ordered by the latter."""
    conn = connection()
    order = 'p.code COLLATE "C"' if dialect(conn) == "postgres" else "p.code"
    rows = await fetch(
        conn,
        f"{_RELATIONS[relation]} WHERE x.code IN ({_marks(codes)}) ORDER BY {order}",
        list(codes),
    )
    return [(str(row["key"]), str(row["code"]), str(row["name"])) for row in rows]


async def tally(what: Tally, codes: Sequence[str]) -> dict[str, int]:
    """How many rows each code that has any holds (children of a region, windows of a hall)."""
    rows = await fetch(
        connection(),
        f"{_TALLIES[what]} WHERE x.code IN ({_marks(codes)}) GROUP BY x.code",
        list(codes),
    )
    return {str(row["key"]): int(row["n"]) for row in rows}


def _marks(codes: Sequence[str]) -> str:
    return ", ".join("?" * len(codes))
