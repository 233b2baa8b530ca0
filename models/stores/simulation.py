"""What the what-if replays (services.simulation): the cases completed in a span, each with
the ratings people gave it and the work items of those ratings, read in chunks of cases by
id so that a year of a million cases never sits in memory at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import fetch, prepare

_CASES = (
    "SELECT id, completed_at FROM case_record WHERE completed_at >= ? AND completed_at < ? "
    "AND id > ? ORDER BY id LIMIT ?"
)
# Defaults are left out: the replay decides them again under each policy.
_RATINGS = (
    "SELECT case_id, id, level, rated_at, held_for_review, appeal_upheld FROM rating "
    "WHERE case_id >= ? AND case_id <= ? AND channel <> 'DEFAULT' ORDER BY case_id, rated_at, id"
)


def _first(action: str) -> str:
    return f"MIN(CASE WHEN e.action = '{action}' THEN e.at END)"


def _any(action: str) -> str:
    return f"MAX(CASE WHEN e.action = '{action}' THEN 1 ELSE 0 END)"


_ITEMS = (
    "SELECT wi.case_id, wi.rating_id, wi.opened_at, wi.status, wi.close_reason, "  # noqa: S608 - constants
    f"wi.confirmed_at, {_first('callback_recorded')} AS called_back_at, "
    f"{_first('rectification_submitted')} AS rectified_at, {_any('appeal_filed')} AS appealed, "
    f"{_any('appeal_decided')} AS appeal_decided, {_any('spot_checked')} AS spot_checked "
    "FROM work_item wi LEFT JOIN work_item_event e ON e.work_item_id = wi.id "
    "WHERE wi.case_id >= ? AND wi.case_id <= ? "
    "GROUP BY wi.id, wi.case_id, wi.rating_id, wi.opened_at, wi.status, wi.close_reason, "
    "wi.confirmed_at ORDER BY wi.id"
)


class StoredRating(NamedTuple):
    id: int
    level: int
    rated_at: datetime
    held: bool
    appeal_upheld: str | None


class StoredItem(NamedTuple):
    opened_at: datetime
    open: bool
    close_reason: str | None
    confirmed_at: datetime | None
    called_back_at: datetime | None
    rectified_at: datetime | None
    appealed: bool
    appeal_decided: bool
    spot_checked: bool


class StoredCase(NamedTuple):
    id: int
    completed_at: datetime
    ratings: list[StoredRating]  # oldest first
    items: dict[int, StoredItem]  # by rating id


async def count_cases(conn: BaseDBAsyncClient, start: datetime, end: datetime) -> int:
    """How many cases were completed in [start, end)."""
    rows = await fetch(
        conn,
        "SELECT count(*) AS n FROM case_record WHERE completed_at >= ? AND completed_at < ?",
        [start, end],
    )
    return int(rows[0]["n"])


async def completed_cases(
    conn: BaseDBAsyncClient, start: datetime, end: datetime, chunk: int
) -> AsyncIterator[list[StoredCase]]:
    """The cases completed in [start, end) with their ratings and work items, at most
    `chunk` cases at a time, by id."""
    after = 0
    while True:
        rows = await _rows(conn, _CASES, [start, end, after, chunk])
        if not rows:
            return
        cases = {r[0]: StoredCase(r[0], _moment(r[1]), [], {}) for r in rows}
        first, after = rows[0][0], rows[-1][0]
        for r in await _rows(conn, _RATINGS, [first, after]):
            case = cases.get(r[0])
            if case is not None:
                case.ratings.append(StoredRating(r[1], r[2], _moment(r[3]), bool(r[4]), r[5]))
        for r in await _rows(conn, _ITEMS, [first, after]):
            case = cases.get(r[0])
            if case is not None:
                case.items[r[1]] = _item(r)
        yield list(cases.values())
        if len(rows) < chunk:
            return


async def _rows(conn: BaseDBAsyncClient, sql: str, args: list[Any]) -> Sequence[Sequence[Any]]:
    """The rows as tuples: a million of them as dicts would cost a second more."""
    _count, rows = await conn.execute_query(prepare(conn, sql), args)
    return rows  # type: ignore[return-value]


def _item(row: Sequence[Any]) -> StoredItem:
    return StoredItem(
        opened_at=_moment(row[2]),
        open=row[3] == "OPEN",
        close_reason=row[4],
        confirmed_at=_maybe(row[5]),
        called_back_at=_maybe(row[6]),
        rectified_at=_maybe(row[7]),
        appealed=bool(row[8]),
        appeal_decided=bool(row[9]),
        spot_checked=bool(row[10]),
    )


def _moment(value: Any) -> datetime:
    """PostgreSQL gives datetimes; SQLite the text Tortoise stored."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _maybe(value: Any) -> datetime | None:
    return None if value is None else _moment(value)
