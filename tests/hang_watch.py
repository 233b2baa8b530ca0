"""A test that hangs ends the run within minutes and says what it was waiting for.

Without this, a test stuck on an await that never completes holds the whole run until CI's
own limit (5,400 s) and leaves only a truncated log: stop 26's run did exactly that. Here a
test that takes longer than HCP_TEST_HANG_SECONDS (default 300; CI's full run passes under
it) gets its asyncio tasks and threads written out, at once, to the terminal and to
var/hangs/. Then the run is interrupted like a Ctrl-C, so pytest still prints its
summary: once (asyncio's runner cancels the test), again after GRACE_SECONDS if the test
ignores the cancellation; a process still running 2 × GRACE_SECONDS later exits with
status 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

GRACE_SECONDS = 20.0
HANGS = Path(__file__).resolve().parents[1] / "var" / "hangs"


def awaiting_chain(awaitable: Any) -> list[str]:
    """Where a coroutine (or async generator) is suspended, outermost first, down to the
    future it waits for: print_stack stops at the first `async for`, this goes through."""
    lines: list[str] = []
    for _ in range(100):
        frame: FrameType | None = (
            getattr(awaitable, "cr_frame", None)
            or getattr(awaitable, "ag_frame", None)
            or getattr(awaitable, "gi_frame", None)
        )
        if frame is not None:
            code = frame.f_code
            lines.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        inner = (
            getattr(awaitable, "cr_await", None)
            or getattr(awaitable, "ag_await", None)
            or getattr(awaitable, "gi_yieldfrom", None)
            or _generator_of(awaitable)
        )
        if inner is None:
            if frame is None:
                lines.append(f"  waiting for {awaitable!r}")
            break
        awaitable = inner
    return lines


def _generator_of(awaitable: Any) -> Any:
    """The async generator an `async for` step (async_generator_asend/athrow) drives."""
    if type(awaitable).__name__ not in ("async_generator_asend", "async_generator_athrow"):
        return None
    found = [ref for ref in gc.get_referents(awaitable) if inspect.isasyncgen(ref)]
    return found[0] if found else None


def _tasks() -> list[asyncio.Task[Any]]:
    # Read from another thread while the loop may add or drop tasks: retry a changed set.
    for _ in range(10):
        try:
            return [task for task in list(asyncio.tasks._all_tasks) if not task.done()]
        except RuntimeError:
            continue
    return []


def report(nodeid: str, seconds: float) -> str:
    out = [f"\n!!! {nodeid} has run {seconds:g} s: it is taken to hang. Its tasks and threads:"]
    for task in _tasks():
        state = "cancelling" if task.cancelling() else "pending"
        out.append(f"task {task.get_name()} ({state}):")
        out += awaiting_chain(task.get_coro())
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        out.append(f"thread {names.get(ident, ident)}:")
        out += [line.rstrip() for line in traceback.format_stack(frame)[-12:]]
    return "\n".join(out) + "\n"


class HangWatch:
    def __init__(self, seconds: float, grace: float = GRACE_SECONDS) -> None:
        self.seconds = seconds
        self.grace = grace
        self.terminal: int | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        # Between tests the capture is suspended: this is the terminal (CI's log), which a
        # write during a test would otherwise not reach.
        try:
            self.terminal = os.dup(sys.stdout.fileno())
        except (OSError, ValueError):
            self.terminal = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        finished = threading.Event()
        watcher = threading.Thread(
            target=self._watch, args=(item.nodeid, finished), name="hang-watch", daemon=True
        )
        watcher.start()
        try:
            yield
        finally:
            finished.set()

    def _watch(self, nodeid: str, finished: threading.Event) -> None:
        if finished.wait(self.seconds):
            return
        text = report(nodeid, self.seconds)
        self._say(text)
        HANGS.mkdir(parents=True, exist_ok=True)
        (HANGS / (re.sub(r"[^\w.-]+", "_", nodeid)[:150] + ".txt")).write_text(text, "utf-8")
        os.kill(os.getpid(), signal.SIGINT)
        if not finished.wait(self.grace):
            os.kill(os.getpid(), signal.SIGINT)
        # pytest now ends the session; a test that ignored both interruptions also blocks
        # the event loop's closing, so the process is ended if it is still here.
        time.sleep(2 * self.grace)
        self._say(f"!!! {nodeid}: the run did not end when interrupted, so it is ended\n")
        os._exit(1)

    def _say(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        with contextlib.suppress(OSError):
            os.write(self.terminal if self.terminal is not None else 2, data)


def limit_from_env() -> float:
    return float(os.environ.get("HCP_TEST_HANG_SECONDS", "300"))
