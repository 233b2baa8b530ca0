"""`python -m bench.sql_alone` (a job as JSON on stdin): the statements one submitRating sends
to PostgreSQL, taken from services.submit_rating, run straight through asyncpg with no
server, GraphQL, token, policy decision or Redis in the way.

What it tells: the machine CPU a rating's durable writes cost by themselves. A server that
sends these statements pays that much for every rating on top of what any request costs
it (the ping), so the pair bounds what submitRating can reach against ping on this machine.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.cpu import machine_times
from bench.data import Layout, case_no
from bench.load import serve_job, summary
from models.db import POSTGRES_SETTINGS, numbered
from models.stores.rating_cases import LOCK_CASE_SQL, READ_CASE_SQL
from models.stores.rating_writes import CLAIM_SQL, GENERIC_PLANS_SQL, WRITE_SQL

CLAIM, LOCK, READ = numbered(CLAIM_SQL), numbered(LOCK_CASE_SQL), numbered(READ_CASE_SQL)
WRITE = numbered(WRITE_SQL)


async def rate(
    conn: asyncpg.Connection, number: str, rater: str, request: str, *, generic: bool = True
) -> None:
    """One rating of case `number` as the service writes it: claim the request id, lock the
    case with its batch, read them, write rating + case + answer, commit. `generic=False`
    leaves out the service's SET LOCAL (to see what it saves)."""
    now = datetime.now(UTC)
    async with conn.transaction():
        if generic:
            await conn.fetch(GENERIC_PLANS_SQL)  # as the service sends it (a prepared statement)
        await conn.fetch(CLAIM, rater, request, "", now)
        await conn.fetch(LOCK, number, number)
        rows = await conn.fetch(READ, number, number)
        case = next(r for r in rows if r["case_no"] == number)
        act = str(uuid.uuid4())
        # One value per rating column, in models.stores.rating_writes.RATING_COLUMNS order.
        row = [case["id"], act, "case", 5, "good", "[]", None, "APP", "citizen", rater, now]
        row += [True, False, "bench", "[]"]
        answer = json.dumps({"type": "Accepted", "rating": {"id": 0}})
        await conn.fetch(WRITE, *[[v] for v in row], act, "RATED", answer, rater, request)


async def run(job: dict[str, Any]) -> dict[str, Any]:
    layout, rng = Layout(job["total"]), random.Random(job["seed"])
    concurrency, count, warmup = job["concurrency"], job["requests"], job["warmup"]
    rater = f"bench-sql-{uuid.uuid4().hex[:12]}"
    numbers = iter([case_no(rng.randrange(layout.total)) for _ in range(warmup + count)])
    latencies: list[float] = []
    generic = not job.get("custom_plans", False)
    pool = await asyncpg.create_pool(
        job["database_url"],
        min_size=concurrency,
        max_size=concurrency,
        server_settings=dict(POSTGRES_SETTINGS),
    )

    async def worker(todo: int, timed: bool) -> None:
        async with pool.acquire() as conn:
            for _ in range(todo):
                number = next(numbers)
                sent = time.perf_counter()
                await rate(conn, number, rater, f"{number}-{sent}", generic=generic)
                if timed:
                    latencies.append(time.perf_counter() - sent)
                    if len(latencies) % max(1, count // 10) == 0:
                        print(f"  {job['label']}: {len(latencies)}/{count}", file=sys.stderr)

    try:
        await asyncio.gather(*(worker(warmup // concurrency, False) for _ in range(concurrency)))
        before, cpu, started = machine_times(), time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(count // concurrency, True) for _ in range(concurrency)))
        elapsed, after = time.perf_counter() - started, machine_times()
        cpu = time.process_time() - cpu
    finally:
        await pool.close()
    return summary("sql_alone", concurrency, latencies, elapsed, cpu, (before, after))


if __name__ == "__main__":
    serve_job(run)
