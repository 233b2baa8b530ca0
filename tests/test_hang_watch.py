"""A hanging test ends the run quickly and shows what it waited for (tests/hang_watch.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

CONFTEST = """
from tests.hang_watch import HangWatch


def pytest_configure(config):
    config.pluginmanager.register(HangWatch(1.5, grace=3), "hang_watch")
"""

HANGS = """
import asyncio


async def stuck_forever():
    await asyncio.Event().wait()


async def test_passes():
    await asyncio.sleep(0)


async def test_hangs():
    await stuck_forever()


async def test_ignores_cancellation():
    while True:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
"""


def run(tmp_path: Path, select: str) -> tuple[subprocess.CompletedProcess[str], float]:
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_hangs.py").write_text(HANGS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            "-k",
            select,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    return done, time.monotonic() - started


def test_a_hanging_test_interrupts_the_run_and_says_where_it_waits(tmp_path: Path) -> None:
    done, seconds = run(tmp_path, "passes or hangs")
    assert done.returncode != 0
    assert seconds < 60
    assert "test_hangs.py::test_hangs has run 1.5 s: it is taken to hang" in done.stdout
    # The await chain goes down into the coroutine the test awaits.
    assert "in stuck_forever" in done.stdout
    assert "1 passed" in done.stdout


def test_a_test_that_ignores_the_interruption_ends_the_process(tmp_path: Path) -> None:
    done, seconds = run(tmp_path, "ignores_cancellation")
    assert done.returncode == 1
    assert seconds < 60
    assert "test_ignores_cancellation: the run did not end when interrupted" in done.stdout
