"""What `hcp serve --workers 2` writes: every worker's access lines and policy reloads, each
line with time, level, logger and the worker's pid, as text or (HCP_LOG_FORMAT=json) one
JSON object a line, and none of the fixtures' personal data."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Settings, SettingsError
from tests.conftest import ROOT, citizen
from tests.factories import WANG
from tests.privacy_guard import needles
from tests.server.test_serve import Served

TEXT_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) (?P<level>[A-Z]+) "
    r"(?P<logger>[\w.]+) \[(?P<pid>\d+)\] (?P<message>.*)"
)
CASE = "query($n: String!) { case(caseNo: $n) { caseNo } }"


def _text(line: str) -> dict[str, Any]:
    found = TEXT_LINE.fullmatch(line)
    assert found, f"not a log line: {line!r}"
    return {**found.groupdict(), "pid": int(found["pid"])}


def _json(line: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(line)
    assert {"time", "level", "logger", "pid", "message"} <= record.keys(), line
    return record


PARSERS: dict[str, Callable[[str], dict[str, Any]]] = {"text": _text, "json": _json}


def _until(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within 30 s:\n{log.read_text()}")
        time.sleep(0.1)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_every_worker_logs_with_time_level_logger_and_pid(tmp_path: Path, log_format: str) -> None:
    rules = tmp_path / "rules.yaml"
    shutil.copyfile(ROOT / "rules.yaml", rules)
    shutil.copyfile(ROOT / "rules_test.yaml", tmp_path / "rules_test.yaml")
    env = {
        "HCP_VAR_DIR": str(tmp_path),
        "HCP_DATABASE_URL": "",
        "HCP_REDIS_URL": "",
        "HCP_RULES": str(rules),
        "HCP_RULES_POLL_SECONDS": "0.1",
        "HCP_LOG_FORMAT": log_format,
    }
    log = tmp_path / "serve.log"
    served = Served(["--workers", "2"], env, log)
    parse = PARSERS[log_format]
    try:
        # A new connection per request, so both worker processes answer sooner or later.
        workers: set[int] = set()
        for _ in range(200):
            workers.add(httpx.get(f"{served.url}/healthz", timeout=10).json()["worker"])
            if len(workers) == 2:
                break
        assert len(workers) == 2, workers
        # Personal data in a query string and in a token: neither may reach the log.
        httpx.get(
            f"{served.url}/graphql",
            params={"query": CASE, "variables": json.dumps({"n": WANG["idNumber"]})},
            headers={"Authorization": f"Bearer {citizen(WANG)}"},
            timeout=10,
        )
        rules.write_text(
            rules.read_text(encoding="utf-8").replace("（起步模板）", "（起步模板，修订）"),
            encoding="utf-8",
        )

        def reloaded_by() -> set[int]:
            lines = [parse(line) for line in log.read_text().splitlines() if line]
            return {r["pid"] for r in lines if r["message"].startswith("rules reloaded")}

        _until(lambda: reloaded_by() == workers, "reload message from both workers", log)
    finally:
        served.stop()
    text = log.read_text()
    records = [parse(line) for line in text.splitlines() if line]
    for record in records:
        datetime.fromisoformat(record["time"])
        assert record["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), record
    access = [r for r in records if r["logger"] == "hcp.access"]
    assert {r["pid"] for r in access} == workers
    assert any(r["message"].startswith("GET /healthz 200") for r in access)
    assert any(r["message"].startswith("GET /graphql 200") for r in access)
    leaked = {what for value, what in needles().items() if value in text}
    assert not leaked, f"the log holds {sorted(leaked)}"


def test_an_unknown_log_format_is_refused_at_start() -> None:
    assert Settings.from_env({"HCP_LOG_FORMAT": "json"}).log_format == "json"
    assert Settings.from_env({}).log_format == "text"
    with pytest.raises(SettingsError, match="HCP_LOG_FORMAT"):
        Settings.from_env({"HCP_LOG_FORMAT": "xml"})
