"""Keeping the statistics current: the refresh recounts the cells the writes marked (a part
of every sweep pass), the rebuild recounts a span of days from the raw rows (`hcp stats
rebuild`, after a repair or to start afresh). Both use the one recount in the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.db import connection
from models.stores import stat_sums
from models.stores import stats as store
from rules import BUSINESS_TZ

CELLS_PER_BATCH = 1000
# A day with this many marked cells is recounted whole: one pass over the day's cases costs
# less than finding each cell's cases again (a sweep that defaults a day's cases marks them
# all; a rating here and there marks a cell).
WHOLE_DAY = 20
# A month with this many marked cells (a bulk import, the migration that marked every case)
# is recounted whole, as a rebuild would: once, rather than a day and a re-sum at a time.
BULK_MONTH = 2000
Progress = Callable[[str, int, int], None]


async def refresh_batch(conn: BaseDBAsyncClient, limit: int = CELLS_PER_BATCH) -> int:
    """Recount at most `limit` marked cells in the caller's transaction; the cells done.
    Batches run one at a time (store.recount_lock): parallel sweep loops queue here."""
    await store.recount_lock(conn)
    bulk = await store.bulk_month(conn, BULK_MONTH)
    if bulk is not None:
        last = bulk.replace(day=_month_end(bulk))
        done = await store.claim_span(conn, bulk, last)
        await store.rebuild_days(
            conn, bulk, last, _midnight(bulk), _midnight(last + timedelta(days=1))
        )
        await stat_sums.resum_span(conn, bulk, last)
        return done
    cells = await store.claim_dirty(conn, limit)
    per_day = Counter(cell.day for cell in cells)
    whole = sorted(day for day, count in per_day.items() if count >= WHOLE_DAY)
    few = [cell for cell in cells if per_day[cell.day] < WHOLE_DAY]
    rest = await store.claim_days(conn, whole)  # the rest of those days' marks: counted now
    if few:
        await store.recount_cells(conn, few)
        await stat_sums.resum_cells(conn, few)
    for first, last in _runs(whole):
        await store.rebuild_days(
            conn, first, last, _midnight(first), _midnight(last + timedelta(days=1))
        )
        await stat_sums.resum_span(conn, first, last)
    return len(cells) + rest


def _month_end(first: date) -> int:
    return ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


async def refresh_all(limit: int = CELLS_PER_BATCH) -> int:
    """Recount every marked cell, a batch per transaction (tests, and after a rebuild)."""
    done = 0
    while True:
        async with in_transaction() as conn:
            count = await refresh_batch(conn, limit)
        done += count
        if count == 0:
            return done


async def lag(now: datetime) -> timedelta:
    """How far behind the figures are: since the oldest change not yet counted."""
    oldest = await store.oldest_mark(connection())
    if oldest is None:
        return timedelta(0)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return max(now - oldest, timedelta(0))


@dataclass(frozen=True)
class RebuildReport:
    days: int
    first: date | None
    last: date | None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), BUSINESS_TZ)


async def rebuild(
    first: date | None = None, last: date | None = None, *, progress: Progress | None = None
) -> RebuildReport:
    """Recount the days first..last (every day with a completed case when not given), a
    month per transaction, so the figures of a month change at once."""
    if first is None or last is None:
        span = await store.case_span(connection())
        if span is None:
            return RebuildReport(0, None, None)
        first = first or span[0].astimezone(BUSINESS_TZ).date()
        last = last or span[1].astimezone(BUSINESS_TZ).date()
    if first > last:
        raise ValueError("the first day is after the last")
    chunks = _months(first, last)
    for done, (start, end) in enumerate(chunks, start=1):
        async with in_transaction() as conn:
            await store.recount_lock(conn)
            await store.rebuild_days(
                conn, start, end, _midnight(start), _midnight(end + timedelta(days=1))
            )
            await stat_sums.resum_span(conn, start, end)
        if progress is not None:
            progress(f"{start:%Y-%m}", done, len(chunks))
    await stat_sums.analyze(connection())
    return RebuildReport((last - first).days + 1, first, last)


def _months(first: date, last: date) -> list[tuple[date, date]]:
    chunks: list[tuple[date, date]] = []
    start = first
    while start <= last:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(following - timedelta(days=1), last)
        chunks.append((start, end))
        start = following
    return chunks
