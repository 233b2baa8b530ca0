"""`python -m bench --scale full|small`: fresh PostgreSQL database, the real server
(`hcp serve --workers 2`), a separate load-generator process; prints the figures table and
writes var/bench/latest.json.

Steps: recreate the database and migrate; ping baseline; intake through `ingestCases`
(the first batches of the data set); fill the rest of the cases with COPY; ping baseline;
`myCases` for random citizens; then, on copies, the sweep, the bad-rating loop and the
public page (bench.public_bench). The server is stopped on every exit path.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import redis

from bench import (
    public_bench,
    rules_bench,
    stats_bench,
    sweep_bench,
    whatif_bench,
    work_item_bench,
)
from bench.cpu import busy_share, machine_times
from bench.data import Layout
from bench.fill import count_cases, fill, reset_database, seed_regions
from bench.report import Figure, table, write_json
from bench.server import Server, hcp_command
from services.vault import Vault

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/hcp_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
JWT_SECRET = "hcp-bench-only-jwt-secret-0f4c2a9e7b1d4e8a9c3b5d7f1e2a4c6b"  # noqa: S105
DATA_KEY = "bench:" + base64.b64encode(b"hcp-bench-only-aes-key-32-bytes!").decode("ascii")
BATCH = 1000
INTAKE_TARGET = 5000.0
LATENCY_TARGET_MS = 10.0


@dataclass(frozen=True)
class Scale:
    total: int
    batches: int
    requests: int
    deadline_s: float


SCALES = {
    "full": Scale(total=1_000_000, batches=120, requests=5000, deadline_s=900),
    "small": Scale(total=40_000, batches=20, requests=1500, deadline_s=120),
}
# The statistics bench fills its own database: the 10,000,000 ratings at full scale.
STATS_RATINGS = {"full": 10_000_000, "small": 200_000}
# The what-if replays a year of cases under two policies: the 1,000,000 at full scale.
WHATIF_CASES = {"full": 1_000_000, "small": 40_000}
_START = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Share of CPU time in use on this machine over `seconds` (None without /proc/stat)."""
    before = machine_times()
    time.sleep(seconds)
    share = busy_share(before, machine_times())
    return None if math.isnan(share) else share


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env.update(
        HCP_DATABASE_URL=database_url,
        HCP_JWT_SECRET=JWT_SECRET,
        HCP_DATA_KEY=DATA_KEY,
        HCP_VAR_DIR=str(VAR / "run"),
        HCP_ENV="dev",
        # Fenghua's policy has no late-rating window, so the bench's old cases stay ratable.
        HCP_RULES=str(ROOT / "rules" / "profiles" / "fenghua.yaml"),
        # The figures are the requests' own: no deadline sweep inside the measured servers
        # (bench.sweep_bench measures the sweep by itself).
        HCP_SWEEP="worker",
    )
    redis_url = os.environ.get("HCP_BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    if redis_answers(redis_url):
        env["HCP_REDIS_URL"] = redis_url
    else:
        progress(f"warning: no Redis at {redis_url}; the server runs without it")
    return env


def redis_answers(redis_url: str) -> bool:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def load(job: dict[str, Any], module: str = "bench.load") -> dict[str, Any]:
    """Run one job in a process of its own (python -m bench.load: the load generator)."""
    job = {"secret": JWT_SECRET, "warmup": 0, "workers": 1, **job}
    done = subprocess.run(
        [sys.executable, "-m", module],
        input=json.dumps(job).encode(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        check=True,
        timeout=job["deadline_s"] + 300,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    if result["errors"]:
        progress(f"{job['kind']}: {result['errors']} errors, first: {result['first_error']}")
    if not result["requests"] or result["errors"] == result["requests"]:
        raise RuntimeError(f"{job['kind']}: no request succeeded: {result['first_error']}")
    if result["timed_out"]:
        progress(f"{job['kind']}: stopped at the {job['deadline_s']:.0f} s deadline")
    progress(
        f"{job['kind']} c={result['concurrency']}: {result['requests']} requests in "
        f"{result['elapsed_s']:.1f} s, {result['rps']:.1f} req/s, "
        f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, load generator "
        f"{100 * result['client_cpu_s'] / result['elapsed_s']:.0f}% of a core, machine "
        f"{100 * result['machine_busy']:.0f}% busy"
    )
    return result


def measure(args: argparse.Namespace, url: str, database_url: str) -> list[Figure]:
    scale = SCALES[args.scale]
    layout = Layout(scale.total)
    base = {
        "url": url,
        "deadline_s": scale.deadline_s,
        "total": scale.total,
        "workers": args.workers,
    }
    c_in, c_lat = args.intake_concurrency, args.latency_concurrency

    def ping(concurrency: int) -> dict[str, Any]:
        job = {"kind": "ping", "requests": scale.requests, "warmup": 200}
        return load({**base, **job, "concurrency": concurrency})

    def my_cases(concurrency: int, seed: int, label: str) -> dict[str, Any]:
        job = {"kind": "my_cases", "requests": scale.requests, "warmup": 200, "citizens": 2000}
        return load({**base, **job, "concurrency": concurrency, "seed": seed, "label": label})

    ping_in = ping(c_in)
    warm = c_in  # the first batches of the data set, untimed
    progress(f"intake: {scale.batches} batches of {BATCH} cases through ingestCases, c={c_in}")
    intake = load(
        {
            **base,
            "kind": "ingest",
            "start": 0,
            "batch": BATCH,
            "warmup": warm,
            "requests": scale.batches - warm,
            "concurrency": c_in,
            "label": "intake",
        }
    )
    written = asyncio.run(count_cases(database_url))
    progress(f"fill: {written:,} cases in the database, filling to {scale.total:,} with COPY")
    asyncio.run(fill(database_url, layout, written, Vault.from_ring(DATA_KEY), progress))
    ping_lat = ping(c_lat)
    mine = my_cases(c_lat, 11, "myCases")
    # The cost of personal data: the same pages with the applicant decrypted (the citizen's
    # own, in full) and masked (a department handler's view), against the same requests
    # with an object of the same shape that needs neither, in the order without, with, with,
    # without (so neither side gets the database pages the other warmed).
    mine_plain, mine_personal = _paired(
        {**base, "kind": "my_cases", "citizens": 2000, "concurrency": c_lat, "seed": 11},
        scale.requests,
        "myCases",
    )
    staff_plain, staff_masked = _paired(
        {**base, "kind": "case_staff", "concurrency": c_lat, "seed": 17},
        scale.requests,
        "case for a handler",
    )
    # One request at a time as well: the latency of the query itself, with no queueing
    # behind the other requests for the two cores (server, PostgreSQL, load generator).
    ping_one = ping(1)
    mine_one = my_cases(1, 13, "myCases c=1")
    ping_rate = ping(c_in)
    rating = load(
        {
            **base,
            "kind": "submit",
            "requests": scale.requests,
            "warmup": 200,
            "concurrency": c_in,
            "seed": 7,
            "label": "submitRating",
        }
    )
    sql_alone = load(
        {
            **base,
            "kind": "sql_alone",
            "requests": scale.requests,
            "warmup": 200,
            "concurrency": c_in,
            "seed": 8,
            "label": "submitRating's SQL alone",
            "database_url": database_url,
        },
        module="bench.sql_alone",
    )
    return [
        Figure(
            "intake_cases_per_s",
            "ingestCases intake, 1,000/call",
            intake["items_per_s"],
            "cases/s",
            ping_in["rps"],
            PING_UNITS["rps"],
            intake["items_per_s"] / INTAKE_TARGET,
            "target",
            f">= {INTAKE_TARGET:,.0f} cases/s",
            c_in,
            intake["errors"],
        ),
        _vs_ping("intake_calls_per_s", "ingestCases calls", "calls/s", intake, ping_in, "rps"),
        _vs_ping("my_cases_p50_ms", "myCases first:20 p50", "ms", mine, ping_lat, "p50_ms"),
        _vs_ping("my_cases_p99_ms", "myCases first:20 p99", "ms", mine, ping_lat, "p99_ms", P99),
        _vs_ping("my_cases_1_p50_ms", "myCases first:20 p50", "ms", mine_one, ping_one, "p50_ms"),
        _vs_ping(
            "my_cases_1_p99_ms", "myCases first:20 p99", "ms", mine_one, ping_one, "p99_ms", P99
        ),
        _vs(
            "my_cases_personal_p50_ms",
            "myCases + applicant (decrypt) p50",
            mine_personal,
            mine_plain,
            "ms myCases p50, same shape, no personal data",
        ),
        _vs(
            "case_masked_p50_ms",
            "case + applicant (masked) p50",
            staff_masked,
            staff_plain,
            "ms case p50, same shape, no personal data",
        ),
        _vs_ping(
            "submit_rating_per_s",
            "submitRating",
            "req/s",
            rating,
            ping_rate,
            "rps",
            ">= 0.40 of ping",
        ),
        _vs_ping("submit_rating_p50_ms", "submitRating p50", "ms", rating, ping_rate, "p50_ms"),
        _vs_ping(
            "submit_rating_p99_ms", "submitRating p99", "ms", rating, ping_rate, "p99_ms", "< 50 ms"
        ),
        _vs_ping(
            "submit_rating_cpu_ms",
            "submitRating machine CPU per rating",
            "ms",
            rating,
            ping_rate,
            "machine_cpu_ms",
            "<= 2.5x (= 0.40 of ping)",
        ),
        _vs_ping(
            "rating_sql_alone_per_s",
            "submitRating's SQL alone, no server",
            "ratings/s",
            sql_alone,
            ping_rate,
            "rps",
        ),
        _vs_ping(
            "rating_sql_alone_cpu_ms",
            "submitRating's SQL alone: machine CPU per rating",
            "ms",
            sql_alone,
            ping_rate,
            "machine_cpu_ms",
            "<= 1.5x (else 0.40 is out of reach)",
        ),
        _personal_work_of_a_rating(rating),
    ]


PERSONAL_TARGET = "<= 1.15x (15 % slower)"


def _paired(job: dict[str, Any], requests: int, label: str) -> tuple[dict[str, Any], ...]:
    """The job with an object of the applicant's shape that holds no personal data, and with
    the applicant itself, run without / with / with / without
    on two halves of the requests; each side's p50 is the mean of its two runs."""
    runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for step, personal in enumerate((False, True, True, False)):
        half = {
            **job,
            "extra": "applicant" if personal else "same_shape",
            "requests": requests // 2,
            "warmup": 100,
            "seed": job["seed"] + step // 2,
            "label": f"{label}{' with the applicant' if personal else ''}",
        }
        runs[personal].append(load(half))
    return tuple(
        {
            **side[0],
            "p50_ms": (side[0]["p50_ms"] + side[1]["p50_ms"]) / 2,
            "errors": side[0]["errors"] + side[1]["errors"],
        }
        for side in (runs[False], runs[True])
    )


def _personal_work_of_a_rating(rating: dict[str, Any]) -> Figure:
    """submitRating decrypts and masks nothing; its only personal-data work is one HMAC of
    the rater's ID number (the applicant lookup). Timed here, next to the rating's p50."""
    vault = Vault.from_ring(DATA_KEY)
    rounds = 20_000
    started = time.perf_counter()
    for n in range(rounds):
        vault.lookup_hash(f"33028319900307{n:04d}")
    per_call_ms = (time.perf_counter() - started) / rounds * 1000
    return Figure(
        "submit_rating_personal_ms",
        "submitRating personal-data work (1 HMAC)",
        per_call_ms,
        "ms",
        rating["p50_ms"],
        "ms submitRating p50",
        1 + per_call_ms / rating["p50_ms"],
        "baseline",
        PERSONAL_TARGET,
        1,
    )


def _vs(
    name: str, label: str, result: dict[str, Any], without: dict[str, Any], unit: str
) -> Figure:
    """A p50 against the same request with a same-shaped object instead of the personal
    data, in the same run."""
    return _vs_ping(name, label, "ms", result, without, "p50_ms", PERSONAL_TARGET, unit)


PING_UNITS = {
    "rps": "req/s ping",
    "p50_ms": "ms ping p50",
    "p99_ms": "ms ping p99",
    "machine_cpu_ms": "ms CPU per ping",
}
P99 = f"< {LATENCY_TARGET_MS:.0f} ms"


def _vs_ping(
    name: str,
    label: str,
    unit: str,
    result: dict[str, Any],
    ping: dict[str, Any],
    key: str,
    target: str = "",
    baseline_unit: str | None = None,
) -> Figure:
    """`result[key]` against the same key of a baseline run (ping, unless `baseline_unit`
    names another)."""
    value, baseline = result[key], ping[key]
    ratio, concurrency, errors = value / baseline, result["concurrency"], result["errors"]
    return Figure(
        name,
        label,
        value,
        unit,
        baseline,
        baseline_unit or PING_UNITS[key],
        ratio,
        "baseline",
        target,
        concurrency,
        errors,
    )


def run(args: argparse.Namespace) -> int:
    scale = SCALES[args.scale]
    database_url = os.environ.get("HCP_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    VAR.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url)
    log_path = VAR / "server.log"
    log_path.write_bytes(b"")
    busy = cpu_busy()
    if busy is not None and busy > 0.2:
        progress(f"warning: the CPUs are {busy:.0%} busy before we start; figures will be skewed")
    progress(f"database: recreating {urlsplit(database_url).path.lstrip('/')}, migrating")
    asyncio.run(reset_database(database_url))
    with log_path.open("ab") as log:
        subprocess.run(
            [*hcp_command(), "migrate"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    asyncio.run(seed_regions(database_url))
    with Server(env=env, cwd=ROOT, log_path=log_path, workers=args.workers) as server:
        progress(f"server: {server.url}, {args.workers} workers, log in {log_path}")
        figures = measure(args, server.url, database_url)
    cases = asyncio.run(count_cases(database_url))
    progress("sweep: one pass over every unrated case, on a copy of the database")
    figures.append(sweep_bench.run(database_url))
    progress("bad-rating loop: workItems pages and the overdue sweep, on a copy")
    figures += work_item_bench.run(database_url)
    progress("public page: figures.json with its answers kept, and computed every request")
    figures += public_bench.run(
        database_url, workers=args.workers, concurrency=args.public_concurrency
    )
    ratings = STATS_RATINGS[args.scale]
    progress(f"statistics: {ratings:,} ratings in a database of their own, rebuild and queries")
    figures += stats_bench.run(database_url, ratings)
    whatif = WHATIF_CASES[args.scale]
    progress(f"what-if: simulateRules over {whatif:,} cases of a year, in a database of its own")
    figures += whatif_bench.run(database_url, whatif)
    progress("rules engine: evaluate() against raw durable post, reloads under load")
    figures += rules_bench.run(small=args.scale == "small")
    heading = (
        f"hcp bench, scale {args.scale}: {cases:,} cases in PostgreSQL, "
        f"hcp serve --workers {args.workers}, load from a separate process"
    )
    print(table(figures, heading))
    latest = VAR / "latest.json"
    write_json(figures, latest, {"scale": args.scale, "cases_in_db": cases})
    progress(f"wrote {latest}")
    if cases != scale.total:
        progress(f"warning: expected {scale.total:,} cases, found {cases:,}")
    return 0


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)  # unwinds through Server.__exit__, which stops the server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--intake-concurrency",
        type=int,
        default=4,
        help="ingestCases calls in flight (and the ping baseline's)",
    )
    parser.add_argument(
        "--latency-concurrency",
        type=int,
        default=2,
        help="myCases requests in flight, one per worker (and the ping baseline's)",
    )
    parser.add_argument(
        "--public-concurrency",
        type=int,
        default=public_bench.CONCURRENCY,
        help="clients reading /public/figures.json at once (a crowd on the public page)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(args)
    except KeyboardInterrupt:
        progress("interrupted; the server was stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main())
