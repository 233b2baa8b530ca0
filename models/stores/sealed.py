"""The rows that hold sealed personal data (applicant, sms_outbox) as key rotation reads
and rewrites them: by key, in id order, locked on PostgreSQL while a batch moves them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import connection, dialect, fetch, row_source

SealedTable = Literal["applicant", "sms_outbox"]


async def keys_elsewhere(table: SealedTable, active: str) -> dict[str, int]:
    """How many rows of `table` each key other than `active` seals."""
    rows = await fetch(
        connection(),
        f"SELECT key_id, COUNT(*) AS n FROM {table} WHERE key_id <> ? GROUP BY key_id",  # noqa: S608
        [active],
    )
    return {row["key_id"]: int(row["n"]) for row in rows}


def _lock(conn: BaseDBAsyncClient) -> str:
    # SQLite runs one writer at a time; PostgreSQL must keep intake off the batch's rows.
    return " FOR UPDATE" if dialect(conn) == "postgres" else ""


# What rotation reads of each table's rows: the sealed values and what names their key.
_SEALED_COLUMNS: dict[SealedTable, str] = {
    "applicant": "id, id_number_hash, phone_hash, name_enc, id_number_enc, phone_enc, key_id",
    "sms_outbox": "id, phone_enc, key_id",
}


async def rows_after(
    conn: BaseDBAsyncClient, table: SealedTable, after: int, active: str, limit: int
) -> list[dict[str, Any]]:
    """The next rows of `table` (by id, after `after`) not sealed under `active`, locked."""
    return await fetch(
        conn,
        f"SELECT {_SEALED_COLUMNS[table]} FROM {table} WHERE id > ? AND key_id <> ? "  # noqa: S608
        f"ORDER BY id LIMIT ?{_lock(conn)}",
        [after, active, limit],
    )


async def hash_holders(conn: BaseDBAsyncClient, hashes: Sequence[str]) -> dict[str, int]:
    """The applicant rows that already hold one of `hashes`, by hash."""
    marks = ", ".join("?" * len(hashes))
    rows = await fetch(
        conn,
        f"SELECT id, id_number_hash FROM applicant WHERE id_number_hash IN ({marks})",  # noqa: S608
        hashes,
    )
    return {row["id_number_hash"]: int(row["id"]) for row in rows}


async def rename_rater_keys(
    conn: BaseDBAsyncClient, renamed: Sequence[tuple[str, str]], applicant_ids: Sequence[int]
) -> int:
    """Each old rater key becomes its new key in rating_request and in the ratings of the
    applicants' cases; returns the rows renamed. A request answered under both keys keeps
    its first answer (the one under the old key)."""
    keys, key_args = row_source(conn, ("text", "text"), [list(pair) for pair in renamed])
    ids, id_args = row_source(conn, ("bigint",), [[i] for i in applicant_ids])
    # Read from the new keys, which usually do not exist: an index probe per key.
    await fetch(
        conn,
        f"WITH m (old_key, new_key) AS ({keys}) DELETE FROM rating_request WHERE id IN ("  # noqa: S608
        "SELECT n.id FROM m JOIN rating_request n ON n.rater_key = m.new_key "
        "JOIN rating_request o ON o.rater_key = m.old_key "
        "AND o.client_request_id = n.client_request_id) RETURNING id",
        key_args,
    )
    requests = await fetch(
        conn,
        f"WITH m (old_key, new_key) AS ({keys}) UPDATE rating_request "  # noqa: S608
        "SET rater_key = m.new_key FROM m WHERE rating_request.rater_key = m.old_key "
        "RETURNING rating_request.id",
        key_args,
    )
    # rating.rater_key has no index: a rating act is found through a case of the rater's
    # own (every act has one), then all its rows (a batch rating fans out) by act_id.
    ratings = await fetch(
        conn,
        f"WITH ids (id) AS ({ids}), m (old_key, new_key) AS ({keys}), "  # noqa: S608
        "acts AS (SELECT DISTINCT r.act_id, m.old_key, m.new_key FROM ids "
        "JOIN case_record c ON c.applicant_id = ids.id JOIN rating r ON r.case_id = c.id "
        "JOIN m ON m.old_key = r.rater_key) "
        "UPDATE rating SET rater_key = acts.new_key FROM acts "
        "WHERE rating.act_id = acts.act_id AND rating.rater_key = acts.old_key "
        "RETURNING rating.id",
        [*id_args, *key_args],
    )
    return len(requests) + len(ratings)


_APPLICANT_TYPES = ("bigint", "text", "text", "text", "text", "text")


async def reseal_applicants(
    conn: BaseDBAsyncClient, rows: Sequence[Sequence[Any]], active: str
) -> None:
    """`rows`: (id, id_number_hash, phone_hash, name_enc, id_number_enc, phone_enc), all
    sealed and hashed under `active`."""
    if not rows:
        return
    source, args = row_source(conn, _APPLICANT_TYPES, [list(row) for row in rows])
    await fetch(
        conn,
        "WITH m (id, id_number_hash, phone_hash, name_enc, id_number_enc, phone_enc) AS "  # noqa: S608
        f"({source}) UPDATE applicant SET id_number_hash = m.id_number_hash, "
        "phone_hash = m.phone_hash, name_enc = m.name_enc, id_number_enc = m.id_number_enc, "
        "phone_enc = m.phone_enc, key_id = ? FROM m WHERE applicant.id = m.id "
        "RETURNING applicant.id",
        [*args, active],
    )


async def fold_applicants(conn: BaseDBAsyncClient, folds: Sequence[Sequence[Any]]) -> None:
    """`folds`: (id, into_id, phone_enc, phone_hash). The cases of each row go to the row
    kept, so does its phone when the kept row has none, and the row goes."""
    if not folds:
        return
    source, args = row_source(
        conn, ("bigint", "bigint", "text", "text"), [list(fold) for fold in folds]
    )
    head = f"WITH f (id, into_id, phone_enc, phone_hash) AS ({source}) "
    await fetch(
        conn,
        f"{head}UPDATE case_record SET applicant_id = f.into_id FROM f "  # noqa: S608
        "WHERE case_record.applicant_id = f.id RETURNING case_record.id",
        args,
    )
    await fetch(
        conn,
        f"{head}UPDATE applicant SET phone_enc = f.phone_enc, phone_hash = f.phone_hash "  # noqa: S608
        "FROM f WHERE applicant.id = f.into_id AND applicant.phone_enc IS NULL "
        "AND f.phone_enc IS NOT NULL RETURNING applicant.id",
        args,
    )
    await fetch(
        conn,
        f"{head}DELETE FROM applicant WHERE id IN (SELECT id FROM f) RETURNING id",  # noqa: S608
        args,
    )


async def reseal_messages(
    conn: BaseDBAsyncClient, rows: Sequence[tuple[int, str]], active: str
) -> None:
    """`rows`: (id, phone_enc sealed under `active`)."""
    source, args = row_source(conn, ("bigint", "text"), [list(row) for row in rows])
    await fetch(
        conn,
        f"WITH m (id, phone_enc) AS ({source}) UPDATE sms_outbox "  # noqa: S608
        "SET phone_enc = m.phone_enc, key_id = ? FROM m WHERE sms_outbox.id = m.id "
        "RETURNING sms_outbox.id",
        [*args, active],
    )
