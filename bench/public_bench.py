"""The public page under a crowd, on a copy of a bench database (`<source>_public`): seven
cases in ten get a rating (levels spread, every tenth case a comment), the statistics are
rebuilt from the raw rows, then the real server (`hcp serve --workers N`) runs twice on the
copy: with the answers kept (HCP_PUBLIC_CACHE_SECONDS=300, as deployed) and with nothing
kept (0: every request computes the month's figures), and N clients at once GET
/public/figures.json of the last month the bench cases cover whole. The figure
is the kept side's requests per second next to the computed side's, from the same run.

    python -m bench.public_bench [postgres://postgres@127.0.0.1:5432/hcp_bench]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise import Tortoise

from bench.report import Figure
from bench.server import Server
from bench.sweep_bench import on_copy
from models.db import connection, execute, fetch, tortoise_config
from rules import BUSINESS_TZ
from services.public_months import months_offered
from services.stats_refresh import rebuild

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DEFAULT_SOURCE = "postgres://postgres@127.0.0.1:5432/hcp_bench"
CONCURRENCY = 32
REQUESTS = 3000
DEADLINE_S = 120.0

_RATINGS = (
    "INSERT INTO rating (case_id, act_id, target, level, category, tags, comment, channel, "
    "rater_role, rater_key, rated_at, effective, held_for_review, rules_version, fired_rules) "
    "SELECT c.id, md5('public' || c.id::text), 'case', 1 + c.id % 5, "
    "CASE WHEN c.id % 5 >= 2 THEN 'good' ELSE 'bad' END, '[]', "
    "CASE WHEN c.id % 10 = 0 THEN '办理顺利，窗口人员耐心' END, 'APP', 'citizen', NULL, "
    "c.completed_at + interval '1 hour', TRUE, FALSE, 'bench', '[]' FROM case_record c "
    "WHERE c.completed_at IS NOT NULL AND c.effective_rating_id IS NULL AND c.id % 10 < 7"
)
_EFFECTIVE = (
    "UPDATE case_record c SET effective_rating_id = r.id, rating_status = 'RATED' "
    "FROM rating r WHERE r.case_id = c.id AND r.act_id = md5('public' || c.id::text)"
)


def progress(message: str) -> None:
    print(f"[public] {message}", file=sys.stderr, flush=True)


def server_env(database_url: str) -> dict[str, str]:
    """A dev server on the copy, on the template policy (rules.yaml discloses satisfaction,
    participation and bad_rate), with no sweep of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env.update(
        HCP_DATABASE_URL=database_url,
        HCP_VAR_DIR=str(VAR / "public-run"),
        HCP_ENV="dev",
        HCP_RULES=str(ROOT / "rules.yaml"),
        HCP_SWEEP="worker",
    )
    return env


async def _prepare(url: str) -> str:
    """Ratings and the statistics on the copy; the month to ask for."""
    await Tortoise.init(config=tortoise_config(url))
    try:
        conn = connection()
        progress("a rating for seven cases in ten")
        await execute(conn, _RATINGS)
        await execute(conn, _EFFECTIVE)
        progress("statistics rebuilt from the raw rows")
        await rebuild(progress=lambda month, done, total: progress(f"  {month} {done}/{total}"))
        await execute(conn, "DELETE FROM stat_dirty")  # the rebuild counted them all
        await execute(conn, "VACUUM ANALYZE stat_daily")
        rows = await fetch(conn, "SELECT max(completed_at) AS t FROM case_record")
    finally:
        await Tortoise.close_connections()
    labels = [m.label for m in months_offered(datetime.now(UTC))]
    newest = rows[0]["t"].astimezone(BUSINESS_TZ).date()
    # The last month the bench cases cover whole (they end early in their newest month).
    month = f"{newest.replace(day=1) - timedelta(days=1):%Y-%m}"
    if month not in labels:
        progress(f"warning: the bench cases' last whole month {month} is not offered")
        month = labels[1]
    return month


def _drive(url: str, month: str, concurrency: int, requests: int, workers: int) -> dict[str, Any]:
    job = {
        "kind": "public",
        "url": url,
        "month": month,
        "secret": "",
        "requests": requests,
        "warmup": max(concurrency, 50),
        "concurrency": concurrency,
        "workers": workers,
        "deadline_s": DEADLINE_S,
        "label": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps(job).encode(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        check=True,
        timeout=DEADLINE_S + 300,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    if not result["requests"] or result["errors"] == result["requests"]:
        raise RuntimeError(f"public: no request succeeded: {result['first_error']}")
    return result


def _serve_and_load(
    url: str, month: str, workers: int, concurrency: int, requests: int
) -> dict[str, dict[str, Any]]:
    found = {}
    VAR.mkdir(parents=True, exist_ok=True)
    log = VAR / "public-server.log"
    # The computed side first, on pages the rebuild left warm, then the kept side.
    for side, seconds, count in (("computed", "0", requests // 5), ("kept", "300", requests)):
        env = {**server_env(url), "HCP_PUBLIC_CACHE_SECONDS": seconds}
        with Server(env=env, cwd=ROOT, log_path=log, workers=workers) as server:
            result = _drive(server.url, month, concurrency, count, workers)
        progress(
            f"{side} (HCP_PUBLIC_CACHE_SECONDS={seconds}) c={concurrency}: "
            f"{result['requests']} requests, {result['rps']:.1f} req/s, "
            f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
            f"{result['errors']} errors, machine {100 * result['machine_busy']:.0f}% busy"
        )
        found[side] = result
    return found


async def _measure(
    url: str, workers: int, concurrency: int, requests: int
) -> tuple[str, dict[str, dict[str, Any]]]:
    month = await _prepare(url)
    progress(f"GET /public/figures.json?month={month}, {workers} workers")
    runs = await asyncio.to_thread(_serve_and_load, url, month, workers, concurrency, requests)
    return month, runs


def run(
    database_url: str,
    *,
    workers: int = 2,
    concurrency: int = CONCURRENCY,
    requests: int = REQUESTS,
) -> list[Figure]:
    async def measure(url: str) -> tuple[str, dict[str, dict[str, Any]]]:
        return await _measure(url, workers, concurrency, requests)

    month, runs = asyncio.run(on_copy(database_url, "public", measure))
    kept, computed = runs["kept"], runs["computed"]
    return [
        Figure(
            name="public_figures_per_s",
            label=f"GET /public/figures.json?month={month}, answers kept",
            value=kept["rps"],
            unit="req/s",
            baseline=computed["rps"],
            baseline_unit="req/s computed every request (HCP_PUBLIC_CACHE_SECONDS=0)",
            ratio=kept["rps"] / computed["rps"],
            ratio_of="baseline",
            target="",
            concurrency=concurrency,
            errors=kept["errors"] + computed["errors"],
        )
    ]


if __name__ == "__main__":
    found = run(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE)
    print(json.dumps([f.__dict__ for f in found], ensure_ascii=False))
