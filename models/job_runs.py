"""The store of `job_run` (models.operations.JobRun): a background job's last pass, written
by the process running it and read by every other (/healthz, `hcp doctor`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from models.db import as_utc, connection, execute, fetch


@dataclass(frozen=True)
class LastRun:
    holder: str
    started_at: datetime | None
    completed_at: datetime | None
    interval_seconds: float


async def record_start(name: str, *, holder: str, interval_seconds: float, at: datetime) -> None:
    """A pass began. The last completion and its report stay until this pass completes, so
    readers always see the last pass that did complete."""
    await execute(
        connection(),
        "INSERT INTO job_run (name, holder, started_at, completed_at, interval_seconds, report) "
        "VALUES (?, ?, ?, NULL, ?, '{}') ON CONFLICT (name) DO UPDATE SET "
        "holder = excluded.holder, started_at = excluded.started_at, "
        "interval_seconds = excluded.interval_seconds",
        [name, holder, at.astimezone(UTC), interval_seconds],
    )


async def record_completion(name: str, *, holder: str, at: datetime, report: str) -> None:
    await execute(
        connection(),
        "UPDATE job_run SET holder = ?, completed_at = ?, report = ? WHERE name = ?",
        [holder, at.astimezone(UTC), report, name],
    )


async def last_run(name: str) -> LastRun | None:
    rows = await fetch(
        connection(),
        "SELECT holder, started_at, completed_at, interval_seconds FROM job_run WHERE name = ?",
        [name],
    )
    if not rows:
        return None
    row = rows[0]
    return LastRun(
        holder=str(row["holder"]),
        started_at=as_utc(row["started_at"]),
        completed_at=as_utc(row["completed_at"]),
        interval_seconds=float(row["interval_seconds"]),
    )
