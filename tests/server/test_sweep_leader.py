"""The deadline sweep cannot be forgotten: `hcp serve` runs it on exactly one process of
all its workers and hosts (a leader elected by a lock), another takes over when the leader
dies, each pass is recorded in job_run, and /healthz says when the sweep is late."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from models.job_runs import record_completion, record_start
from tests.conftest import DATA_KEY, NO_SWEEP, ROOT, SECRET, Api, _in_thread, token
from tests.factories import INGEST, WANG, case_input
from tests.server.test_serve import HCP, Served, fresh_postgres

INTERVAL = 1.0
BECAME = "is now the sweep leader"
LEFT = "is no longer the sweep leader"
CASE = "query($n: String!) { case(caseNo: $n) { ratingStatus effectiveRating { channel } } }"
T = TypeVar("T")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "HCP_VAR_DIR": str(tmp_path),
        "HCP_DATABASE_URL": "",
        "HCP_REDIS_URL": "",
        "HCP_JWT_SECRET": SECRET,
        "HCP_DATA_KEY": DATA_KEY,
        "HCP_SWEEP": "serve",
        "HCP_SWEEP_INTERVAL_SECONDS": str(INTERVAL),
        "HCP_LOG_FORMAT": "json",
        "HCP_PUBLIC_URL": "",
        **extra,
    }


def _records(*logs: Path) -> list[dict[str, Any]]:
    found = []
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
    return found


def _said(message: str, *logs: Path) -> list[dict[str, Any]]:
    return [r for r in _records(*logs) if r["message"].endswith(message)]


def _until(check: Callable[[], T | None], what: str, seconds: float = 60) -> T:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {seconds:g} s")
        time.sleep(0.1)


def _health(served: Served) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{served.url}/healthz", timeout=10).json()
    return body


def _passes(served: Served, count: int) -> dict[str, Any]:
    """/healthz once `count` more passes have completed: the sweep observed over as many
    intervals, whichever worker answers."""
    seen: set[str] = set()

    def more() -> dict[str, Any] | None:
        health = _health(served)
        if health["sweep"]["lastCompleted"] is not None:
            seen.add(health["sweep"]["lastCompleted"])
        return health if len(seen) > count else None

    return _until(more, f"{count} completed sweep passes")


def _pid(holder: str) -> int:
    host, _, pid = holder.rpartition(":")
    assert host == socket.gethostname()
    return int(pid)


def _all_answers(served: Served, requests: int = 30) -> list[dict[str, Any]]:
    """Each on a new connection, so every worker of the serve answers some."""
    return [_health(served) for _ in range(requests)]


async def _job_run(database: str) -> dict[str, Any]:
    conn = await asyncpg.connect(database)
    try:
        row = await conn.fetchrow("SELECT * FROM job_run WHERE name = 'deadlines'")
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


async def _cut_the_lock_connection(database: str) -> int:
    """Ends the session holding this database's sweep lock. pg_locks is the whole server's:
    without the database, a suite running beside this one on the same server (seen: a
    second checkout's tests) had its lock connection ended too, and counted."""
    conn = await asyncpg.connect(database)
    try:
        ended: int = await conn.fetchval(
            "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND a.application_name = 'hcp-sweep-lock' AND a.datname = current_database()"
        )
    finally:
        await conn.close()
    return ended


@pytest.mark.postgres
def test_two_serves_on_postgres_elect_one_sweep_leader_and_another_takes_over(
    tmp_path: Path,
) -> None:
    with fresh_postgres("hcp_sweep") as database:
        env = _env(tmp_path, HCP_DATABASE_URL=database)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = Served(
            ["--workers", "2"], {**env, "HCP_VAR_DIR": str(tmp_path / "a")}, tmp_path / "a.log"
        )
        second = Served(
            ["--workers", "2"], {**env, "HCP_VAR_DIR": str(tmp_path / "b")}, tmp_path / "b.log"
        )
        try:
            health = _passes(first, 3)
            holder = health["sweep"]["leader"]
            [elected] = _said(BECAME, first.log, second.log)
            assert elected["pid"] == _pid(holder)
            answers = _all_answers(first) + _all_answers(second)
            assert {a["sweep"]["leader"] for a in answers} == {holder}
            assert {a["status"] for a in answers} == {"ok"}
            assert len({a["worker"] for a in answers}) == 4
            row = _in_thread(_job_run(database))
            assert row["holder"] == holder and row["interval_seconds"] == INTERVAL
            assert row["completed_at"] >= row["started_at"] - timedelta(seconds=INTERVAL * 3)
            assert {"defaults_applied", "reminders_queued", "sms_sent"} <= json.loads(
                row["report"]
            ).keys()

            leader, survivor = (first, second) if first.owns(_pid(holder)) else (second, first)
            assert leader.owns(_pid(holder)) and not survivor.owns(_pid(holder))
            killed_at = datetime.now(UTC)
            leader.kill()
            [took] = _until(lambda: _said(BECAME, survivor.log), "new sweep leader")
            assert survivor.owns(took["pid"])
            assert datetime.fromisoformat(took["time"]) - killed_at < timedelta(
                seconds=2 * INTERVAL
            )
            after = _passes(survivor, 1)
            assert after["sweep"]["leader"] == f"{socket.gethostname()}:{took['pid']}"
            assert datetime.fromisoformat(after["sweep"]["lastCompleted"]) > killed_at

            # The lock lives as long as its connection: cut it, and the leader stops.
            assert _in_thread(_cut_the_lock_connection(database)) == 1
            _until(
                lambda: [r for r in _said(LEFT, survivor.log) if r["pid"] == took["pid"]],
                "step down after the lock's connection was cut",
            )
            _until(lambda: len(_said(BECAME, survivor.log)) == 2, "a leader again")
            assert _passes(survivor, 1)["status"] == "ok"
        finally:
            first.stop()
            second.stop()


def _migrated_sqlite(env: dict[str, str]) -> None:
    subprocess.run(
        [*HCP, "migrate"], env={**os.environ, **env}, check=True, timeout=120, capture_output=True
    )


def test_serve_workers_on_one_sqlite_file_elect_one_leader(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _migrated_sqlite(env)
    served = Served(["--workers", "2"], env, tmp_path / "serve.log")
    try:
        holder = _passes(served, 3)["sweep"]["leader"]
        answers = _all_answers(served)
        # Elections while serving. During the stop, the other worker may take the lock the
        # leader lets go of before its own signal arrives (seen under load): a handover.
        serving = _said(BECAME, served.log)
    finally:
        served.stop()
    assert len({a["worker"] for a in answers}) == 2
    assert {a["sweep"]["leader"] for a in answers} == {holder}
    assert {a["status"] for a in answers} == {"ok"}
    [elected] = serving
    assert elected["pid"] == _pid(holder) and elected["pid"] in {a["worker"] for a in answers}
    records = _records(served.log)
    # Nothing was due: no line per pass, and none failed.
    assert not [r for r in records if r["logger"] == "hcp.sweep" and "pass" in r["message"]]
    # A clean stop says the leader let go, and every worker that led says so.
    stopped = [r["pid"] for r in _said("it stops", served.log)]
    assert elected["pid"] in stopped
    assert sorted(stopped) == sorted(r["pid"] for r in _said(BECAME, served.log))


async def test_healthz_is_degraded_when_the_sweep_is_late(api: Api) -> None:
    """The test app leaves the sweep to a worker (make_settings) with the 60 s interval."""
    body = (await api.client.get("/healthz")).json()
    assert (body["status"], body["sweep"]) == ("ok", NO_SWEEP)
    api.clock.advance(seconds=121)  # no pass twice the interval after start
    late = await api.client.get("/healthz")
    assert late.status_code == 200
    assert (late.json()["status"], late.json()["sweep"]) == ("degraded", NO_SWEEP)

    done = api.clock.now - timedelta(seconds=30)
    await record_start("deadlines", holder="host-a:41", interval_seconds=60, at=done)
    await record_completion("deadlines", holder="host-a:41", at=done, report="{}")
    fresh = (await api.client.get("/healthz")).json()
    assert fresh["status"] == "ok"
    assert fresh["sweep"] == {
        "lastCompleted": done.isoformat(),
        "leader": "host-a:41",
        "mode": "worker",
    }
    api.clock.advance(seconds=91)  # 121 s after that completion
    assert (await api.client.get("/healthz")).json()["status"] == "degraded"
    # A pass that started and did not complete does not count.
    await record_start("deadlines", holder="host-b:7", interval_seconds=60, at=api.clock.now)
    again = (await api.client.get("/healthz")).json()
    assert again["status"] == "degraded" and again["sweep"]["lastCompleted"] == done.isoformat()


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*HCP, "worker"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(worker: subprocess.Popen[str]) -> tuple[str, str]:
    worker.send_signal(signal.SIGTERM)
    try:
        return worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_with_sweep_left_to_a_worker_healthz_is_degraded_until_one_runs(tmp_path: Path) -> None:
    env = _env(tmp_path, HCP_SWEEP="worker")
    _migrated_sqlite(env)
    served = Served([], env, tmp_path / "serve.log")
    worker = None
    try:
        late = _until(lambda: (h := _health(served))["status"] == "degraded" and h, "degraded")
        assert late["sweep"] == {"lastCompleted": None, "leader": None, "mode": "worker"}
        worker = _worker(env)
        assert worker.stdout is not None
        line = json.loads(worker.stdout.readline())  # its interval: HCP_SWEEP_INTERVAL_SECONDS
        assert {"now", "defaults_applied", "sms_sent"} <= line.keys()
        fresh = _until(lambda: (h := _health(served))["status"] == "ok" and h, "ok again")
        assert fresh["sweep"]["leader"] == f"{socket.gethostname()}:{worker.pid}"
        _, err = _stop(worker)
        assert worker.returncode == 0 and "Traceback" not in err
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        served.stop()
    assert not _said(BECAME, served.log)  # the serve itself never swept


def test_a_worker_does_not_sweep_while_a_serve_leads(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _migrated_sqlite(env)
    served = Served([], env, tmp_path / "serve.log")
    try:
        holder = _passes(served, 1)["sweep"]["leader"]
        worker = _worker(env)
        try:
            _passes(served, 3)  # the worker had three tries at the lock meanwhile
            assert _health(served)["sweep"]["leader"] == holder
        finally:
            out, err = _stop(worker)
    finally:
        served.stop()
    assert worker.returncode == 0, err
    assert out == ""  # not one pass
    assert BECAME not in err


def test_a_serve_with_no_worker_applies_defaults_and_sends_reminders(tmp_path: Path) -> None:
    # rules.yaml without its quiet hours, so the reminder goes whatever the time of the run;
    # with the inbound endpoint on, it asks for a reply (reply_hint).
    rules = tmp_path / "rules.yaml"
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    rules.write_text(re.sub(r"(?m)^\s*quiet_hours:.*$\n", "", text), encoding="utf-8")
    env = _env(
        tmp_path,
        HCP_PUBLIC_URL="https://hcp.example.test",
        HCP_RULES=str(rules),
        HCP_SMS_INBOUND_SECRET="inbound-secret",
    )
    served = Served(["--demo"], env, tmp_path / "serve.log")
    try:
        china = timezone(timedelta(hours=8))
        now = datetime.now(china)

        def done(case_no: str, ago: timedelta) -> dict[str, Any]:
            completed = now - ago
            accepted = completed - timedelta(hours=1)
            return case_input(
                case_no, completedAt=completed.isoformat(), acceptedAt=accepted.isoformat()
            )

        # rules.yaml: a default after 7 natural days, a reminder SMS after 24 hours.
        cases = [
            done("SWEEP-DEFAULT", timedelta(days=10)),
            done("SWEEP-REMIND", timedelta(hours=30)),
        ]
        body = served.gql(INGEST, token("system"), {"cases": cases})
        assert body["data"]["ingestCases"]["acceptedCount"] == 2, body  # type: ignore[index]

        def case(case_no: str) -> dict[str, Any]:
            found = served.gql(CASE, token("system"), {"n": case_no})
            return found["data"]["case"]  # type: ignore[index,no-any-return]

        _until(lambda: case("SWEEP-DEFAULT")["ratingStatus"] == "DEFAULTED", "default rating")
        assert case("SWEEP-DEFAULT")["effectiveRating"] == {"channel": "DEFAULT"}
        outbox = tmp_path / "sms-outbox.log"
        link = "https://hcp.example.test/m/?case=SWEEP-REMIND"

        def reminded() -> list[dict[str, Any]]:
            if not outbox.exists():
                return []
            sent = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
            return [m for m in sent if link in m["text"]]

        [message] = _until(reminded, "reminder SMS")
        assert "回复1-5分" in message["text"]  # rules.yaml's reply_hint
        assert message["to"] != WANG["phone"] and message["to"].endswith(WANG["phone"][-4:])
        assert case("SWEEP-REMIND")["ratingStatus"] == "UNRATED"
    finally:
        served.stop()
    work = [r for r in _records(served.log) if r["logger"] == "hcp.sweep"]
    # The pass that did the work says so, at INFO; no pass failed.
    assert any(r["message"].startswith("sweep pass:") for r in work)
    assert not [r for r in work if r["level"] == "ERROR"]
