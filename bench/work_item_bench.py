"""The bad-rating loop's figures, on a copy of a bench database (`<source>_items`): every
case gets a 非常不满意 rating and an open work item at the callback step, due over the
month after the newest completion, then

- `workItems`: the first page of a department handler's worklist and of the area admin's,
  and a page deep into the admin's (by its cursor), called through the service as the
  resolver does, p99 next to the p99 of a `SELECT 1` round trip in the same run;
- the overdue sweep: one pass after every item fell due (each is marked overdue and
  escalated, rules.yaml's callback step), next to a count(*) of the same rows.

    python -m bench.work_item_bench [postgres://postgres@127.0.0.1:5432/hcp_bench]
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from tortoise import Tortoise

from bench.report import Figure
from bench.sweep_bench import on_copy, pass_figure
from models.db import connection, execute, fetch, tortoise_config
from rules import Engine
from services.identity import Principal, Role
from services.sweep_deadlines import DEFAULT_PARALLEL
from services.work_item_sweep import sweep_overdue
from services.work_items import Filter, work_items

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = "postgres://postgres@127.0.0.1:5432/hcp_bench"
SWEEP_TARGET_S = 60.0
LIST_TARGET_MS = 20.0
CALLS = 300
PAGE = 20

# One bad rating and one open item per case, set-based; due times spread over 30 days.
_RATINGS = (
    "INSERT INTO rating (case_id, act_id, target, level, category, tags, comment, channel, "
    "rater_role, rater_key, rated_at, effective, held_for_review, rules_version, fired_rules) "
    "SELECT c.id, md5(c.id::text), 'case', 1, 'bad', '[]', NULL, 'APP', 'citizen', NULL, "
    "c.completed_at + interval '1 hour', TRUE, FALSE, 'bench', '[]' "
    "FROM case_record c WHERE c.completed_at IS NOT NULL"
)
_ITEMS = (
    "INSERT INTO work_item (case_id, department_id, region_id, rating_id, rated_staff_id, "
    "status, step, step_started_at, due_at, overdue, escalated, opened_at) "
    "SELECT r.case_id, c.department_id, c.region_id, r.id, c.staff_id, 'OPEN', 'callback', "
    "r.rated_at, ?::timestamptz + (r.id % 43200) * interval '1 minute', FALSE, FALSE, r.rated_at "
    "FROM rating r JOIN case_record c ON c.id = r.case_id WHERE r.act_id = md5(c.id::text)"
)


def progress(message: str) -> None:
    print(f"[work items] {message}", file=sys.stderr, flush=True)


def _p99(calls: list[float]) -> float:
    ordered = sorted(calls)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _timed(make: Callable[[], Awaitable[None]], count: int) -> list[float]:
    spent = []
    for _ in range(count):
        started = time.perf_counter()
        await make()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


async def _measure(url: str) -> tuple[list[Figure], int]:
    await Tortoise.init(config=tortoise_config(url))
    try:
        conn = connection()
        newest = (await fetch(conn, "SELECT max(completed_at) AS t FROM case_record"))[0]["t"]
        progress("a bad rating for every case")
        await execute(conn, _RATINGS)
        progress("an open work item for every rating")
        await execute(conn, _ITEMS, [newest])
        await execute(conn, "ANALYZE rating")
        await execute(conn, "ANALYZE work_item")
        items = int((await fetch(conn, "SELECT count(*) AS n FROM work_item"))[0]["n"])
        progress(f"{items:,} open items; timing workItems")
        figures = [await _list_figure(items)]
        engine = Engine.from_path(ROOT / "rules.yaml")
        now = newest + timedelta(days=60)
        count = "SELECT count(*) AS n FROM work_item WHERE status = 'OPEN' AND NOT overdue"
        await fetch(conn, count)
        started = time.perf_counter()
        await fetch(conn, count)
        baseline = time.perf_counter() - started
        progress(f"overdue sweep over {items:,} items")
        started = time.perf_counter()
        report = await sweep_overdue(
            engine=engine, now=now, batch_size=5000, loops=DEFAULT_PARALLEL
        )
        spent = time.perf_counter() - started
        progress(f"swept: {asdict(report)} in {spent:.1f} s")
        label = f"overdue sweep over {items:,} open work items"
        figures.append(pass_figure("overdue_sweep_seconds", label, spent, baseline, SWEEP_TARGET_S))
    finally:
        await Tortoise.close_connections()
    return figures, items


async def _list_figure(items: int) -> Figure:
    engine = Engine.from_path(ROOT / "rules.yaml")
    rows = await fetch(
        connection(),
        "SELECT DISTINCT d.code AS department, r.code AS region FROM department d "
        "JOIN case_record c ON c.department_id = d.id JOIN region r ON r.id = c.region_id "
        "LIMIT 50",
    )
    top = await fetch(connection(), "SELECT code FROM region WHERE parent_id IS NULL LIMIT 1")
    chooser = random.Random(7)
    admin = Principal("bench-admin", Role.AREA_ADMIN, region_code=top[0]["code"])

    async def handler_page() -> None:
        pick = chooser.choice(rows)
        viewer = Principal("bench-h", Role.DEPT_HANDLER, department_code=pick["department"])
        await work_items(viewer=viewer, engine=engine, chosen=Filter(), first=PAGE, after=None)

    async def admin_page() -> None:
        await work_items(
            viewer=admin, engine=engine, chosen=Filter(status="OPEN"), first=PAGE, after=None
        )

    deep = await work_items(
        viewer=admin, engine=engine, chosen=Filter(status="OPEN"), first=100, after=None
    )

    async def admin_next_page() -> None:
        await work_items(
            viewer=admin,
            engine=engine,
            chosen=Filter(status="OPEN"),
            first=PAGE,
            after=deep.end_cursor,
        )

    async def ping() -> None:
        await fetch(connection(), "SELECT 1 AS ok")

    await _timed(handler_page, 20)  # warm the plans and the cache
    pings = await _timed(ping, CALLS)
    calls = []
    for make in (handler_page, admin_page, admin_next_page):
        calls += await _timed(make, CALLS // 3)
    p99, baseline = _p99(calls), _p99(pings)
    progress(f"workItems p99 {p99:.2f} ms (ping p99 {baseline:.2f} ms)")
    return Figure(
        name="work_items_p99_ms",
        label=f"workItems page of {PAGE}, p99 over {len(calls)} calls, {items:,} items",
        value=p99,
        unit="ms",
        baseline=baseline,
        baseline_unit="ms (p99 of SELECT 1)",
        ratio=p99 / baseline,
        ratio_of="baseline",
        target=f"< {LIST_TARGET_MS:g} ms",
        concurrency=1,
    )


async def _run(source: str) -> tuple[list[Figure], int]:
    return await on_copy(source, "items", _measure)


def run(database_url: str) -> list[Figure]:
    figures, _items = asyncio.run(_run(database_url))
    return figures


if __name__ == "__main__":
    found, total = asyncio.run(_run(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE))
    print(json.dumps({"items": total, "figures": [asdict(f) for f in found]}, ensure_ascii=False))
