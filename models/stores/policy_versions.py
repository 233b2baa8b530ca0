"""The store of the published policies (models.policy_versions): record an activation,
read the history the engine's effective dates are built from, list and find versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from models.db import as_utc, dialect, execute, fetch

# One activation at a time across processes (two workers adopting the same edited file).
_ACTIVATION_LOCK = 0x68637072_756C6573  # "hcprules"


@dataclass(frozen=True)
class StoredVersion:
    id: int
    digest: str
    label: str
    content: str
    scenarios: str
    effective_from: datetime | None


@dataclass(frozen=True)
class VersionEntry:
    """A version as the history lists it: when, by whom, why and how it was first made
    active, and whether it is the active one now."""

    id: int
    digest: str
    label: str
    effective_from: datetime | None
    published_at: datetime
    published_by: str
    note: str
    via: str
    active: bool


@dataclass(frozen=True)
class NewActivation:
    digest: str
    label: str
    content: str
    scenarios: str
    effective_from: datetime | None
    at: datetime
    by: str
    note: str
    via: str


async def record_activation(conn: BaseDBAsyncClient, new: NewActivation) -> tuple[int, bool]:
    """Store the version (once per text) and, unless it is already the active one, its
    activation. Returns the version's id and whether an activation was recorded. Run in
    the caller's transaction."""
    if dialect(conn) == "postgres":
        await fetch(conn, "SELECT pg_advisory_xact_lock(?) AS held", [_ACTIVATION_LOCK])
    at = new.at.astimezone(UTC)
    await execute(
        conn,
        "INSERT INTO policy_version (digest, label, content, scenarios, effective_from, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
        [new.digest, new.label, new.content, new.scenarios, new.effective_from, at],
    )
    rows = await fetch(conn, "SELECT id FROM policy_version WHERE digest = ?", [new.digest])
    version_id = int(rows[0]["id"])
    if await active_version_id(conn) == version_id:
        return version_id, False
    await execute(
        conn,
        "INSERT INTO policy_activation (version_id, activated_at, activated_by, note, via) "
        "VALUES (?, ?, ?, ?, ?)",
        [version_id, at, new.by, new.note, new.via],
    )
    return version_id, True


async def active_version_id(conn: BaseDBAsyncClient) -> int | None:
    rows = await fetch(
        conn, "SELECT version_id FROM policy_activation ORDER BY id DESC LIMIT 1", []
    )
    return int(rows[0]["version_id"]) if rows else None


async def active_since(conn: BaseDBAsyncClient) -> datetime | None:
    """When the active version was made active (None: nothing stored)."""
    rows = await fetch(
        conn, "SELECT activated_at FROM policy_activation ORDER BY id DESC LIMIT 1", []
    )
    return as_utc(rows[0]["activated_at"]) if rows else None


async def history(conn: BaseDBAsyncClient, limit: int) -> list[StoredVersion]:
    """The versions of the last `limit` activations, newest first (a version once per
    activation: a rollback brings it back as the newest)."""
    rows = await fetch(
        conn,
        "SELECT v.id, v.digest, v.label, v.content, v.scenarios, v.effective_from "
        "FROM policy_activation a JOIN policy_version v ON v.id = a.version_id "
        "ORDER BY a.id DESC LIMIT ?",
        [limit],
    )
    return [_stored(row) for row in rows]


async def find(conn: BaseDBAsyncClient, version_id: int) -> StoredVersion | None:
    rows = await fetch(
        conn,
        "SELECT id, digest, label, content, scenarios, effective_from FROM policy_version "
        "WHERE id = ?",
        [version_id],
    )
    return _stored(rows[0]) if rows else None


async def entries(
    conn: BaseDBAsyncClient, limit: int, *, only: int | None = None
) -> list[VersionEntry]:
    """The versions, the most recently activated first, each with its first activation
    (`only`: that version alone)."""
    active = await active_version_id(conn)
    where, args = ("WHERE v.id = ? ", [only]) if only is not None else ("", [])
    rows = await fetch(
        conn,
        "SELECT v.id, v.digest, v.label, v.effective_from, f.activated_at, f.activated_by, "  # noqa: S608
        "f.note, f.via FROM policy_version v "
        "JOIN policy_activation f ON f.id = (SELECT min(id) FROM policy_activation "
        f"WHERE version_id = v.id) {where}"
        "ORDER BY (SELECT max(id) FROM policy_activation WHERE version_id = v.id) DESC "
        "LIMIT ?",
        [*args, limit],
    )
    return [
        VersionEntry(
            id=int(row["id"]),
            digest=str(row["digest"]),
            label=str(row["label"]),
            effective_from=as_utc(row["effective_from"]),
            published_at=as_utc(row["activated_at"]) or datetime.min.replace(tzinfo=UTC),
            published_by=str(row["activated_by"]),
            note=str(row["note"]),
            via=str(row["via"]),
            active=int(row["id"]) == active,
        )
        for row in rows
    ]


def _stored(row: dict[str, object]) -> StoredVersion:
    return StoredVersion(
        id=int(str(row["id"])),
        digest=str(row["digest"]),
        label=str(row["label"]),
        content=str(row["content"]),
        scenarios=str(row["scenarios"]),
        effective_from=as_utc(row["effective_from"]),  # type: ignore[arg-type]
    )
