"""What-if (`simulateRules`): the cases completed in a period replayed under a draft policy
and under the active one, their figures side by side (rules.whatif; docs/whatif.md).

The draft is parsed off the event loop and bounded in time like every policy text a client
sends (parse_bounded), compiled into an engine of its own and retired afterwards. The active
policy is compiled afresh too, so a publish during the replay cannot mix two policies on the
active side. The rows are read in chunks of cases (models.stores.simulation) and each chunk
is replayed on a worker thread, so the event loop keeps serving and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from models.db import connection
from models.stores import simulation as store
from rules import (
    BUSINESS_TZ,
    Engine,
    FigurePair,
    PolicyError,
    Problem,
    Replay,
    compare,
    parse_bounded,
)

MAX_DAYS = 366
CHUNK = 20_000  # cases read and replayed at a time
DRAFT_NAME = "<draft>"


@dataclass(frozen=True)
class Simulation:
    first: date
    last: date
    cases: int
    figures: list[FigurePair]
    active_version: str
    draft_version: str
    seconds: float


@dataclass(frozen=True)
class SimulationRefused:
    """INVALID_RULES (the draft's `problems`) or BAD_PERIOD."""

    code: str
    problems: Sequence[Problem] = ()


async def simulate_rules(
    text: str,
    first: date,
    last: date,
    *,
    engine: Engine,
    now: datetime,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> Simulation | SimulationRefused:
    """The figures of the cases completed first..last (Beijing dates, inclusive) under the
    active policy of `engine` and under the draft `text`, as of `now`. `progress` is told
    how many cases were replayed after each chunk."""
    started = time.perf_counter()
    if now.tzinfo is None:
        raise ValueError("now needs a UTC offset")
    if first > last or (last - first).days + 1 > MAX_DAYS:
        return SimulationRefused("BAD_PERIOD")
    try:
        source = await parse_bounded(text, DRAFT_NAME)
    except PolicyError as exc:
        return SimulationRefused("INVALID_RULES", exc.problems)
    draft = await asyncio.to_thread(Engine, source)
    try:
        active = await asyncio.to_thread(Engine, engine.source)
        try:
            replays = (Replay(active, now), Replay(draft, now))
            span = (_start(first), _start(last + timedelta(days=1)))
            cases = await _replay(replays, span, chunk, progress)
            before, after = (replay.tally() for replay in replays)
        finally:
            active.retire()
    finally:
        draft.retire()
    return Simulation(
        first=first,
        last=last,
        cases=cases,
        figures=compare(before, after),
        active_version=before.version,
        draft_version=after.version,
        seconds=time.perf_counter() - started,
    )


async def _replay(
    replays: Sequence[Replay],
    span: tuple[datetime, datetime],
    chunk: int,
    progress: Callable[[int], None] | None,
) -> int:
    """Each chunk is replayed on a worker thread while the next one is read."""
    count = 0
    replaying: asyncio.Future[None] | None = None
    try:
        async for cases in store.completed_cases(connection(), *span, chunk):
            if replaying is not None:
                await replaying
                if progress is not None:
                    progress(count)
            replaying = asyncio.ensure_future(asyncio.to_thread(_add, replays, cases))
            count += len(cases)
        if replaying is not None:
            await replaying
    finally:
        # A failed read leaves a replay running on the engines about to be retired.
        if replaying is not None and not replaying.done():
            await asyncio.wait([replaying])
    if progress is not None:
        progress(count)
    return count


def _add(replays: Sequence[Replay], cases: Sequence[store.StoredCase]) -> None:
    for replay in replays:
        replay.add(cases)


def _start(day: date) -> datetime:
    return datetime.combine(day, clock(0, 0), BUSINESS_TZ).astimezone(UTC)
