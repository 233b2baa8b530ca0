"""The address `hcp serve` hands its workers (HCP_SERVED_URL): what a client could type,
so links made without a request (SMS reminders) follow the port actually served."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from server import cli
from server.served_url import served_url
from server.settings import Settings


def test_a_named_address_is_served_as_given() -> None:
    assert served_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert served_url("::1", 8123) == "http://[::1]:8123"
    assert served_url("hcp.intranet", 80) == "http://hcp.intranet:80"


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])  # noqa: S104 - what operators pass
def test_a_wildcard_bind_is_served_at_an_address_of_this_machine(wildcard: str) -> None:
    host = urlsplit(served_url(wildcard, 8123)).hostname
    assert host not in (None, "0.0.0.0", "::")  # noqa: S104
    with socket.socket() as probe:
        probe.bind((host, 0))  # only an address (or name) of this machine binds


def test_hcp_serve_hands_its_address_to_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HCP_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HCP_SERVED_URL", "http://stale:1")  # restored after the test
    monkeypatch.delenv("HCP_PUBLIC_URL", raising=False)
    seen: dict[str, Any] = {}

    def run(*_args: Any, **kwargs: Any) -> None:
        # What a worker process reads at start (uvicorn is the border: it is not started).
        seen["port"] = kwargs["port"]
        seen["public"] = Settings.from_env().public_base_url

    monkeypatch.setattr(cli.uvicorn, "run", run)
    args = argparse.Namespace(
        host="127.0.0.1", port=8765, workers=2, demo=False, log_level="warning"
    )
    assert cli._serve(Settings.from_env(), args) == 0
    assert seen == {"port": 8765, "public": "http://127.0.0.1:8765"}
