"""Reference data as an import reads and writes it: every kind's rows by code, with
references as codes, and the upsert of a kind's changed rows in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import dialect, execute, fetch, row_source

CHUNK = 1000
Values = dict[str, Any]

_CURRENT = {
    "regions": "SELECT r.code, r.name, p.code AS parent FROM region r "
    "LEFT JOIN region p ON p.id = r.parent_id",
    "departments": "SELECT d.code, d.name, r.code AS region FROM department d "
    "JOIN region r ON r.id = d.region_id",
    "halls": "SELECT h.code, h.name, r.code AS region FROM hall h "
    "LEFT JOIN region r ON r.id = h.region_id",
    "windows": "SELECT w.code, w.name, h.code AS hall, d.code AS department "
    "FROM service_window w LEFT JOIN hall h ON h.id = w.hall_id "
    "JOIN department d ON d.id = w.department_id",
    "staff": "SELECT s.code, s.name, d.code AS department FROM staff s "
    "JOIN department d ON d.id = s.department_id",
    "matters": "SELECT code, name, type FROM matter",
}


async def current_rows(conn: BaseDBAsyncClient) -> dict[str, dict[str, Values]]:
    """Every kind's rows as they are, by code, with references as codes."""
    current = {}
    for kind, sql in _CURRENT.items():
        rows = await fetch(conn, sql)
        current[kind] = {row["code"]: {k: v for k, v in row.items() if k != "code"} for row in rows}
    links = await fetch(
        conn,
        "SELECT s.code AS staff, w.code AS window FROM staff_window sw "
        "JOIN staff s ON s.id = sw.staff_id JOIN service_window w ON w.id = sw.window_id",
    )
    served: dict[str, set[str]] = {}
    for link in links:
        served.setdefault(link["staff"], set()).add(link["window"])
    for code, values in current["staff"].items():
        values["windows"] = tuple(sorted(served.get(code, ())))
    return current


# What each kind writes: (column, field, PostgreSQL type, referred table or None).
_WRITES: dict[str, tuple[tuple[str, str, str, str | None], ...]] = {
    "regions": (("name", "name", "text", None), ("parent_id", "parent", "int", "region")),
    "departments": (("name", "name", "text", None), ("region_id", "region", "int", "region")),
    "halls": (("name", "name", "text", None), ("region_id", "region", "int", "region")),
    "windows": (
        ("name", "name", "text", None),
        ("hall_id", "hall", "int", "hall"),
        ("department_id", "department", "int", "department"),
    ),
    "staff": (("name", "name", "text", None), ("department_id", "department", "int", "department")),
    "matters": (("name", "name", "text", None), ("type", "type", "text", None)),
}


async def write_kind(
    kind: str,
    table: str,
    changed: dict[str, Values],
    db: dict[str, Values],
    progress: Callable[[str, int, int], None] | None,
) -> None:
    """One transaction per kind; a region's parent may be a region of this same import,
    so new regions are inserted first and their parents set with the rest."""
    codes = sorted(changed)
    columns = _WRITES[kind]
    async with in_transaction() as conn:
        if kind == "regions":
            new = [[code, changed[code]["name"]] for code in codes if code not in db]
            for part in _chunks(new):
                source, args = row_source(conn, ("text", "text"), part)
                await execute(
                    conn,
                    f"INSERT INTO region (code, name) {source} ON CONFLICT (code) DO NOTHING",
                    args,
                )
        ids = {table: await _ids(conn, table) for _, _, _, table in columns if table}
        names = ", ".join(["code", *(c for c, *_ in columns)])
        sets = ", ".join(f"{c} = excluded.{c}" for c, *_ in columns)
        types = ("text", *(t for _, _, t, _ in columns))
        for done, part in _numbered_chunks(codes):
            rows = [
                [code, *(_value(changed[code][f], ids.get(t or "")) for _, f, _, t in columns)]
                for code in part
            ]
            source, args = row_source(conn, types, rows)
            await execute(
                conn,
                f"INSERT INTO {table} ({names}) {source} ON CONFLICT (code) DO UPDATE SET {sets}",
                args,
            )
            if progress:
                progress(f"{kind} written", done, len(codes))
        if kind == "staff":
            await _write_staff_windows(conn, changed, db)


def _value(value: Any, ids: dict[str, int] | None) -> Any:
    if ids is None or value is None:
        return value
    return ids[value]


async def _write_staff_windows(
    conn: BaseDBAsyncClient, changed: dict[str, Values], db: dict[str, Values]
) -> None:
    """A listed set of windows replaces the member's set; no windows column leaves it."""
    listed = {
        code: values["windows"]
        for code, values in changed.items()
        if values.get("windows") is not None
        and values["windows"] != (db.get(code) or {}).get("windows", ())
    }
    if not listed:
        return
    staff_ids = await _ids(conn, "staff")
    window_ids = await _ids(conn, "service_window")
    members = [staff_ids[code] for code in sorted(listed)]
    for part in _chunks(members):
        if dialect(conn) == "postgres":
            await execute(conn, "DELETE FROM staff_window WHERE staff_id = ANY(?::int[])", [part])
        else:
            marks = ", ".join("?" * len(part))
            await execute(conn, f"DELETE FROM staff_window WHERE staff_id IN ({marks})", part)  # noqa: S608
    pairs = [[staff_ids[s], window_ids[w]] for s in sorted(listed) for w in listed[s]]
    for part in _chunks(pairs):
        source, args = row_source(conn, ("int", "int"), part)
        await execute(conn, f"INSERT INTO staff_window (staff_id, window_id) {source}", args)


async def _ids(conn: BaseDBAsyncClient, table: str) -> dict[str, int]:
    rows = await fetch(conn, f"SELECT id, code FROM {table}")  # noqa: S608 - table is ours
    return {row["code"]: int(row["id"]) for row in rows}


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _numbered_chunks(items: Sequence[Any]) -> Iterator[tuple[int, Sequence[Any]]]:
    for start in range(0, len(items), CHUNK):
        part = items[start : start + CHUNK]
        yield start + len(part), part
