"""The real server as a subprocess: `hcp serve --workers N` on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def hcp_command() -> list[str]:
    """The `hcp` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("hcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """Context manager: started and healthy on enter, always stopped on exit."""

    def __init__(self, *, env: dict[str, str], cwd: Path, log_path: Path, workers: int) -> None:
        self.env, self.cwd, self.log_path, self.workers = env, cwd, log_path, workers
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [
            *hcp_command(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("ab") as log:
            # Own session: a Ctrl-C in the terminal reaches us, and we stop the server.
            self._proc = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self._proc.returncode}; see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"the server was not healthy within {START_TIMEOUT_S:.0f} s; see {self.log_path}"
        )

    def stop(self) -> None:
        """SIGTERM to the uvicorn supervisor (it stops its workers), SIGKILL to its process
        group (its workers included) for whatever has not exited in time."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_TIMEOUT_S)
        with contextlib.suppress(ProcessLookupError):  # what is left of our process group
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
