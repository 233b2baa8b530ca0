"""Load generator, run as its own process: `python -m bench.load < job.json`.

Reads one job (JSON) on stdin, builds every request (bytes on the wire) before the clock
starts, drives the server over HTTP/1.1 keep-alive connections (`concurrency` closed-loop
workers, one connection each, bounded by count and by `deadline_s`), prints one JSON result
on stdout; progress goes to stderr.

The client is a few lines over asyncio streams rather than httpx: httpx spent a whole core
at ~800 requests/s, so on this two-core machine the load generator, not the server, set
the pace of the ping baseline. This one spends a few microseconds a request.
Jobs: ping (the baseline), ingest (batches of cases), my_cases (random citizens), public
(GET /public/figures.json of one month, no login: bench.public_bench).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from bench.cpu import busy_between, busy_share, machine_times
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
CASE = "query($n: String!) { case(caseNo: $n) { caseNo department { code } } }"
# What the personal-data figures add to a query: the applicant (decrypted in full for the
# citizen's own page, masked by the policy for a department handler), or, for the same run
# without personal data, an object of the same shape that holds none.
EXTRA = {
    "applicant": "applicant { name idNumber phone }",
    "same_shape": "again: matter { code name type }",
}


def _with(query: str, after: str, extra: str | None) -> str:
    return query.replace(after, f"{after} {EXTRA[extra]}", 1) if extra else query


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
    target: str = "POST /graphql"  # method and path

    def wire(self, host: str) -> bytes:
        """The whole HTTP/1.1 request as sent."""
        lines = [f"{self.target} HTTP/1.1", f"host: {host}", f"content-length: {len(self.body)}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


class HttpError(Exception):
    """The server's reply was not a complete HTTP/1.1 response."""


_FAILURES = (
    OSError,
    HttpError,
    TimeoutError,
    ValueError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
)


class Connection:
    """One keep-alive HTTP/1.1 connection; replies must carry content-length (uvicorn's do)."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, wire: bytes) -> tuple[int, bytes]:
        return await asyncio.wait_for(self._send(wire), self.timeout_s)

    async def worker(self) -> int:
        """The pid of the server worker process holding this connection."""
        wire = f"GET /healthz HTTP/1.1\r\nhost: {self.host}\r\n\r\n".encode("latin-1")
        _status, body = await asyncio.wait_for(self._send(wire), self.timeout_s)
        return int(json.loads(body)["worker"])

    async def _send(self, wire: bytes) -> tuple[int, bytes]:
        if self._writer is None or self._reader is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        try:
            writer.write(wire)
            head = await reader.readuntil(b"\r\n\r\n")
            status_line, _, rest = head.partition(b"\r\n")
            status = int(status_line.split(b" ", 2)[1])
            length = None
            for line in rest.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                raise HttpError("reply without content-length")
            return status, await reader.readexactly(length)
        except BaseException:
            self.close()  # a half-read reply leaves the connection unusable
            raise

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


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
    if kind == "public":
        target = f"GET /public/figures.json?month={job['month']}"
        reqs = [Request(b"", {}, _public_check, target=target)] * (warmup + count)
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
        body = _body(_with(MY_CASES, "window { code name }", job.get("extra")))
        reqs = [
            Request(body, headers[j], _my_cases_check(layout.case_count(j)))
            for j in (rng.choice(people) for _ in range(warmup + count))
        ]
        return reqs[:warmup], reqs[warmup:]
    if kind == "submit":
        return _submits(job, layout, secret, warmup, count)
    if kind == "case_staff":
        return _staff_views(job, layout, secret, warmup, count)
    raise ValueError(f"unknown job kind {kind!r}")


def _public_check(reply: dict[str, Any]) -> str | None:
    if reply.get("published") is True and reply.get("departments"):
        return None
    return json.dumps(reply, ensure_ascii=False)[:300]


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


def _staff_views(
    job: dict[str, Any], layout: Layout, secret: str, warmup: int, count: int
) -> tuple[list[Request], list[Request]]:
    """Department handlers opening random cases of their department."""
    rng = random.Random(job["seed"])
    query = _with(CASE, "department { code }", job.get("extra"))
    headers: dict[str, dict[str, str]] = {}
    reqs = []
    for _ in range(warmup + count):
        k = rng.randrange(layout.total)
        department = bench_case(layout, k).as_input()["departmentCode"]
        if department not in headers:
            headers[department] = _auth(
                secret,
                {
                    "sub": f"bench-handler-{department}",
                    "role": "dept_handler",
                    "department_code": department,
                },
            )
        body = _body(query, {"n": case_no(k)})
        reqs.append(
            Request(
                body, headers[department], _case_check(case_no(k), job.get("extra") == "applicant")
            )
        )
    return reqs[:warmup], reqs[warmup:]


def _case_check(number: str, personal: bool) -> Check:
    def check(reply: dict[str, Any]) -> str | None:
        found = (reply.get("data") or {}).get("case") or {}
        masked = "*" in str((found.get("applicant") or {}).get("phone") or "")
        if found.get("caseNo") == number and masked == personal:
            return None
        return json.dumps(reply.get("errors") or found, ensure_ascii=False)[:300]

    return check


@dataclass
class Tally:
    latencies: list[float]
    items: int = 0
    errors: int = 0
    first_error: str | None = None
    cpu_s: float = 0.0


async def drive(
    connections: list[Connection],
    reqs: list[Request],
    deadline_s: float,
    label: str,
) -> tuple[Tally, float, bool]:
    """Send every request (each worker takes the next one when its last reply is in)."""
    tally = Tally(latencies=[])
    host = connections[0].host
    queue = iter([(req, req.wire(host)) for req in reqs])
    cpu = time.process_time()
    start = time.perf_counter()
    stop_at = start + deadline_s
    step = max(1, len(reqs) // 10)
    timed_out = False

    async def worker(conn: Connection) -> None:
        nonlocal timed_out
        for req, wire in queue:
            if time.perf_counter() > stop_at:
                timed_out = True
                return
            sent = time.perf_counter()
            try:
                status, body = await conn.post(wire)
                tally.latencies.append(time.perf_counter() - sent)
                problem = (
                    req.check(json.loads(body))
                    if status == 200
                    else f"HTTP {status}: {body[:200].decode(errors='replace')}"
                )
            except _FAILURES as exc:
                problem = repr(exc)
            if problem is None:
                tally.items += req.items
            else:
                tally.errors += 1
                tally.first_error = tally.first_error or problem
            done = len(tally.latencies)
            if label and done % step == 0:
                print(f"  {label}: {done}/{len(reqs)} requests", file=sys.stderr, flush=True)

    await asyncio.gather(*(worker(conn) for conn in connections))
    tally.cpu_s = time.process_time() - cpu
    return tally, time.perf_counter() - start, timed_out


async def balanced(connect: Callable[[], Connection], count: int, workers: int) -> list[Connection]:
    """`count` open connections spread evenly over the server's worker processes.

    uvicorn's workers share one listening socket and the kernel hands a burst of new
    connections to whichever worker wakes first: a handful of keep-alive connections often
    all land on one worker and the other idles (seen here: one worker at 87 % CPU, the
    other at 0). Many real clients average out; a few long-lived bench connections do
    not, so we keep opening connections and keep those that even out the spread, as a
    round-robin proxy in front of the workers would."""
    share = -(-count // max(1, workers))
    kept: list[Connection] = []
    per_worker: dict[int, int] = {}
    spare: list[Connection] = []
    for _attempt in range(count * 40):
        if len(kept) == count:
            break
        conn = connect()
        pid = await conn.worker()
        if per_worker.get(pid, 0) < share:
            per_worker[pid] = per_worker.get(pid, 0) + 1
            kept.append(conn)
        else:
            spare.append(conn)  # held open, so the next connection goes elsewhere
    for conn in spare:
        conn.close()
    kept += [connect() for _ in range(count - len(kept))]  # could not balance: go on
    if len(per_worker) < min(workers, count):
        print(
            f"  warning: connections reach {len(per_worker)} of {workers} workers",
            file=sys.stderr,
            flush=True,
        )
    return kept


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


async def run(job: dict[str, Any]) -> dict[str, Any]:
    warm, timed = build(job)
    concurrency = job["concurrency"]
    where = urlsplit(job["url"])
    assert where.hostname and where.port, job["url"]
    connections = await balanced(
        lambda: Connection(where.hostname or "", where.port or 0, job.get("timeout_s", 60.0)),
        concurrency,
        job.get("workers", 1),
    )
    try:
        if warm:
            await drive(connections, warm, job["deadline_s"], "")
        before = machine_times()
        tally, elapsed, timed_out = await drive(
            connections, timed, job["deadline_s"], job.get("label", "")
        )
        after = machine_times()
    finally:
        for conn in connections:
            conn.close()
    return {
        **summary(
            job["kind"],
            concurrency,
            tally.latencies,
            elapsed,
            tally.cpu_s,
            (before, after),
        ),
        "errors": tally.errors,
        "first_error": tally.first_error,
        "timed_out": timed_out,
        "items": tally.items,
        "items_per_s": tally.items / elapsed,
    }


Times = tuple[float, float] | None


def summary(
    kind: str,
    concurrency: int,
    latencies: list[float],
    elapsed: float,
    client_cpu_s: float,
    machine: tuple[Times, Times],
) -> dict[str, Any]:
    """What every job reports: rate, latencies, the client's CPU and the whole machine's
    (readings of bench.cpu.machine_times before and after the timed part)."""
    ms = [s * 1000 for s in latencies]
    before, after = machine
    return {
        "kind": kind,
        "concurrency": concurrency,
        "requests": len(ms),
        "errors": 0,
        "first_error": None,
        "timed_out": False,
        "elapsed_s": elapsed,
        "rps": len(ms) / elapsed,
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=math.nan),
        "client_cpu_s": client_cpu_s,
        "machine_cpu_ms": busy_between(before, after) * 1000 / max(1, len(ms)),
        "machine_busy": busy_share(before, after),
    }


def serve_job(runner: Callable[[dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]) -> None:
    """A job process: the job as JSON on stdin, the result as JSON on stdout, on uvloop when
    installed (as the server runs, so client-side costs compare)."""
    job = json.load(sys.stdin)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(runner(job))
    else:
        result = uvloop.run(runner(job))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    serve_job(run)
