"""Running the deadline sweep on exactly one process: `hcp serve` (HCP_SWEEP=serve, the
default) or `hcp worker`, whichever holds the leader lock.

The lock is a PostgreSQL session advisory lock held on a connection of its own (not a
pooled one), so it lives exactly as long as that connection: a leader that dies, or whose
connection dies, frees it and another process takes it at its next try. On SQLite it is
an fcntl lock on a file beside the database (every `hcp serve` worker on that file elects
one). Each pass (the sweep, then the SMS outbox) is recorded in `job_run`, which /healthz
and `hcp doctor` read on every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx
from tortoise.backends.base.config_generator import expand_db_url

from models.job_runs import LastRun, last_run, record_completion, record_start
from rules import Engine
from server.settings import Settings
from server.sms_gateway import DevFileSender, HttpGatewaySender
from services.sms import SmsSender, deliver_due
from services.sweep_deadlines import sweep
from services.vault import Vault

log = logging.getLogger("hcp.sweep")

JOB = "deadlines"
# The advisory lock every hcp process contends for: "hcpsweep" in ASCII, as a bigint.
LOCK_KEY = 0x6863_7073_7765_6570
LOCK_APPLICATION_NAME = "hcp-sweep-lock"
# How long the lock's connection may take to connect or to answer before the process
# counts it lost (and, if it was the leader, stops sweeping).
_LOCK_TIMEOUT_SECONDS = 5.0
# How long shutdown waits for the current batch (one short transaction) before cancelling.
_STOP_SECONDS = 30.0

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def reminder_link_base(settings: Settings) -> str:
    """Reminders link to the mini-program's "my cases" on the public address."""
    return f"{settings.public_base_url}/m/?case="


def sms_sender(settings: Settings, client: httpx.AsyncClient) -> SmsSender:
    if settings.sms_gateway_url:
        return HttpGatewaySender(client, settings.sms_gateway_url, settings.sms_gateway_token)
    return DevFileSender(settings.var_dir / "sms-outbox.log")


class LeaderLock(Protocol):
    async def hold(self) -> bool:
        """Whether this process holds the lock now: taken at this call, or still held."""

    async def release(self) -> None: ...


class PostgresLock:
    """`pg_try_advisory_lock` on a dedicated connection. While held, each `hold()` checks
    that the connection still answers: its session is what holds the lock."""

    def __init__(self, database_url: str) -> None:
        credentials = expand_db_url(database_url.replace("postgresql://", "postgres://", 1))
        self._connect = {
            key: credentials["credentials"][key]
            for key in ("host", "port", "user", "password", "database")
        }
        self._conn: asyncpg.Connection | None = None
        self._held = False

    async def hold(self) -> bool:
        if self._conn is not None and self._conn.is_closed():
            # Its session, and so the lock, is gone: whoever tries next may take it.
            self._lost("closed")
            return False
        try:
            if self._conn is None:
                self._conn = await asyncpg.connect(
                    **self._connect,
                    timeout=_LOCK_TIMEOUT_SECONDS,
                    server_settings={"application_name": LOCK_APPLICATION_NAME},
                )
            conn = self._conn
            query = "SELECT 1" if self._held else "SELECT pg_try_advisory_lock($1)"
            args = () if self._held else (LOCK_KEY,)
            self._held = bool(
                await asyncio.wait_for(conn.fetchval(query, *args), _LOCK_TIMEOUT_SECONDS)
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self._lost(type(exc).__name__)
        return self._held

    def _lost(self, why: str) -> None:
        if self._held:
            log.warning("the sweep lock's connection was lost (%s)", why)
        self._drop()

    def _drop(self) -> None:
        """Forget the connection without waiting on it: whatever is left of its session
        (and so the lock) goes with it."""
        if self._conn is not None:
            self._conn.terminate()
        self._conn, self._held = None, False

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.close(timeout=_LOCK_TIMEOUT_SECONDS)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                self._conn.terminate()
        self._conn, self._held = None, False


class FileLock:
    """An exclusive fcntl lock on a file: released by the kernel when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def hold(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class ProcessLock:
    """An in-memory SQLite database is one process's own: that process leads."""

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def leader_lock(settings: Settings) -> LeaderLock:
    url = settings.database_url
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresLock(url)
    path = str(expand_db_url(url)["credentials"]["file_path"])
    if ":memory:" in path:
        return ProcessLock()
    return FileLock(Path(f"{path}.sweep-lock"))


@dataclass
class Sweeper:
    """One pass: the deadline sweep, then the SMS outbox, recorded in `job_run`."""

    engine: Engine
    sender: SmsSender
    vault: Vault
    link_base: str
    interval: float
    # Whether reminders may ask for an SMS reply: only when the inbound endpoint is on.
    replies: bool = False
    clock: Clock = field(default=_utc_now)
    holder: str = field(default_factory=holder_name)

    async def run_pass(self, stop: asyncio.Event) -> dict[str, Any]:
        now = self.clock()
        await record_start(JOB, holder=self.holder, interval_seconds=self.interval, at=now)
        report = await sweep(
            engine=self.engine,
            now=now,
            link_base=self.link_base,
            stop=stop,
            replies=self.replies,
        )
        # Read each pass: a published policy's quiet hours apply from the next one.
        sms = await deliver_due(
            sender=self.sender,
            vault=self.vault,
            now=now,
            quiet_hours=self.engine.sms_quiet_hours,
            stop=stop,
        )
        line = {
            "now": now.isoformat(),
            **asdict(report),
            **{f"sms_{k}": v for k, v in asdict(sms).items()},
        }
        if not stop.is_set():  # stopped between batches: not a completed pass
            await record_completion(
                JOB, holder=self.holder, at=self.clock(), report=json.dumps(line)
            )
        return line


async def lead(
    sweeper: Sweeper,
    lock: LeaderLock,
    *,
    stop: asyncio.Event,
    before_pass: Callable[[], Awaitable[None]] | None = None,
    on_pass: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """A pass per interval while this process holds the lock, a try for the lock per
    interval while it does not, until `stop` (which ends a pass after its current batch).
    A failed pass is logged and retried at the next interval: the sweep is idempotent, and
    a sweeper that gave up on a database hiccup would stop every reminder."""
    leading = False
    try:
        while not stop.is_set():
            held = await lock.hold()
            if held != leading:
                leading = held
                if held:
                    log.info("%s is now the sweep leader", sweeper.holder)
                else:
                    log.warning("%s is no longer the sweep leader", sweeper.holder)
            if leading:
                await _pass(sweeper, stop, before_pass, on_pass)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), sweeper.interval)
    finally:
        await lock.release()
        if leading:
            log.info("%s is no longer the sweep leader: it stops", sweeper.holder)


async def _pass(
    sweeper: Sweeper,
    stop: asyncio.Event,
    before_pass: Callable[[], Awaitable[None]] | None,
    on_pass: Callable[[dict[str, Any]], None] | None,
) -> None:
    if before_pass is not None:
        await before_pass()
    try:
        line = await sweeper.run_pass(stop)
    except Exception as exc:
        log.error("pass failed (%s); trying again in %g s", type(exc).__name__, sweeper.interval)
        return
    if on_pass is not None:
        on_pass(line)


def _log_work(line: dict[str, Any]) -> None:
    """In `hcp serve`: one INFO line for a pass that did something, nothing otherwise."""
    done = {k: v for k, v in line.items() if k != "now" and v}
    if done:
        log.info("sweep pass: %s", json.dumps(done))
    else:
        log.debug("sweep pass: nothing due")


@contextlib.asynccontextmanager
async def serve_sweep(
    settings: Settings, *, engine: Engine, vault: Vault, clock: Clock
) -> AsyncIterator[None]:
    """The sweep inside an `hcp serve` worker process (HCP_SWEEP=serve) for as long as the
    context is open; with HCP_SWEEP=worker, nothing. Shares the worker's engine, so the
    policy it applies follows reloads and publishes as the API's does."""
    if settings.sweep_mode != "serve":
        yield
        return
    stop = asyncio.Event()
    async with httpx.AsyncClient() as client:
        sweeper = Sweeper(
            engine=engine,
            sender=sms_sender(settings, client),
            vault=vault,
            link_base=reminder_link_base(settings),
            interval=settings.sweep_interval_seconds,
            replies=settings.sms_inbound_secret is not None,
            clock=clock,
        )
        task = asyncio.create_task(
            lead(sweeper, leader_lock(settings), stop=stop, on_pass=_log_work)
        )
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, _STOP_SECONDS)
            except TimeoutError:
                log.warning("the sweep did not stop within %g s; cancelled", _STOP_SECONDS)
            except Exception:
                log.exception("the sweep task failed")


# A sweep is late when its last completed pass is older than this many intervals (/healthz
# and `hcp doctor` alike).
SWEEP_GRACE_INTERVALS = 2


def sweep_health(
    run: LastRun | None, *, mode: str, since: datetime, now: datetime, interval: float
) -> tuple[dict[str, Any], bool]:
    """/healthz's view of the sweep, and whether it is late: its last completion is older
    than twice its interval. A process that started less than that ago gives the sweep that
    long for a first pass (a fresh deployment has no completion yet)."""
    every = run.interval_seconds if run is not None else interval
    completed = run.completed_at if run is not None else None
    latest = max(completed, since) if completed is not None else since
    late = now - latest > timedelta(seconds=SWEEP_GRACE_INTERVALS * every)
    view = {
        "lastCompleted": completed.isoformat() if completed is not None else None,
        "leader": run.holder if run is not None else None,
        "mode": mode,
    }
    return view, late


async def read_last_run() -> LastRun | None:
    return await last_run(JOB)
