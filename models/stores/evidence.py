"""Evidence files (photos, PDFs) of the bad-rating loop: uploaded first, then attached to
the one work item whose action cites them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import connection, execute, fetch


async def store(
    uploaded_by: str, file_name: str, content_type: str, data: bytes, sha256: str, at: datetime
) -> int:
    rows = await fetch(
        connection(),
        "INSERT INTO evidence (uploaded_by, file_name, content_type, size, sha256, data, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [uploaded_by[:100], file_name[:120], content_type, len(data), sha256, data, at],
    )
    return int(rows[0]["id"])


def _in(ids: Sequence[int]) -> str:
    return ", ".join("?" * len(ids))


async def claimable(conn: BaseDBAsyncClient, ids: Sequence[int], uploaded_by: str) -> int:
    """How many of `ids` the uploader may still attach (theirs, attached to nothing)."""
    unique = sorted(set(ids))
    rows = await fetch(
        conn,
        f"SELECT COUNT(*) AS n FROM evidence WHERE id IN ({_in(unique)}) "  # noqa: S608
        "AND uploaded_by = ? AND work_item_id IS NULL",
        [*unique, uploaded_by[:100]],
    )
    return int(rows[0]["n"])


async def attach(conn: BaseDBAsyncClient, ids: Sequence[int], item_id: int) -> None:
    unique = sorted(set(ids))
    if unique:
        await execute(
            conn,
            f"UPDATE evidence SET work_item_id = ? WHERE id IN ({_in(unique)})",  # noqa: S608
            [item_id, *unique],
        )


async def one(evidence_id: int) -> dict[str, Any] | None:
    """The file with the item it belongs to (None: not attached yet) and its uploader."""
    rows = await fetch(
        connection(),
        "SELECT id, work_item_id, uploaded_by, file_name, content_type, size, sha256, data "
        "FROM evidence WHERE id = ?",
        [evidence_id],
    )
    return rows[0] if rows else None
