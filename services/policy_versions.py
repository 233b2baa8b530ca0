"""Reading the published policies for policy staff: the versions, what changed between
two of them (in words), and the active policy with its scenarios for the workbench."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.db import connection
from models.stores import policy_versions as store
from models.stores.policy_versions import VersionEntry
from rules import Engine, parse_bounded
from rules.diff import Change, diff
from rules.scenarios import scenarios_path


@dataclass(frozen=True)
class VersionDiff:
    before: VersionEntry
    after: VersionEntry
    changes: list[Change]


@dataclass(frozen=True)
class ActivePolicy:
    id: int | None  # the stored version (None: nothing stored yet)
    version: str
    text: str
    scenarios: str


async def versions(limit: int) -> list[VersionEntry]:
    return await store.entries(connection(), max(1, min(limit, 500)))


async def version_diff(before_id: int, after_id: int, lang: str) -> VersionDiff | None:
    """None when either version does not exist."""
    conn = connection()
    before, after = await store.find(conn, before_id), await store.find(conn, after_id)
    if before is None or after is None:
        return None
    (before_entry,) = await store.entries(conn, 1, only=before_id)
    (after_entry,) = await store.entries(conn, 1, only=after_id)
    old = await parse_bounded(before.content, f"<version {before_id}>")
    new = await parse_bounded(after.content, f"<version {after_id}>")
    return VersionDiff(before_entry, after_entry, diff(old, new, lang))


async def active_policy(engine: Engine, path: Path) -> ActivePolicy:
    """The policy this worker serves, with the scenarios it was published with (those
    beside the rules file when it was never stored)."""
    source = engine.source
    stored = await store.history(connection(), 1)
    version_id, scenarios = None, ""
    if stored and stored[0].digest == source.digest:
        version_id, scenarios = stored[0].id, stored[0].scenarios
    if not scenarios:
        beside = scenarios_path(path)
        scenarios = beside.read_text(encoding="utf-8") if beside.exists() else ""
    return ActivePolicy(version_id, source.version, source.text, scenarios)
