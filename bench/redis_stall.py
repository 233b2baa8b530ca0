"""`python -m bench.redis_stall`: ratings, myCases and /healthz against the real server
(`hcp serve --workers 2`, PostgreSQL, a redis-server of its own on a free port) while that
Redis is stopped (SIGSTOP) for a while in the middle of the load, then resumed.

Prints, per phase (before / stalled / after), how many requests of each kind were answered,
how, and how long the slowest took, then checks the database: every accepted rating stored
once, nothing stored that was not accepted. The promise it measures (issue 11): no request
waits longer than HCP_REDIS_TIMEOUT_SECONDS + 1 s, reads keep answering, nothing is lost or
doubled. A resilience check, not a speed figure: it asserts nothing, it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.__main__ import JWT_SECRET, ROOT, VAR, progress, redis_answers, server_env
from bench.data import id_number
from bench.fill import reset_database, seed_regions
from bench.server import HOST, Server, free_port, hcp_command
from server.auth import mint

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/hcp_bench_stall"
INGEST = """mutation($cases: [CaseInput!]!) { ingestCases(cases: $cases) { rejectedCount } }"""
SUBMIT = """mutation($input: RatingInput!) { submitRating(input: $input) {
  __typename ... on RatingAccepted { status } ... on RatingRejected { code } } }"""
MY_CASES = "{ myCases(first: 5) { totalCount nodes { caseNo } } }"


def _token(claims: dict[str, str]) -> str:
    return mint(JWT_SECRET, claims, ttl=timedelta(hours=2))


def _case(n: int, completed: datetime) -> dict[str, Any]:
    return {
        "caseNo": f"STALL-{n:06d}",
        "matterCode": "M-STALL-1",
        "matterName": "营业执照设立登记",
        "matterType": "LICENSING",
        "departmentCode": "D-STALL",
        "departmentName": "区市场监管局",
        "regionCode": "330283",
        "windowCode": f"W-STALL-{n % 8}",
        "windowName": f"综合受理{n % 8 + 1}号窗口",
        "staffCode": "S-STALL",
        "staffName": "李晓燕",
        "applicant": {"name": "测试人", "idNumber": id_number(n), "kind": "PERSON"},
        "servedVia": "WINDOW",
        "acceptedAt": (completed - timedelta(minutes=30)).isoformat(),
        "completedAt": completed.isoformat(),
    }


class Redis:
    """A redis-server of this run's own, which it may stop and resume."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not redis_answers(self.url):
            if time.monotonic() > deadline:
                raise SystemExit(f"redis-server on port {self.port} did not answer")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        self.proc.terminate()
        self.proc.wait(10)


class Tally:
    def __init__(self, started: float, stall_at: float, resume_at: float) -> None:
        self.started, self.stall_at, self.resume_at = started, stall_at, resume_at
        self.answers: dict[tuple[str, str, str], int] = defaultdict(int)
        self.slowest: dict[tuple[str, str], float] = defaultdict(float)
        self.accepted: set[str] = set()

    def phase(self, sent: float) -> str:
        at = sent - self.started
        if at < self.stall_at:
            return "before"
        return "stalled" if at < self.resume_at else "after"

    def add(self, kind: str, sent: float, took: float, outcome: str) -> None:
        phase = self.phase(sent)
        self.answers[(phase, kind, outcome)] += 1
        self.slowest[(phase, kind)] = max(self.slowest[(phase, kind)], took)


async def _timed(http: httpx.AsyncClient, tally: Tally, kind: str, **request: Any) -> Any:
    sent = time.monotonic()
    try:
        response = await http.request(**request)
    except httpx.HTTPError as exc:
        tally.add(kind, sent, time.monotonic() - sent, type(exc).__name__)
        return None
    took = time.monotonic() - sent
    body = response.json() if response.headers.get("content-type", "").startswith("app") else {}
    return sent, took, response.status_code, body


async def _rater(
    http: httpx.AsyncClient, tally: Tally, numbers: asyncio.Queue[int], until: float
) -> None:
    while time.monotonic() < until and not numbers.empty():
        n = numbers.get_nowait()
        bearer = _token({"sub": f"c{n}", "role": "citizen", "id_number": id_number(n)})
        payload = {"caseNo": f"STALL-{n:06d}", "level": 5, "channel": "APP"}
        payload["clientRequestId"] = f"stall-{n}"
        for _attempt in range(3):  # a retryable answer is retried with the same request id
            got = await _timed(
                http,
                tally,
                "submitRating",
                method="POST",
                url="/graphql",
                json={"query": SUBMIT, "variables": {"input": payload}},
                headers={"authorization": f"Bearer {bearer}"},
            )
            if got is None:
                continue
            sent, took, status, body = got
            result = (body.get("data") or {}).get("submitRating") or {}
            outcome = result.get("status") or result.get("code")
            if outcome is None:
                outcome = (body.get("errors") or [{}])[0].get("extensions", {}).get("code", status)
            tally.add("submitRating", sent, took, str(outcome))
            if result.get("__typename") == "RatingAccepted":
                tally.accepted.add(payload["caseNo"])
            if outcome != "UNAVAILABLE":
                break
        # A citizen's reads go on at the same time.
        got = await _timed(
            http,
            tally,
            "myCases",
            method="POST",
            url="/graphql",
            json={"query": MY_CASES},
            headers={"authorization": f"Bearer {bearer}"},
        )
        if got is not None:
            sent, took, status, body = got
            ok = status == 200 and "errors" not in body
            tally.add("myCases", sent, took, "ok" if ok else str(status))


async def _prober(http: httpx.AsyncClient, tally: Tally, until: float) -> None:
    while time.monotonic() < until:
        got = await _timed(http, tally, "healthz", method="GET", url="/healthz")
        if got is not None:
            sent, took, status, body = got
            tally.add("healthz", sent, took, f"{status} redis={body.get('redis')}")
        await asyncio.sleep(0.2)


async def _load(
    url: str, cases: int, concurrency: int, stall_at: float, stall_for: float, redis: Redis
) -> Tally:
    numbers: asyncio.Queue[int] = asyncio.Queue()
    for n in range(cases):
        numbers.put_nowait(n)
    started = time.monotonic()
    until = started + stall_at + stall_for + 10
    tally = Tally(started, stall_at, stall_at + stall_for)

    async def stall() -> None:
        await asyncio.sleep(stall_at)
        progress(f"redis: SIGSTOP for {stall_for:.0f} s")
        redis.stop()
        await asyncio.sleep(stall_for)
        redis.resume()
        progress("redis: SIGCONT")

    limits = httpx.Limits(max_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        await asyncio.gather(
            stall(),
            _prober(http, tally, until),
            *[_rater(http, tally, numbers, until) for _ in range(concurrency)],
        )
    return tally


async def _ingest(url: str, cases: int) -> None:
    system = _token({"sub": "bench-system", "role": "system"})
    completed = datetime.now(UTC) - timedelta(minutes=5)
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        for first in range(0, cases, 1000):
            batch = [_case(n, completed) for n in range(first, min(first + 1000, cases))]
            response = await http.post(
                "/graphql",
                json={"query": INGEST, "variables": {"cases": batch}},
                headers={"authorization": f"Bearer {system}"},
            )
            assert response.json()["data"]["ingestCases"]["rejectedCount"] == 0, response.text
            progress(f"ingest: {first + len(batch):,}/{cases:,} cases")


async def _stored(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT c.case_no, count(r.id) AS n FROM case_record c "
            "JOIN rating r ON r.case_id = c.id GROUP BY c.case_no"
        )
        return {r["case_no"]: int(r["n"]) for r in rows}
    finally:
        await conn.close()


def _report(tally: Tally, stored: dict[str, int], timeout: float) -> dict[str, Any]:
    lines = []
    for phase in ("before", "stalled", "after"):
        for kind in ("submitRating", "myCases", "healthz"):
            outcomes = {o: n for (p, k, o), n in tally.answers.items() if (p, k) == (phase, kind)}
            slowest = tally.slowest.get((phase, kind), 0.0)
            lines.append(
                {"phase": phase, "kind": kind, "answers": outcomes, "slowest_s": round(slowest, 3)}
            )
    doubled = sorted(c for c, n in stored.items() if n > 1)
    lost = sorted(tally.accepted - set(stored))
    unasked = sorted(set(stored) - tally.accepted)
    slowest = max(tally.slowest.values(), default=0.0)
    return {
        "phases": lines,
        "accepted": len(tally.accepted),
        "stored_cases": len(stored),
        "doubled": len(doubled),
        "lost": len(lost),
        "stored_not_accepted": len(unasked),
        "slowest_s": round(slowest, 3),
        "bound_s": timeout + 1,
        "within_bound": slowest <= timeout + 1,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.redis_stall")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--stall-at", type=float, default=10.0, help="seconds into the load")
    parser.add_argument("--stall-for", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    database_url = os.environ.get("HCP_BENCH_STALL_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    timeout = 0.5
    VAR.mkdir(parents=True, exist_ok=True)
    log_path = VAR / "redis-stall-server.log"
    log_path.write_bytes(b"")
    redis = Redis()
    try:
        env = server_env(database_url)
        env.update(
            HCP_REDIS_URL=redis.url,
            HCP_REDIS_TIMEOUT_SECONDS=str(timeout),
            HCP_VAR_DIR=str(VAR / "stall"),
            # The template: its anti-abuse limits are the ones counted while Redis is stalled.
            HCP_RULES=str(ROOT / "rules.yaml"),
        )
        progress(f"database: recreating {database_url.rsplit('/', 1)[-1]}, migrating")
        asyncio.run(reset_database(database_url))
        subprocess.run([*hcp_command(), "migrate"], cwd=ROOT, env=env, check=True)
        asyncio.run(seed_regions(database_url))
        with Server(env=env, cwd=ROOT, log_path=log_path, workers=args.workers) as server:
            progress(f"server: {server.url}, {args.workers} workers, redis {redis.url}")
            asyncio.run(_ingest(server.url, args.cases))
            progress(f"load: c={args.concurrency}, Redis stopped at {args.stall_at:.0f} s")
            tally = asyncio.run(
                _load(
                    server.url, args.cases, args.concurrency, args.stall_at, args.stall_for, redis
                )
            )
        report = _report(tally, asyncio.run(_stored(database_url)), timeout)
    finally:
        redis.close()
    for line in report["phases"]:
        progress(
            f"{line['phase']:>7} {line['kind']:<12} slowest {line['slowest_s']:.3f} s  "
            f"{json.dumps(line['answers'], ensure_ascii=False)}"
        )
    print(json.dumps({k: v for k, v in report.items() if k != "phases"}))
    (VAR / "redis-stall.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
