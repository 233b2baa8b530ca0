"""What models.db.to_the_end costs: a statement, once started, runs to its end even if its
caller is cancelled, at the price of one asyncio Task per statement. Times 5,000 `SELECT 1`
through `fetch` (guarded) against the same call on the same connection without the guard,
in ten interleaved rounds, and prints the ratio of the medians.

    .venv/bin/python -m bench.statement_guard [postgres-url]

The URL defaults to HCP_BENCH_POSTGRES_URL, else the bench's default database; only
`SELECT 1` is run, nothing is written."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise import Tortoise

from models.db import connection, fetch, prepare, tortoise_config

ROUNDS = 10
PER_ROUND = 500
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


async def _run(url: str) -> None:
    await Tortoise.init(config=tortoise_config(url))
    try:
        conn = connection()
        sql = prepare(conn, "SELECT 1 AS one")

        async def plain() -> Any:
            return await conn.execute_query_dict(sql, [])

        async def guarded() -> Any:
            return await fetch(conn, "SELECT 1 AS one")

        ways: dict[str, Callable[[], Awaitable[Any]]] = {"plain": plain, "guarded": guarded}
        for way in ways.values():  # warm the statement cache and the pool
            for _ in range(PER_ROUND):
                await way()
        timings: dict[str, list[float]] = {name: [] for name in ways}
        for done in range(1, ROUNDS + 1):
            for name, way in ways.items():
                started = time.perf_counter()
                for _ in range(PER_ROUND):
                    await way()
                timings[name].append((time.perf_counter() - started) / PER_ROUND * 1e6)
            print(f"round {done}/{ROUNDS}", flush=True)
        plain_us = statistics.median(timings["plain"])
        guarded_us = statistics.median(timings["guarded"])
        print(
            f"SELECT 1: plain {plain_us:.1f} µs, guarded {guarded_us:.1f} µs "
            f"(+{guarded_us - plain_us:.1f} µs, ×{guarded_us / plain_us:.3f})"
        )
    finally:
        await Tortoise.close_connections()


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HCP_BENCH_POSTGRES_URL")
    asyncio.run(_run(url or DEFAULT_URL))


if __name__ == "__main__":
    main()
