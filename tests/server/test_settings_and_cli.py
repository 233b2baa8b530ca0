"""Configuration and the `hcp` command as an operator meets them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from server import secrets
from server.redis_health import RedisHealth
from server.settings import Settings, SettingsError

HCP = [sys.executable, "-m", "server.cli"]


def test_dev_defaults_need_nothing_configured(tmp_path: Path) -> None:
    settings = Settings.from_env({"HCP_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path}/hcp.sqlite3"
    assert settings.redis_url is None and settings.env == "dev"


def test_an_unset_or_empty_variable_takes_the_fields_default(tmp_path: Path) -> None:
    """Each default is written once, on its Settings field; the environment reader and
    RedisHealth take it from there."""
    unset = Settings.read_env({"HCP_VAR_DIR": str(tmp_path)})
    empty = Settings.read_env({"HCP_VAR_DIR": str(tmp_path), "HCP_SWEEP_INTERVAL_SECONDS": ""})
    for name in ("rules_poll_seconds", "sweep_interval_seconds", "redis_timeout_seconds"):
        assert getattr(unset, name) == getattr(empty, name) == getattr(Settings, name)
    assert (unset.sweep_mode, unset.log_format) == (Settings.sweep_mode, Settings.log_format)
    given = Settings.read_env({"HCP_VAR_DIR": str(tmp_path), "HCP_PAD_RATING_MINUTES": "5"})
    assert given.pad_rating_minutes == 5.0 != Settings.pad_rating_minutes
    assert unset.pad_days == 365.0
    pads = Settings.read_env({"HCP_VAR_DIR": str(tmp_path), "HCP_PAD_DAYS": "0"})
    assert pads.problems() == ["HCP_PAD_DAYS must be more than 0 (a pad is revoked on the console)"]
    health = RedisHealth()
    assert (health.timeout, health.retry_after) == (
        Settings.redis_timeout_seconds,
        Settings.redis_retry_seconds,
    )


@pytest.mark.parametrize("missing", ["HCP_JWT_PUBLIC_KEY", "HCP_DATA_KEY", "HCP_DATABASE_URL"])
def test_production_refuses_to_start_without_its_secrets(missing: str, tmp_path: Path) -> None:
    pem = tmp_path / "idp.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\n", encoding="ascii")
    env = {
        "HCP_ENV": "prod",
        "HCP_JWT_PUBLIC_KEY": str(pem),
        "HCP_DATA_KEY": "k:AAAA",
        "HCP_DATABASE_URL": "postgres://db/hcp",
    }
    del env[missing]
    with pytest.raises(SettingsError):
        Settings.from_env(env)


def test_production_refuses_a_shared_hs256_secret(tmp_path: Path) -> None:
    env = {
        "HCP_ENV": "prod",
        "HCP_JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----",
        "HCP_DATA_KEY": "k:AAAA",
        "HCP_DATABASE_URL": "postgres://db/hcp",
        "HCP_JWT_SECRET": "shared",
    }
    with pytest.raises(SettingsError):
        Settings.from_env(env)


def run_hcp(
    *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HCP, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def test_hcp_token_mints_a_dev_token_the_service_accepts(tmp_path: Path) -> None:
    env = {"HCP_VAR_DIR": str(tmp_path), "HCP_ENV": "dev", "HCP_JWT_SECRET": ""}
    out = run_hcp(
        "token",
        "--role",
        "citizen",
        "--id-number",
        "11010519491231002X",
        "--name",
        "王小明",
        env=env,
    ).stdout.strip()
    secret = (tmp_path / "jwt-secret").read_text(encoding="ascii")
    claims = jwt.decode(out, secret, algorithms=["HS256"])
    assert claims["role"] == "citizen" and claims["id_number"] == "11010519491231002X"
    assert claims["sub"] != claims["id_number"]


def test_hcp_token_is_refused_in_production(tmp_path: Path) -> None:
    env = {"HCP_VAR_DIR": str(tmp_path), "HCP_ENV": "prod"}
    result = run_hcp("token", "--role", "system", env=env, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def _prod_env(tmp_path: Path) -> dict[str, str]:
    pem = tmp_path / "idp.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\n", encoding="ascii")
    key_file = tmp_path / "data.key"
    key_file.write_text("k:AAAA\n", encoding="ascii")
    key_file.chmod(0o600)
    return {
        "HCP_ENV": "prod",
        "HCP_JWT_PUBLIC_KEY": str(pem),
        "HCP_DATA_KEY_FILE": str(key_file),
        "HCP_DATABASE_URL": "postgres://db/hcp",
    }


def test_problems_lists_every_reason_and_check_refuses_on_the_first(tmp_path: Path) -> None:
    env = {"HCP_ENV": "prod", "HCP_JWT_SECRET": "shared", "HCP_VAR_DIR": str(tmp_path)}
    settings = Settings.read_env(env)
    found = settings.problems()
    assert len(found) == 4, found
    assert "identity provider's keys" in found[0] and "PostgreSQL" in found[-1]
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert str(refused.value) == found[0]


def test_the_data_key_ring_can_live_in_a_file(tmp_path: Path) -> None:
    settings = Settings.from_env(_prod_env(tmp_path))
    assert settings.data_key is None
    assert secrets.data_key(settings) == "k:AAAA"
    assert settings.jwt_public_key_file == tmp_path / "idp.pem"


def test_the_data_key_comes_from_one_place(tmp_path: Path) -> None:
    env = {**_prod_env(tmp_path), "HCP_DATA_KEY": "k:BBBB"}
    with pytest.raises(SettingsError, match="HCP_DATA_KEY and HCP_DATA_KEY_FILE, not both"):
        Settings.from_env(env)


def test_a_data_key_file_that_cannot_be_read_is_refused_at_start(tmp_path: Path) -> None:
    env = {**_prod_env(tmp_path), "HCP_DATA_KEY_FILE": str(tmp_path / "absent.key")}
    with pytest.raises(SettingsError, match=r"absent\.key, which is not a file"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value", "refused"),
    [
        ("HCP_LOGIN_URL", "javascript:alert(1)", True),
        ("HCP_LOGIN_URL", "//evil.example/login", True),
        ("HCP_LOGIN_URL", "https://login.example.gov.cn/auth?app=hcp", False),
        ("HCP_LOGIN_URL", "/mock-platform/login", False),
        ("HCP_PUBLIC_URL", "pj.example.gov.cn", True),
        ("HCP_PUBLIC_URL", "/m/", True),
        ("HCP_PUBLIC_URL", "https://pj.example.gov.cn", False),
    ],
)
def test_the_login_and_public_addresses_must_be_web_addresses(
    name: str, value: str, refused: bool, tmp_path: Path
) -> None:
    env = {"HCP_VAR_DIR": str(tmp_path), name: value}
    if refused:
        with pytest.raises(SettingsError, match=f"{name} must be an http"):
            Settings.from_env(env)
    else:
        Settings.from_env(env)
