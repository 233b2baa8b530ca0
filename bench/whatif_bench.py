"""simulateRules's service (services.simulation) over a year of cases, target < 60 s, on a
database of its own (`<source>_whatif`) filled as the statistics bench fills its own
(bench.stats_bench): N cases completed evenly over a year, each rated once at once (one in
seven a default rating, which the replay decides again), a work item with its timeline for
every bad rating. The draft lengthens the late-rating window to 10 working days and makes
基本满意 neutral; the active policy is rules.yaml.

Next to it, in the same run: the plain fetch of the same rows (the store's chunks, nothing
replayed), the baseline of the ratio, and a count(*) of the cases.

    python -m bench.whatif_bench [postgres://postgres@127.0.0.1:5432/hcp_bench] [cases]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tortoise import Tortoise

from bench.report import Figure
from bench.scratch import scratch_database
from bench.stats_bench import _fill as fill_year
from models.db import connection, tortoise_config
from models.stores import simulation as store
from rules import BUSINESS_TZ, Engine
from services.simulation import CHUNK, Simulation, simulate_rules

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = "postgres://postgres@127.0.0.1:5432/hcp_bench"
TARGET_S = 60.0
FIRST, LAST = date(2025, 12, 1), date(2026, 11, 30)  # the fill's year
NOW = datetime(2026, 12, 10, tzinfo=UTC)
_RULES = (ROOT / "rules.yaml").read_text("utf-8")
DRAFT = _RULES.replace("within: 5 working days\n", "within: 10 working days\n", 1).replace(
    "label: 基本满意\n    category: good", "label: 基本满意\n    category: neutral"
)
_STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"[what-if {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def _span() -> tuple[datetime, datetime]:
    def start(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), BUSINESS_TZ).astimezone(UTC)

    return start(FIRST), start(LAST + timedelta(days=1))


async def _count() -> tuple[int, float]:
    started = time.perf_counter()
    found = await store.count_cases(connection(), *_span())
    return found, time.perf_counter() - started


async def _fetch(total: int) -> float:
    """The rows the simulation reads, read the same way, nothing done with them."""
    started, seen, told = time.perf_counter(), 0, 0
    async for cases in store.completed_cases(connection(), *_span(), CHUNK):
        seen += len(cases)
        if seen - told >= total // 10:
            told = seen
            progress(f"plain fetch: {seen:,}/{total:,} cases")
    return time.perf_counter() - started


async def _simulate(total: int) -> tuple[Simulation, float]:
    told = 0

    def tell(done: int) -> None:
        nonlocal told
        if done - told >= total // 10 or done == total:
            told = done
            progress(f"simulateRules: {done:,}/{total:,} cases replayed under both policies")

    engine = Engine.from_path(ROOT / "rules.yaml")
    started = time.perf_counter()
    try:
        result = await simulate_rules(DRAFT, FIRST, LAST, engine=engine, now=NOW, progress=tell)
    finally:
        engine.retire()
    spent = time.perf_counter() - started
    assert isinstance(result, Simulation), result
    return result, spent


async def _measure(total: int) -> list[Figure]:
    cases, counted = await _count()
    progress(f"count(*): {cases:,} cases in {counted:.2f} s")
    fetched = await _fetch(cases)
    progress(f"plain fetch of the same rows: {fetched:.1f} s")
    result, spent = await _simulate(cases)
    progress(f"simulateRules over {result.cases:,} cases: {spent:.1f} s")
    for f in result.figures:
        mark = "*" if f.changed else " "
        progress(f"{mark} {f.key}: {f.active_text} -> {f.draft_text}")
    label = f"simulateRules over {result.cases:,} cases of a year, two policies"
    return [
        Figure(
            name="whatif_year_seconds",
            label=label,
            value=spent,
            unit="s",
            baseline=fetched,
            baseline_unit="s (plain fetch of the same rows)",
            ratio=spent / fetched,
            ratio_of="baseline",
            target=f"< {TARGET_S:g} s",
            concurrency=1,
        ),
        Figure(
            name="whatif_fetch_seconds",
            label=f"its rows fetched alone, {result.cases:,} cases",
            value=fetched,
            unit="s",
            baseline=counted,
            baseline_unit="s (count(*) of the cases)",
            ratio=fetched / counted,
            ratio_of="baseline",
            target="",
            concurrency=1,
        ),
    ]


async def _run(source: str, total: int) -> list[Figure]:
    async with scratch_database(source, "whatif") as url:
        progress(f"filling {total:,} cases, their ratings and work items")
        await fill_year(url, total)
        await Tortoise.init(config=tortoise_config(url))
        try:
            return await _measure(total)
        finally:
            await Tortoise.close_connections()


def run(database_url: str, total: int) -> list[Figure]:
    return asyncio.run(_run(database_url, total))


if __name__ == "__main__":
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    found = asyncio.run(_run(source, count))
    print(json.dumps({"cases": count, "figures": [asdict(f) for f in found]}, ensure_ascii=False))
