"""Writing a rating: the rating rows, the ratings they displace, the cases' effective
rating, and the rater's idempotency answer (rating_request). One transaction, opened by
the caller; on PostgreSQL the whole write is one statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import dialect, execute, fetch, row_source, unnest_source, values_rows
from models.enums import RatingStatus

# The rating's statements have one good plan whatever the case. PostgreSQL would otherwise
# plan the write (an INSERT from unnest() with three UPDATEs in one WITH) afresh on every
# execution: with the rating's SQL alone at c=4 (bench/sql_alone.py, whose job option
# "custom_plans" leaves this statement out), 1,000,000 cases: 1.04-1.07 -> 0.81 ms of
# machine CPU a rating, 1,517-1,577 -> 1,838-1,880 ratings/s.
# LOCAL: the pooled connection goes back with the session default.
GENERIC_PLANS_SQL = "SET LOCAL plan_cache_mode = force_generic_plan"

RATING_COLUMNS = (
    "case_id, act_id, target, level, category, tags, comment, channel, rater_role, rater_key, "
    "rated_at, effective, held_for_review, rules_version, fired_rules"
)
_RATING_TYPES = (
    "bigint",
    "text",
    "text",
    "int",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "boolean",
    "boolean",
    "text",
    "text",
)


async def plan_generically(conn: BaseDBAsyncClient) -> None:
    """For the rest of this transaction (PostgreSQL; nothing to do on SQLite)."""
    if dialect(conn) == "postgres":
        await execute(conn, GENERIC_PLANS_SQL)


async def write_ratings(
    conn: BaseDBAsyncClient,
    act_id: str,
    rows: Sequence[Sequence[Any]],
    answer: tuple[str, str] | None,
    answer_body: str,
) -> tuple[int, bool]:
    """Insert `rows` (one value per RATING_COLUMNS column), make the effective ones their
    cases' rating in place of any other, and (PostgreSQL, in the same statement) store
    `answer_body` with the id filled in as the answer to `answer` (rater key, request id).
    Returns the first new rating's id and whether the answer was stored."""
    if dialect(conn) == "postgres":
        return await _write_postgres(conn, act_id, rows, answer, answer_body), answer is not None
    return await _write_portable(conn, act_id, rows), False


async def _write_portable(
    conn: BaseDBAsyncClient, act_id: str, rows: Sequence[Sequence[Any]]
) -> int:
    """Ratings, displaced ratings and cases in three statements (SQLite)."""
    written = await fetch(
        conn,
        f"INSERT INTO rating ({RATING_COLUMNS}) "  # noqa: S608
        f"VALUES {values_rows(len(_RATING_TYPES), len(rows))} RETURNING id, case_id, effective",
        [v for row in rows for v in row],
    )
    effective = {int(r["case_id"]): int(r["id"]) for r in written if r["effective"]}
    if effective:
        marks = ", ".join("?" * len(effective))
        await execute(
            conn,
            f"UPDATE rating SET effective = ? WHERE case_id IN ({marks}) "  # noqa: S608
            "AND act_id <> ? AND effective = ?",
            [False, *effective, act_id, True],
        )
        for case_id, rating_id in effective.items():
            await execute(
                conn,
                "UPDATE case_record SET effective_rating_id = ?, rating_status = ? WHERE id = ?",
                [rating_id, RatingStatus.RATED.value, case_id],
            )
    return min(int(r["id"]) for r in written)


async def _write_postgres(
    conn: BaseDBAsyncClient,
    act_id: str,
    rows: Sequence[Sequence[Any]],
    answer: tuple[str, str] | None,
    answer_body: str,
) -> int:
    """The ratings, the displaced ratings, the cases and the idempotency answer in one
    statement (one round trip instead of four)."""
    _source, args = row_source(conn, _RATING_TYPES, [list(row) for row in rows])
    rater_key, request_id = answer or ("", "")
    found = await fetch(
        conn,
        WRITE_SQL,
        [*args, act_id, RatingStatus.RATED.value, answer_body, rater_key, request_id],
    )
    return int(found[0]["id"])


_UNNEST = unnest_source(_RATING_TYPES)
# Arguments: one array per rating column (RATING_COLUMNS), the act id, the RATED status,
# the answer's JSON, the rater key and the client request id.
WRITE_SQL = (
    f"WITH ins AS (INSERT INTO rating ({RATING_COLUMNS}) {_UNNEST} "  # noqa: S608
    "RETURNING id, case_id, effective), "
    "displaced AS (UPDATE rating r SET effective = FALSE "
    "WHERE r.case_id IN (SELECT case_id FROM ins WHERE effective) "
    "AND r.act_id <> ? AND r.effective), "
    "cases AS (UPDATE case_record c SET effective_rating_id = ins.id, rating_status = ? "
    "FROM ins WHERE c.id = ins.case_id AND ins.effective), "
    "answered AS (UPDATE rating_request SET response = jsonb_set(?::jsonb, "
    "'{rating,id}', to_jsonb((SELECT min(id) FROM ins)))::text "
    "WHERE rater_key = ? AND client_request_id = ?) "
    "SELECT min(id) AS id FROM ins"
)

CLAIM_SQL = (
    "INSERT INTO rating_request (rater_key, client_request_id, response, created_at) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (rater_key, client_request_id) DO NOTHING RETURNING id"
)
# Gives the request id back when the answer could change: the retry asks again instead of
# being told "not found" forever.
RELEASE_SQL = "DELETE FROM rating_request WHERE rater_key = ? AND client_request_id = ?"


async def claim_request(
    conn: BaseDBAsyncClient, rater_key: str, request_id: str, now: datetime
) -> bool:
    """True when this transaction is the first to answer the request id."""
    rows = await fetch(conn, CLAIM_SQL, [rater_key, request_id, "", now.astimezone(UTC)])
    return bool(rows)


async def stored_answer(conn: BaseDBAsyncClient, rater_key: str, request_id: str) -> str | None:
    """The answer kept for the request id, or None (none, or not written yet)."""
    rows = await fetch(
        conn,
        "SELECT response FROM rating_request WHERE rater_key = ? AND client_request_id = ?",
        [rater_key, request_id],
    )
    return str(rows[0]["response"]) if rows and rows[0]["response"] else None


async def release_request(conn: BaseDBAsyncClient, rater_key: str, request_id: str) -> None:
    await execute(conn, RELEASE_SQL, [rater_key, request_id])


async def keep_answer(conn: BaseDBAsyncClient, rater_key: str, request_id: str, body: str) -> None:
    await execute(
        conn,
        "UPDATE rating_request SET response = ? WHERE rater_key = ? AND client_request_id = ?",
        [body, rater_key, request_id],
    )
