"""The sweep figure: one `sweep` pass over every case of a bench database, under the
template policy (rules.yaml), next to a plain count of the same rows in the same run.

The pass writes, so it runs on a copy (`<source>_sweep`, made with CREATE DATABASE ...
TEMPLATE and dropped afterwards); the source must have no other sessions while it is
copied. `now` is three days after the newest completion: most cases are then due for
their default, and the last days' cases for a reminder.

    python -m bench.sweep_bench [postgres://postgres@127.0.0.1:5432/hcp_bench]
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise

from bench.report import Figure
from models.db import connection, fetch, tortoise_config
from rules import Engine
from services.sweep_deadlines import DEFAULT_PARALLEL, SweepReport, sweep

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = "postgres://postgres@127.0.0.1:5432/hcp_bench"
TARGET_S = 60.0
T = TypeVar("T")
_COUNT = (
    "SELECT count(*) AS n FROM case_record WHERE rating_status = ? AND completed_at IS NOT NULL"
)


def _name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"refusing to copy a database named {name!r}")
    return name


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(urlsplit(url)._replace(path="/postgres").geturl())
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _measure(url: str) -> tuple[float, float, int, SweepReport]:
    await Tortoise.init(config=tortoise_config(url))
    try:
        conn = connection()
        await fetch(conn, _COUNT, ["UNRATED"])
        started = time.perf_counter()
        rows = await fetch(conn, _COUNT, ["UNRATED"])
        baseline = time.perf_counter() - started
        newest = await fetch(conn, "SELECT max(completed_at) AS t FROM case_record")
        engine = Engine.from_path(ROOT / "rules.yaml")
        started = time.perf_counter()
        report = await sweep(engine=engine, now=newest[0]["t"] + timedelta(days=3))
        value = time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
    return value, baseline, int(rows[0]["n"]), report


async def on_copy(source: str, suffix: str, measure: Callable[[str], Awaitable[T]]) -> T:
    """`measure(url)` on a copy of `source` (`<source>_<suffix>`), dropped afterwards."""
    copy = f"{_name(source)}_{suffix}"
    url = urlsplit(source)._replace(path=f"/{copy}").geturl()
    # FILE_COPY and a checkpoint first: the copy is not written through the WAL, so no
    # checkpoint it would trigger lands inside the measured pass.
    await _admin(
        source,
        f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)',
        f'CREATE DATABASE "{copy}" TEMPLATE "{_name(source)}" STRATEGY FILE_COPY',
        "CHECKPOINT",
    )
    try:
        return await measure(url)
    finally:
        await _admin(source, f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def pass_figure(name: str, label: str, value: float, baseline: float, target_s: float) -> Figure:
    """A pass over a table, in seconds, next to a count(*) of the same rows."""
    return Figure(
        name=name,
        label=label,
        value=value,
        unit="s",
        baseline=baseline,
        baseline_unit="s (count(*) of the same rows)",
        ratio=value / baseline,
        ratio_of="baseline",
        target=f"< {target_s:g} s",
        concurrency=DEFAULT_PARALLEL,
    )


async def _run(source: str) -> tuple[Figure, int, SweepReport]:
    value, baseline, cases, report = await on_copy(source, "sweep", _measure)
    label = f"sweep over {cases:,} unrated cases"
    return pass_figure("sweep_1m_seconds", label, value, baseline, TARGET_S), cases, report


def run(database_url: str) -> Figure:
    figure, _cases, _report = asyncio.run(_run(database_url))
    return figure


if __name__ == "__main__":
    found, total, counts = asyncio.run(_run(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE))
    print(json.dumps({**asdict(found), "cases": total, **asdict(counts)}, ensure_ascii=False))
