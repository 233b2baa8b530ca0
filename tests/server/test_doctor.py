"""`hcp doctor` as an operator runs it: a correct production configuration passes, and
each problem it is there to catch is named in plain words with exit code 1.

Every run is `.venv/bin/hcp doctor` in a subprocess with an explicit environment, against
a PostgreSQL database copied (CREATE DATABASE … TEMPLATE) from one migrated and filled the
way a correct deployment is, so a test can break one thing without touching the others.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PG_URL, REDIS_URL, ROOT, require

HCP = str(Path(sys.executable).parent / "hcp")
KEY_BYTES = b"doctor-test-data-key-32-bytes-!!"
DATA_KEY = "d1:" + base64.b64encode(KEY_BYTES).decode()
NEW_KEY = "d2:" + base64.b64encode(b"n" * 32).decode()
PUBLIC_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
)


def _in_thread(coro: Any) -> Any:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _sql_async(url: str, statements: tuple[str, ...], args: tuple[Any, ...]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement, *([*args] if "$" in statement else []))
    finally:
        await conn.close()


def sql(url: str, *statements: str, args: tuple[Any, ...] = ()) -> None:
    _in_thread(_sql_async(url, statements, args))


def database(name: str) -> str:
    return urlunsplit(urlsplit(require(PG_URL, "HCP_TEST_POSTGRES_URL"))._replace(path=f"/{name}"))


def hcp(
    *args: str, env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`hcp` with exactly `env` (and PATH), as a service manager would start it."""
    return subprocess.run(
        [HCP, *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database holding what a correct deployment holds: reference data and a
    custody statement for DATA_KEY (recorded through `hcp key-custody acknowledge`)."""
    name = f"hcp_doctor_tpl_{uuid.uuid4().hex[:10]}"
    admin = require(PG_URL, "HCP_TEST_POSTGRES_URL")
    sql(admin, f'CREATE DATABASE "{name}"')
    try:
        url = database(name)
        tmp = tmp_path_factory.mktemp("template")
        env = {"HCP_DATABASE_URL": url, "HCP_DATA_KEY": DATA_KEY, "HCP_VAR_DIR": str(tmp)}
        assert hcp("migrate", env=env, cwd=tmp).returncode == 0
        sql(
            url,
            "INSERT INTO region (id, code, name) VALUES (1, '110105', 'R')",
            "INSERT INTO department (id, code, name, region_id) VALUES (1, 'D-1', 'D', 1)",
            "INSERT INTO service_window (id, code, name, department_id) VALUES (1, 'W-1', 'W', 1)",
        )
        acknowledged = hcp("key-custody", "acknowledge", "--by", "ops-a", "--yes", env=env, cwd=tmp)
        assert acknowledged.returncode == 0, acknowledged.stderr
        yield name
    finally:
        sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Deployment:
    env: dict[str, str]
    database_url: str
    dir: Path

    def doctor(self, *args: str, **changes: str | None) -> subprocess.CompletedProcess[str]:
        """Run `hcp doctor` with `changes` to the environment (None unsets)."""
        env = {**self.env, **{k: v for k, v in changes.items() if v is not None}}
        for unset in [k for k, v in changes.items() if v is None]:
            env.pop(unset, None)
        result = hcp("doctor", *args, env=env, cwd=self.dir)
        # Whatever it found, it never shows a key, a password or a traceback.
        for secret in (DATA_KEY.partition(":")[2], NEW_KEY.partition(":")[2], "Traceback"):
            assert secret not in result.stdout + result.stderr
        return result

    def sweep_completed(self, at: datetime, interval: float = 60.0) -> None:
        sql(
            self.database_url,
            "DELETE FROM job_run WHERE name = 'deadlines'",
            "INSERT INTO job_run (name, holder, started_at, completed_at, interval_seconds, "
            "report) VALUES ('deadlines', 'host-1:123', $1, $1, $2, '{}')",
            args=(at, interval),
        )


@pytest.fixture
def deployment(template: str, tmp_path: Path) -> Iterator[Deployment]:
    """A correct production configuration: its own copy of the database, a swept deadline
    a moment ago, the data key in a 0600 file, the identity provider's public key file."""
    require(REDIS_URL, "HCP_TEST_REDIS_URL")
    admin = require(PG_URL, "HCP_TEST_POSTGRES_URL")
    name = f"hcp_doctor_{uuid.uuid4().hex[:10]}"
    sql(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        key_file = tmp_path / "data.key"
        key_file.write_text(DATA_KEY + "\n", encoding="ascii")
        key_file.chmod(0o600)
        pem = tmp_path / "idp.pem"
        pem.write_bytes(PUBLIC_PEM)
        pem.chmod(0o644)
        shutil.copyfile(ROOT / "rules.yaml", tmp_path / "rules.yaml")
        env = {
            "HCP_ENV": "prod",
            "HCP_DATABASE_URL": database(name),
            "HCP_REDIS_URL": require(REDIS_URL, "HCP_TEST_REDIS_URL"),
            "HCP_DATA_KEY_FILE": str(key_file),
            "HCP_JWT_PUBLIC_KEY": str(pem),
            "HCP_PUBLIC_URL": "https://hcp.example.gov.cn",
            "HCP_LOGIN_URL": "https://login.example.gov.cn/oauth/authorize",
            "HCP_SMS_GATEWAY_URL": "https://sms.example.gov.cn/send",
            "HCP_RULES": str(tmp_path / "rules.yaml"),
            "HCP_VAR_DIR": str(tmp_path / "var"),
        }
        found = Deployment(env, database(name), tmp_path)
        found.sweep_completed(datetime.now(UTC))
        yield found
    finally:
        sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("problem: ")]


def only_problem(result: subprocess.CompletedProcess[str], check: str) -> str:
    """The one problem of a run that broke one thing: its exit code and summary say so."""
    found = problems(result)
    assert [line.split("]")[0] for line in found] == [f"problem: [{check}"], result.stdout
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("1 problem")
    return found[0]


def test_a_correct_production_configuration_passes(deployment: Deployment) -> None:
    result = deployment.doctor()
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == ["all checks passed"]


def test_json_output_lists_the_findings(deployment: Deployment) -> None:
    result = deployment.doctor("--json", HCP_LOGIN_URL=None)
    body = json.loads(result.stdout)
    assert result.returncode == 1 and body["problems"] == 1
    assert [f["check"] for f in body["findings"]] == ["login-url"]


def test_production_on_sqlite(deployment: Deployment) -> None:
    result = deployment.doctor(HCP_DATABASE_URL=f"sqlite://{deployment.dir}/hcp.sqlite3")
    assert result.returncode == 1
    assert "problem: [settings] HCP_ENV=prod needs HCP_DATABASE_URL to point at PostgreSQL" in (
        problems(result)
    )


def test_missing_keys_are_all_named_in_one_run(deployment: Deployment) -> None:
    result = deployment.doctor(HCP_DATA_KEY_FILE=None, HCP_JWT_PUBLIC_KEY=None)
    found = problems(result)
    assert len(found) == 2 and result.returncode == 1, result.stdout
    assert "identity provider's keys" in found[0]
    assert "HCP_DATA_KEY_FILE (or HCP_DATA_KEY)" in found[1]
    assert result.stdout.splitlines()[-1] == "2 problems"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620])
def test_a_data_key_file_others_may_read_or_change(deployment: Deployment, mode: int) -> None:
    key_file = Path(deployment.env["HCP_DATA_KEY_FILE"])
    key_file.chmod(mode)
    line = only_problem(deployment.doctor(), "key-file-mode")
    assert f"{key_file} (a secret key) has mode {mode:04o}" in line and "chmod 600" in line


def test_a_public_key_file_others_may_change(deployment: Deployment) -> None:
    Path(deployment.env["HCP_JWT_PUBLIC_KEY"]).chmod(0o666)
    line = only_problem(deployment.doctor(), "key-file-mode")
    assert "HCP_JWT_PUBLIC_KEY" in line and "0666" in line


def test_the_dev_key_files_in_use_are_checked(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    (var / "data.key").write_text(DATA_KEY, encoding="ascii")
    (var / "data.key").chmod(0o644)
    (var / "jwt-secret").write_text("s" * 48, encoding="ascii")
    (var / "jwt-secret").chmod(0o600)
    result = hcp("doctor", env={"HCP_VAR_DIR": str(var)}, cwd=tmp_path)
    modes = [line for line in problems(result) if "[key-file-mode]" in line]
    assert len(modes) == 1 and f"{var / 'data.key'} (a secret key) has mode 0644" in modes[0]
    assert "s" * 48 not in result.stdout


def test_a_data_key_without_an_acknowledged_second_copy(deployment: Deployment) -> None:
    # A rotation put a new key first: the statement about the old one says nothing of it.
    Path(deployment.env["HCP_DATA_KEY_FILE"]).write_text(f"{NEW_KEY},{DATA_KEY}", "ascii")
    line = only_problem(deployment.doctor(), "key-custody")
    assert "data key d2 (fingerprint" in line and "hcp key-custody acknowledge" in line


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "https://127.9.0.1",
        "http://localhost:8000",
        "https://[::1]:8443",
        None,
        "http://hcp.example.gov.cn",
    ],
)
def test_a_public_url_citizens_cannot_reach_safely(deployment: Deployment, url: str | None) -> None:
    line = only_problem(deployment.doctor(HCP_PUBLIC_URL=url), "public-url")
    assert "HCP_PUBLIC_URL" in line


def test_no_login_url_in_production(deployment: Deployment) -> None:
    assert "HCP_LOGIN_URL is unset" in only_problem(
        deployment.doctor(HCP_LOGIN_URL=None), "login-url"
    )


def test_no_sweep_ever_completed(deployment: Deployment) -> None:
    sql(deployment.database_url, "DELETE FROM job_run")
    line = only_problem(deployment.doctor(), "sweep")
    assert "HCP_SWEEP=serve" in line and "hcp worker" in line


def test_a_sweep_leader_gone_quiet(deployment: Deployment) -> None:
    last = datetime.now(UTC) - timedelta(minutes=3)
    deployment.sweep_completed(last, interval=60)
    line = only_problem(deployment.doctor(), "sweep")
    assert f"since {last:%Y-%m-%d %H:%M:%S} UTC" in line


def test_redis_unreachable(deployment: Deployment) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    line = only_problem(deployment.doctor(HCP_REDIS_URL=url), "redis")
    assert url in line and "does not answer" in line


def test_a_policy_that_does_not_validate(deployment: Deployment) -> None:
    rules = Path(deployment.env["HCP_RULES"])
    rules.write_text(rules.read_text("utf-8").replace("after: 24 hours", "after: soon"), "utf-8")
    line = only_problem(deployment.doctor(), "policy")
    assert f"{rules.name}:" in line or str(rules) in line


def test_no_reference_data(deployment: Deployment) -> None:
    sql(
        deployment.database_url,
        "DELETE FROM service_window",
        "DELETE FROM department",
        "DELETE FROM region",
    )
    line = only_problem(deployment.doctor(), "reference-data")
    assert "no regions, no departments, no windows" in line


def test_sms_reminders_without_a_gateway(deployment: Deployment) -> None:
    line = only_problem(deployment.doctor(HCP_SMS_GATEWAY_URL=None), "sms-gateway")
    assert "HCP_SMS_GATEWAY_URL" in line


def test_call_reminders_need_no_sms_gateway(deployment: Deployment) -> None:
    rules = Path(deployment.env["HCP_RULES"])
    rules.write_text(rules.read_text("utf-8").replace("via: [SMS]", "via: [CALL]"), "utf-8")
    result = deployment.doctor(HCP_SMS_GATEWAY_URL=None)
    assert result.returncode == 0, result.stdout


def test_a_database_that_does_not_answer(deployment: Deployment) -> None:
    url = f"postgres://hcp:pw-not-shown@127.0.0.1:{free_port()}/hcp"
    result = deployment.doctor(HCP_DATABASE_URL=url)
    line = only_problem(result, "database")
    assert f"127.0.0.1:{urlsplit(url).port}/hcp" in line and "pw-not-shown" not in result.stdout


def test_a_database_not_migrated(deployment: Deployment) -> None:
    admin = require(PG_URL, "HCP_TEST_POSTGRES_URL")
    name = f"hcp_doctor_empty_{uuid.uuid4().hex[:10]}"
    sql(admin, f'CREATE DATABASE "{name}"')
    try:
        line = only_problem(deployment.doctor(HCP_DATABASE_URL=database(name)), "migrations")
    finally:
        sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert "0001_initial" in line and "hcp migrate" in line


# --- hcp key-custody ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def custody_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"HCP_VAR_DIR": str(tmp_path), "HCP_DATA_KEY": f"{NEW_KEY},{DATA_KEY}"}
    if request.param == "sqlite":
        env["HCP_DATABASE_URL"] = f"sqlite://{tmp_path}/hcp.sqlite3"
        assert hcp("migrate", env=env, cwd=tmp_path).returncode == 0
        yield env
        return
    admin = require(PG_URL, "HCP_TEST_POSTGRES_URL")
    name = f"hcp_custody_{uuid.uuid4().hex[:10]}"
    sql(admin, f'CREATE DATABASE "{name}"')
    try:
        env["HCP_DATABASE_URL"] = database(name)
        assert hcp("migrate", env=env, cwd=tmp_path).returncode == 0
        yield env
    finally:
        sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_key_custody_records_a_second_copy_of_the_sealing_key(
    custody_env: dict[str, str], tmp_path: Path
) -> None:
    status = hcp("key-custody", "status", env=custody_env, cwd=tmp_path)
    lines = status.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["d2", "d1"]
    assert all(line.endswith("NO second copy acknowledged") for line in lines)

    refused = hcp(
        "key-custody", "acknowledge", "--by", "ops-a", env=custody_env, cwd=tmp_path, stdin="y\n"
    )
    assert refused.returncode == 1 and "d2" in refused.stderr and "lost for good" in refused.stderr
    assert "NO second copy" in hcp("key-custody", "status", env=custody_env, cwd=tmp_path).stdout

    args = ("key-custody", "acknowledge", "--by", "ops-a", "--note", "safe B")
    done = hcp(*args, env=custody_env, cwd=tmp_path, stdin="d2\n")
    assert done.returncode == 0, done.stderr
    assert '"key_id": "d2"' in done.stdout and '"new": true' in done.stdout
    lines = hcp("key-custody", "status", env=custody_env, cwd=tmp_path).stdout.splitlines()
    assert "seals new data: second copy acknowledged by ops-a on " in lines[0]
    assert lines[0].endswith("(safe B)") and lines[1].endswith("NO second copy acknowledged")

    again = hcp(
        "key-custody", "acknowledge", "--by", "ops-b", "--yes", env=custody_env, cwd=tmp_path
    )
    assert '"new": false' in again.stdout and '"acknowledged_by": "ops-a"' in again.stdout
    for result in (status, refused, done, again):
        assert base64.b64encode(b"n" * 32).decode() not in result.stdout + result.stderr


def test_key_custody_fingerprint_tells_a_copy_from_another_key(tmp_path: Path) -> None:
    env = {"HCP_VAR_DIR": str(tmp_path), "HCP_DATA_KEY": DATA_KEY}
    configured = hcp("key-custody", "fingerprint", env=env, cwd=tmp_path).stdout
    copy = tmp_path / "copy.key"
    copy.write_text(DATA_KEY, encoding="ascii")
    other = tmp_path / "other.key"
    other.write_text("d1:" + base64.b64encode(b"o" * 32).decode(), encoding="ascii")
    same = hcp("key-custody", "fingerprint", "--file", str(copy), env=env, cwd=tmp_path).stdout
    differs = hcp("key-custody", "fingerprint", "--file", str(other), env=env, cwd=tmp_path).stdout
    assert configured == same != differs
    assert configured.startswith("d1  fingerprint ") and DATA_KEY[3:] not in configured


def test_a_key_ring_in_the_environment_is_a_warning(deployment: Deployment) -> None:
    result = deployment.doctor(HCP_DATA_KEY_FILE=None, HCP_DATA_KEY=DATA_KEY)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "all checks passed (1 warning)"
    assert "warning: [data-key] HCP_DATA_KEY holds the key ring in the environment" in result.stdout
