"""Load generator, run as its own process: `python -m bench.load < job.json`.

Reads one job (JSON) on stdin, builds every request body before the clock starts, drives
the server with httpx (HTTP/1.1 keep-alive, `concurrency` closed-loop workers, bounded by
count and by `deadline_s`), prints one JSON result on stdout; progress goes to stderr.
Jobs: ping (the baseline), ingest (batches of cases), my_cases (random citizens).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from bench.data import Layout, bench_case, case_no, id_number, person_name
from server.auth import mint

PING = "mutation { ping }"
INGEST = (
    "mutation Ingest($cases: [CaseInput!]!) { ingestCases(cases: $cases) { acceptedCount "
    "rejectedCount results { __typename ... on CaseRejected { index code field message } } } }"
)
MY_CASES = (
    "query { myCases(first: 20) { totalCount nodes { caseNo completedAt matter { code name } "
    "department { code name } window { code name } } } }"
)
SUBMIT = (
    "mutation($input: RatingInput!) { submitRating(input: $input) { __typename "
    "... on RatingRejected { code } } }"
)
TOKEN_TTL = timedelta(hours=6)

Check = Callable[[dict[str, Any]], str | None]


@dataclass(frozen=True)
class Request:
    body: bytes
    headers: dict[str, str]
    check: Check
    items: int = 1


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"query": query}
    if variables:
        payload["variables"] = variables
    return json.dumps(payload, ensure_ascii=False).encode()


def _auth(secret: str, claims: dict[str, str]) -> dict[str, str]:
    token = mint(secret, claims, ttl=TOKEN_TTL)
    return {"authorization": f"Bearer {token}", "content-type": "application/json"}


def _ping_check(reply: dict[str, Any]) -> str | None:
    return None if (reply.get("data") or {}).get("ping") == "pong" else json.dumps(reply)[:300]


def _ingest_check(expected: int) -> Check:
    def check(reply: dict[str, Any]) -> str | None:
        result = (reply.get("data") or {}).get("ingestCases") or {}
        if result.get("acceptedCount") == expected:
            return None
        rejected = [r for r in result.get("results", []) if r.get("__typename") == "CaseRejected"]
        return json.dumps(reply.get("errors") or rejected[:3], ensure_ascii=False)[:300]

    return check


def _my_cases_check(expected: int) -> Check:
    def check(reply: dict[str, Any]) -> str | None:
        page = (reply.get("data") or {}).get("myCases") or {}
        if page.get("totalCount") == expected and len(page.get("nodes", ())) == min(20, expected):
            return None
        return json.dumps(reply.get("errors") or page, ensure_ascii=False)[:300]

    return check


def build(job: dict[str, Any]) -> tuple[list[Request], list[Request]]:
    """(warm-up requests, timed requests) for the job."""
    kind, secret, count, warmup = job["kind"], job["secret"], job["requests"], job["warmup"]
    if kind == "ping":
        system = _auth(secret, {"sub": "bench-system", "role": "system"})
        reqs = [Request(_body(PING), system, _ping_check)] * (warmup + count)
        return reqs[:warmup], reqs[warmup:]
    layout = Layout(job["total"])
    if kind == "ingest":
        system = _auth(secret, {"sub": "bench-system", "role": "system"})
        size, start = job["batch"], job["start"]
        reqs = []
        for b in range(warmup + count):
            first = start + b * size
            cases = [bench_case(layout, k).as_input() for k in range(first, first + size)]
            reqs.append(Request(_body(INGEST, {"cases": cases}), system, _ingest_check(size), size))
        return reqs[:warmup], reqs[warmup:]
    if kind == "my_cases":
        rng = random.Random(job["seed"])
        people = rng.sample(range(layout.applicants), min(job["citizens"], layout.applicants))
        headers = {
            j: _auth(
                secret,
                {
                    "sub": f"bench-citizen-{j}",
                    "role": "citizen",
                    "id_number": id_number(j),
                    "name": person_name(j),
                },
            )
            for j in people
        }
        body = _body(MY_CASES)
        reqs = [
            Request(body, headers[j], _my_cases_check(layout.case_count(j)))
            for j in (rng.choice(people) for _ in range(warmup + count))
        ]
        return reqs[:warmup], reqs[warmup:]
    if kind == "submit":
        return _submits(job, layout, secret, warmup, count)
    raise ValueError(f"unknown job kind {kind!r}")


def _submit_check(reply: dict[str, Any]) -> str | None:
    result = (reply.get("data") or {}).get("submitRating") or {}
    if result.get("__typename") == "RatingAccepted":
        return None
    return json.dumps(reply.get("errors") or result, ensure_ascii=False)[:300]


def _submits(
    job: dict[str, Any], layout: Layout, secret: str, warmup: int, count: int
) -> tuple[list[Request], list[Request]]:
    """Citizens rating their own cases (random cases, so ratings spread over many rows),
    each with its own clientRequestId as the mini-program sends one."""
    rng = random.Random(job["seed"])
    headers: dict[int, dict[str, str]] = {}
    reqs = []
    for n in range(warmup + count):
        k = rng.randrange(layout.total)
        j = layout.owner(k)
        if j not in headers:
            headers[j] = _auth(
                secret,
                {
                    "sub": f"bench-citizen-{j}",
                    "role": "citizen",
                    "id_number": id_number(j),
                    "name": person_name(j),
                },
            )
        rating = {
            "caseNo": case_no(k),
            "level": 4 + n % 2,
            "channel": "APP",
            "clientRequestId": f"bench-{job['seed']}-{n}",
        }
        reqs.append(Request(_body(SUBMIT, {"input": rating}), headers[j], _submit_check))
    return reqs[:warmup], reqs[warmup:]


@dataclass
class Tally:
    latencies: list[float]
    items: int = 0
    errors: int = 0
    first_error: str | None = None
    cpu_s: float = 0.0


async def drive(
    client: httpx.AsyncClient,
    reqs: list[Request],
    concurrency: int,
    deadline_s: float,
    label: str,
) -> tuple[Tally, float, bool]:
    """Send every request (each worker takes the next one when its last reply is in)."""
    tally = Tally(latencies=[])
    queue = iter(reqs)
    cpu = time.process_time()
    start = time.perf_counter()
    stop_at = start + deadline_s
    step = max(1, len(reqs) // 10)
    timed_out = False

    async def worker() -> None:
        nonlocal timed_out
        for req in queue:
            if time.perf_counter() > stop_at:
                timed_out = True
                return
            sent = time.perf_counter()
            try:
                reply = await client.post("/graphql", content=req.body, headers=req.headers)
                tally.latencies.append(time.perf_counter() - sent)
                problem = (
                    req.check(reply.json())
                    if reply.status_code == 200
                    else (f"HTTP {reply.status_code}: {reply.text[:200]}")
                )
            except (httpx.HTTPError, ValueError) as exc:
                problem = repr(exc)
            if problem is None:
                tally.items += req.items
            else:
                tally.errors += 1
                tally.first_error = tally.first_error or problem
            done = len(tally.latencies)
            if label and done % step == 0:
                print(f"  {label}: {done}/{len(reqs)} requests", file=sys.stderr, flush=True)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.cpu_s = time.process_time() - cpu
    return tally, time.perf_counter() - start, timed_out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


async def run(job: dict[str, Any]) -> dict[str, Any]:
    warm, timed = build(job)
    concurrency = job["concurrency"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(job.get("timeout_s", 60.0))
    async with httpx.AsyncClient(base_url=job["url"], limits=limits, timeout=timeout) as client:
        if warm:
            await drive(client, warm, concurrency, job["deadline_s"], "")
        tally, elapsed, timed_out = await drive(
            client, timed, concurrency, job["deadline_s"], job.get("label", "")
        )
    ms = [s * 1000 for s in tally.latencies]
    return {
        "kind": job["kind"],
        "concurrency": concurrency,
        "requests": len(ms),
        "errors": tally.errors,
        "first_error": tally.first_error,
        "timed_out": timed_out,
        "elapsed_s": elapsed,
        "rps": len(ms) / elapsed,
        "items": tally.items,
        "items_per_s": tally.items / elapsed,
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=math.nan),
        "client_cpu_s": tally.cpu_s,
    }


def main() -> None:
    job = json.load(sys.stdin)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(job))
    else:
        result = uvloop.run(run(job))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
