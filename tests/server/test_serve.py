"""The two ways operators start the service, as real processes on a real socket:
`hcp serve --demo` on SQLite with nothing else running (what `make run` does), and the
production shape: several workers against PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import (
    DATA_KEY,
    REDIS_URL,
    ROOT,
    SECRET,
    _admin,
    _in_thread,
    new_postgres_database,
    require,
    token,
)
from tests.factories import CHEN, INGEST, WANG, case_input
from tests.profiles import ten_working_days

HCP = [sys.executable, "-m", "server.cli"]
MY_CASES = "{ myCases(first: 50) { totalCount nodes { caseNo matter { name } } } }"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Served:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as sink:
            self.process = subprocess.Popen(
                [*HCP, "serve", "--port", str(self.port), "--log-level", "warning", *args],
                env={**os.environ, **env},
                stdout=sink,
                stderr=subprocess.STDOUT,
                # Its own process group: kill() takes the supervisor and its workers.
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"hcp serve exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"hcp serve did not become healthy:\n{log.read_text()}")

    def gql(
        self, query: str, bearer: str, variables: dict[str, object] | None = None
    ) -> dict[str, object]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=30,
        )
        assert response.status_code == 200
        body: dict[str, object] = response.json()
        return body

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crashed host or an OOM kill would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def owns(self, pid: int) -> bool:
        """Whether `pid` is this serve's supervisor or one of its workers."""
        try:
            return os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Served]:
    env = {
        "HCP_VAR_DIR": str(tmp_path),
        "HCP_ENV": "dev",
        "HCP_DATABASE_URL": "",
        "HCP_REDIS_URL": "",
        "HCP_JWT_SECRET": "",
        "HCP_DATA_KEY": "",
    }
    served = Served(["--demo"], env, tmp_path / "serve.log")
    try:
        yield served
    finally:
        served.stop()


def test_the_demo_serves_on_sqlite_with_nothing_else_running(demo: Served, tmp_path: Path) -> None:
    assert (tmp_path / "hcp.sqlite3").exists()
    out = subprocess.run(
        [
            *HCP,
            "token",
            "--role",
            "citizen",
            "--id-number",
            WANG["idNumber"],
            "--name",
            WANG["name"],
        ],
        env={**os.environ, "HCP_VAR_DIR": str(tmp_path), "HCP_JWT_SECRET": ""},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    body = demo.gql(MY_CASES, out.stdout.strip())
    cases = body["data"]["myCases"]  # type: ignore[index]
    assert cases["totalCount"] >= 5
    assert all(n["caseNo"].startswith("DEMO-") for n in cases["nodes"])
    page = httpx.get(f"{demo.url}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "demo: 7 regions, 9 windows, 16 new cases" in (tmp_path / "serve.log").read_text()


@contextlib.contextmanager
def fresh_postgres(prefix: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database for real `hcp` processes; dropped afterwards."""
    with new_postgres_database(prefix) as database:
        subprocess.run(
            [*HCP, "migrate"],
            env={**os.environ, "HCP_DATABASE_URL": database},
            check=True,
            timeout=120,
            capture_output=True,
        )
        yield database


@pytest.fixture
def production_shape(tmp_path: Path) -> Iterator[Served]:
    redis = require(REDIS_URL, "HCP_TEST_REDIS_URL")
    # A rules file of its own: a publish writes the file it serves.
    rules = tmp_path / "rules.yaml"
    shutil.copyfile(ROOT / "rules.yaml", rules)
    shutil.copyfile(ROOT / "rules_test.yaml", tmp_path / "rules_test.yaml")
    with fresh_postgres("hcp_serve") as database:
        env = {
            "HCP_VAR_DIR": str(tmp_path),
            "HCP_DATABASE_URL": database,
            "HCP_REDIS_URL": redis,
            "HCP_JWT_SECRET": SECRET,
            "HCP_DATA_KEY": DATA_KEY,
            "HCP_RULES": str(rules),
        }
        _in_thread(_admin(database, "INSERT INTO region (code, name) VALUES ('330283', '奉化区')"))
        served = Served(["--workers", "2"], env, tmp_path / "serve.log")
        try:
            yield served
        finally:
            served.stop()


PUBLISH = """
mutation($y: String!, $s: String, $n: String) {
  publishRules(yaml: $y, scenarios: $s, note: $n) { __typename ... on RulesPublished { id } }
}"""
ACTIVATE = """
mutation($id: ID!) { activateRulesVersion(id: $id, note: "撤回") { __typename } }"""


@pytest.mark.postgres
@pytest.mark.redis
def test_a_publish_and_a_rollback_are_served_by_every_worker_on_the_next_request(
    production_shape: Served,
) -> None:
    # Both workers up (each subscribed to the rules broadcast before it serves) first.
    workers = {httpx.get(f"{production_shape.url}/healthz").json()["worker"] for _ in range(60)}
    assert len(workers) == 2, workers
    staff = token("policy_staff")
    first = production_shape.gql(PUBLISH, staff, {"y": (ROOT / "rules.yaml").read_text("utf-8")})
    v1 = first["data"]["publishRules"]["id"]  # type: ignore[index]
    longer, scenarios = ten_working_days("longer")
    second = production_shape.gql(PUBLISH, staff, {"y": longer, "s": scenarios, "n": "延长"})
    assert second["data"]["publishRules"]["__typename"] == "RulesPublished"  # type: ignore[index]

    def served() -> set[str]:
        """The labels of the policies served to 60 requests, each on a new connection:
        both worker processes answer some of them (as /healthz shows below)."""
        query = {"query": "{ rulesVersion { label } }"}
        return {
            httpx.post(f"{production_shape.url}/graphql", json=query).json()["data"][
                "rulesVersion"
            ]["label"]
            for _ in range(60)
        }

    log = production_shape.log.read_text  # what the workers said, when it fails
    assert served() == {"longer"}, log()
    back = production_shape.gql(ACTIVATE, staff, {"id": v1})
    assert back["data"]["activateRulesVersion"]["__typename"] == "RulesPublished"  # type: ignore[index]
    assert served() == {"template-2026.1"}, log()


@pytest.mark.postgres
@pytest.mark.redis
def test_two_workers_on_postgres_and_redis_serve_the_same_data(production_shape: Served) -> None:
    health = httpx.get(f"{production_shape.url}/healthz", timeout=10).json()
    assert {k: v for k, v in health.items() if k not in ("worker", "sweep")} == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
    }
    assert health["sweep"]["mode"] == "serve"
    # Each request on a new connection; both worker processes answer sooner or later.
    workers = {
        httpx.get(f"{production_shape.url}/healthz", timeout=10).json()["worker"] for _ in range(60)
    }
    assert len(workers) == 2, workers
    cases = [case_input(f"P-{i}", WANG if i % 2 else CHEN) for i in range(40)]
    body = production_shape.gql(INGEST, token("system"), {"cases": cases})
    assert body["data"]["ingestCases"]["acceptedCount"] == 40  # type: ignore[index]
    wang = token("citizen", id_number=WANG["idNumber"])
    totals = {
        production_shape.gql(MY_CASES, wang)["data"]["myCases"]["totalCount"]  # type: ignore[index]
        for _ in range(20)
    }
    assert totals == {20}


def test_hcp_rules_selects_the_policy_a_region_runs(tmp_path: Path) -> None:
    env = {
        "HCP_VAR_DIR": str(tmp_path),
        "HCP_DATABASE_URL": "",
        "HCP_REDIS_URL": "",
        "HCP_RULES": "rules/profiles/fenghua.yaml",
    }
    served = Served([], env, tmp_path / "serve.log")
    try:
        body = served.gql("{ rulesVersion { label title } }", token("system"))
    finally:
        served.stop()
    assert body["data"]["rulesVersion"]["label"].startswith("fenghua")  # type: ignore[index]
    assert "奉化" in body["data"]["rulesVersion"]["title"]  # type: ignore[index]


@pytest.mark.postgres
@pytest.mark.redis
def test_a_pad_on_one_worker_hears_a_case_completed_through_another(
    production_shape: Served,
) -> None:
    staff = token("window_staff", staff_code="S-02", department_code="D-SCJG")
    production_shape.gql(INGEST, token("system"), {"cases": [case_input("PAD-0")]})
    pairing = production_shape.gql('mutation { pairPad(windowCode: "W-01") { token } }', staff)
    pad_token = pairing["data"]["pairPad"]["token"]  # type: ignore[index]
    heard = asyncio.run(_listen_while_ingesting(production_shape, pad_token))
    assert heard["caseNo"] == "PAD-1" and heard["staffName"] == "李晓燕"


async def _listen_while_ingesting(served: Served, pad_token: str) -> dict[str, object]:
    url = served.url.replace("http://", "ws://") + "/graphql"
    query = 'subscription { windowEvents(windowCode: "W-01") { caseNo staffName } }'
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Pad {pad_token}"}}
            )
        )
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await asyncio.sleep(0.3)  # readiness: the subscribe is not acknowledged
        async with httpx.AsyncClient(base_url=served.url) as client:
            for attempt in range(4):  # several calls, so some land on the other worker
                await client.post(
                    "/graphql",
                    json={
                        "query": INGEST,
                        "variables": {"cases": [case_input(f"PAD-{attempt + 1}")]},
                    },
                    headers={"Authorization": f"Bearer {token('system')}"},
                )
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    event: dict[str, object] = message["payload"]["data"]["windowEvents"]
    return event
