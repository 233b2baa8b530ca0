"""`hcp doctor`: a pre-flight check of a deployment, every problem in one run.

Each finding is one line in plain words saying what is wrong and what to do. It never
prints a key, a secret or personal data: keys appear by id and fingerprint, URLs without
their password. Problems make the exit code 1; warnings are said and do not.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import pkgutil
import stat
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

import models.migrations
from models.db import connection, dialect, fetch, tortoise_config
from models.operations import JobRun
from rules import Engine, PolicyError, ReminderVia
from server import secrets
from server.auth import TokenVerifier
from server.redis_health import FAILURES, redis_client
from server.settings import Settings, SettingsError
from server.sweeper import SWEEP_GRACE_INTERVALS
from services.key_custody import custody
from services.vault import KeyRingError, Vault

# How long the database may take to answer before doctor calls it unreachable.
DATABASE_WAIT_SECONDS = 5.0
SWEEP = "deadlines"  # job_run.name of the deadline sweep
_MIGRATIONS_TABLE = "tortoise_migrations"

Severity = Literal["problem", "warning"]


@dataclass(frozen=True)
class Finding:
    check: str  # stable kebab-case id, e.g. "public-url"
    message: str
    severity: Severity = "problem"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser(
        "doctor", help="check the deployment's configuration: every problem, in plain words"
    )
    doctor.add_argument("--json", action="store_true", help="one JSON object instead of lines")


def main(args: argparse.Namespace) -> int:
    """`hcp doctor` reads the settings itself: it lists what `Settings.from_env` refuses."""
    return run(os.environ, now=datetime.now(UTC), as_json=args.json)


def run(environ: Mapping[str, str], *, now: datetime, as_json: bool) -> int:
    """Examine the deployment `environ` describes; print the findings; 1 if any problem."""
    findings = examine(environ, now)
    problems = sum(1 for f in findings if f.severity == "problem")
    if as_json:
        lines = [json.dumps({"problems": problems, "findings": [asdict(f) for f in findings]})]
    else:
        lines = [f"{f.severity}: [{f.check}] {f.message}" for f in findings]
        lines.append(_summary(findings, problems))
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()
    return 1 if problems else 0


def _summary(findings: list[Finding], problems: int) -> str:
    warnings = len(findings) - problems
    tail = f" ({_count(warnings, 'warning')})" if warnings else ""
    return f"{_count(problems, 'problem')}{tail}" if problems else f"all checks passed{tail}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def examine(environ: Mapping[str, str], now: datetime) -> list[Finding]:
    try:
        settings = Settings.read_env(environ)
    except SettingsError as exc:
        return [Finding("settings", f"{exc}; nothing else was checked")]
    except OSError as exc:
        return [
            Finding(
                "settings",
                f"{exc.filename} (named in the settings) cannot be read: {exc.strerror}; "
                "nothing else was checked",
            )
        ]
    findings = [Finding("settings", problem) for problem in settings.problems()]
    findings += _addresses(settings)
    findings += _key_files(settings)
    ring, ring_findings = _ring(settings)
    findings += ring_findings
    engine, policy_findings = _policy(settings)
    findings += policy_findings
    if engine is not None:
        findings += _sms(settings, engine, now)
    findings += asyncio.run(_services(settings, ring, now))
    return findings


# --- addresses ------------------------------------------------------------------------


def _addresses(settings: Settings) -> list[Finding]:
    if not settings.is_prod:
        return []
    found = []
    public = settings.public_url
    if public is None:
        found.append(
            Finding(
                "public-url",
                "HCP_PUBLIC_URL is unset: QR codes and SMS links would carry the address the "
                "service listens on; set it to the address citizens reach, e.g. "
                "https://hcp.example.gov.cn",
            )
        )
    elif _loopback(public):
        found.append(
            Finding(
                "public-url",
                f"HCP_PUBLIC_URL {public} is a loopback address no citizen can reach; set it "
                "to the public address of the reverse proxy",
            )
        )
    elif urlsplit(public).scheme.lower() != "https":
        found.append(
            Finding(
                "public-url",
                f"HCP_PUBLIC_URL {public} is not https://: citizens' sign-in and ratings would "
                "cross the network in clear; serve TLS at the reverse proxy and use https://",
            )
        )
    if settings.login_url is None:
        found.append(
            Finding(
                "login-url",
                "HCP_LOGIN_URL is unset: citizens' pages would have no real-name login to "
                "send people to; set it to the platform's login entry",
            )
        )
    return found


def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- keys -----------------------------------------------------------------------------


def _key_files(settings: Settings) -> list[Finding]:
    found = []
    for path in secrets.files_in_use(settings):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found.append(
                Finding(
                    "key-file-mode",
                    f"{path} (a secret key) has mode {mode:04o}: group or others may read or "
                    f"change it; run `chmod 600 {path}` as its owner",
                )
            )
    public = settings.jwt_public_key_file
    if public is not None and public.exists():
        mode = stat.S_IMODE(public.stat().st_mode)
        if mode & 0o022:
            found.append(
                Finding(
                    "key-file-mode",
                    f"{public} (HCP_JWT_PUBLIC_KEY) has mode {mode:04o}: group or others may "
                    "replace it with a key of their own and sign any token; run "
                    f"`chmod 644 {public}`",
                )
            )
    if settings.jwt_public_key:
        try:
            TokenVerifier.for_public_key(settings.jwt_public_key)
        except ValueError as exc:
            found.append(Finding("jwt-public-key", f"HCP_JWT_PUBLIC_KEY cannot be used: {exc}"))
    return found


def _ring(settings: Settings) -> tuple[str | None, list[Finding]]:
    """The data key ring in use, when there is one and it parses."""
    try:
        ring = secrets.data_key_in_use(settings)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not ASCII text"
        return None, [
            Finding(
                "data-key",
                f"the data key ring cannot be read from {_ring_source(settings)}: {reason}",
            )
        ]
    if ring is None:
        return None, []
    found = []
    if settings.is_prod and settings.data_key:
        found.append(
            Finding(
                "data-key",
                "HCP_DATA_KEY holds the key ring in the environment, which every child "
                "process inherits; keep it in a 0600 file named by HCP_DATA_KEY_FILE instead",
                "warning",
            )
        )
    try:
        Vault.from_ring(ring)
    except KeyRingError as exc:
        where = _ring_source(settings)
        return None, [
            *found,
            Finding("data-key", f"the data key ring in {where} is not usable: {exc}"),
        ]
    return ring, found


def _ring_source(settings: Settings) -> str:
    if settings.data_key:
        return "HCP_DATA_KEY"
    if settings.data_key_file:
        return str(settings.data_key_file)
    return str(settings.var_dir / secrets.DEV_DATA_KEY)


# --- policy ---------------------------------------------------------------------------


def _policy(settings: Settings) -> tuple[Engine | None, list[Finding]]:
    try:
        return Engine.from_path(settings.rules_path), []
    except PolicyError as exc:
        return None, [
            Finding("policy", f"the policy is not valid: {problem}") for problem in exc.problems
        ]
    except OSError as exc:
        return None, [
            Finding("policy", f"the policy {settings.rules_path} cannot be read: {exc.strerror}")
        ]


def _sms(settings: Settings, engine: Engine, now: datetime) -> list[Finding]:
    """The policy sends reminders by SMS but there is no gateway: in prod they would queue
    for ever (in dev they go to a file under var/)."""
    if not settings.is_prod or settings.sms_gateway_url:
        return []
    # Asked as the sweep asks it: the reminder's channels of the cutoffs decision.
    remind = engine.cutoffs(now).value.remind
    if remind is None or ReminderVia.SMS not in remind.via:
        return []
    return [
        Finding(
            "sms-gateway",
            "the policy sends reminders by SMS (reminder.via) but HCP_SMS_GATEWAY_URL is unset: "
            "no SMS would leave; set the gateway's URL (and HCP_SMS_GATEWAY_TOKEN)",
        )
    ]


# --- Redis and the database -----------------------------------------------------------


async def _services(settings: Settings, ring: str | None, now: datetime) -> list[Finding]:
    found = await _redis(settings)
    found += await _database(settings, ring, now)
    return found


async def _redis(settings: Settings) -> list[Finding]:
    if settings.redis_url is None:
        if not settings.is_prod:
            return []
        return [
            Finding(
                "redis",
                "HCP_REDIS_URL is unset: fine with one worker, but with `hcp serve --workers N` "
                "anti-abuse counts are kept per process and window events do not reach every "
                "worker",
                "warning",
            )
        ]
    client = redis_client(settings.redis_url, settings)
    try:
        async with asyncio.timeout(max(settings.redis_timeout_seconds * 4, 2.0)):
            await client.ping()
    except FAILURES as exc:
        return [
            Finding(
                "redis",
                f"Redis at {_without_password(settings.redis_url)} does not answer "
                f"({type(exc).__name__}): start it, or fix HCP_REDIS_URL",
            )
        ]
    finally:
        await client.aclose()
    return []


async def _database(settings: Settings, ring: str | None, now: datetime) -> list[Finding]:
    where = _without_password(settings.database_url)
    missing = _missing_sqlite_file(settings.database_url)
    if missing is not None:
        return [
            Finding(
                "database",
                f"the database file {missing} does not exist: run `hcp migrate` to create it",
            )
        ]
    try:
        async with asyncio.timeout(DATABASE_WAIT_SECONDS):
            await Tortoise.init(
                config=tortoise_config(settings.database_url), _enable_global_fallback=True
            )
            pending, unknown = await _migrations()
            if pending or unknown:
                return _migration_findings(pending, unknown)
            return await _contents(settings, ring, now)
    except Exception as exc:  # whatever the driver raises: said in one line, no traceback
        return [
            Finding(
                "database",
                f"the database at {where} cannot be used ({_reason(exc)}): check "
                "HCP_DATABASE_URL and that the server is up",
            )
        ]
    finally:
        await Tortoise.close_connections()


def _missing_sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite://") or ":memory:" in url:
        return None
    path = Path(url.removeprefix("sqlite://"))
    return None if path.exists() else path


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {DATABASE_WAIT_SECONDS:g} s"
    text = str(exc).strip().splitlines()
    detail = f": {text[0][:200]}" if text else ""
    return f"{type(exc).__name__}{detail}"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***@" if parts.username else ":***@"
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}{host}").geturl()


def _committed_migrations() -> list[str]:
    modules = pkgutil.iter_modules(models.migrations.__path__)
    return sorted(m.name for m in modules if m.name[:4].isdigit())


async def _migrations() -> tuple[list[str], list[str]]:
    """The committed migrations not applied, and the applied ones this code does not know."""
    conn = connection()
    tables = await _table_names(conn)
    applied: set[str] = set()
    if _MIGRATIONS_TABLE in tables:
        rows = await fetch(conn, f"SELECT name FROM {_MIGRATIONS_TABLE} WHERE app = 'models'")  # noqa: S608
        applied = {str(row["name"]) for row in rows}
    committed = _committed_migrations()
    return [m for m in committed if m not in applied], sorted(applied - set(committed))


async def _table_names(conn: BaseDBAsyncClient) -> set[str]:
    if dialect(conn) == "postgres":
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return {str(row["name"]) for row in await fetch(conn, sql)}


def _migration_findings(pending: list[str], unknown: list[str]) -> list[Finding]:
    found = []
    if pending:
        found.append(
            Finding(
                "migrations",
                f"{_count(len(pending), 'migration')} not applied ({', '.join(pending)}): "
                "run `hcp migrate`; the database's contents were not checked",
            )
        )
    if unknown:
        found.append(
            Finding(
                "migrations",
                f"the database has migrations this version of hcp does not know "
                f"({', '.join(unknown)}): it was migrated by a newer hcp; deploy that one",
            )
        )
    return found


async def _contents(settings: Settings, ring: str | None, now: datetime) -> list[Finding]:
    found = await _reference_data()
    found += await _sweep_leader(settings, now)
    if ring is not None:
        found += await _custody(settings, ring)
    return found


_REFERENCE = (("region", "regions"), ("department", "departments"), ("service_window", "windows"))


async def _reference_data() -> list[Finding]:
    conn = connection()
    empty = []
    for table, words in _REFERENCE:
        rows = await fetch(conn, f"SELECT EXISTS (SELECT 1 FROM {table}) AS present")  # noqa: S608
        if not rows[0]["present"]:
            empty.append(words)
    if not empty:
        return []
    return [
        Finding(
            "reference-data",
            f"no {', no '.join(empty)} in the database: cases cannot be taken in or rated "
            "until the reference data is loaded (`hcp import`, docs/import.md)",
        )
    ]


async def _sweep_leader(settings: Settings, now: datetime) -> list[Finding]:
    hint = "start `hcp serve` with HCP_SWEEP=serve, or `hcp worker` with HCP_SWEEP=worker"
    run = await JobRun.get_or_none(name=SWEEP)
    if run is None or run.completed_at is None:
        return [
            Finding(
                "sweep",
                "no process has ever completed a deadline sweep (no defaults, expiries or "
                f"reminders): {hint}",
            )
        ]
    completed = run.completed_at.astimezone(UTC)
    if now - completed <= timedelta(seconds=SWEEP_GRACE_INTERVALS * run.interval_seconds):
        return []
    return [
        Finding(
            "sweep",
            f"no process has completed a deadline sweep since {completed:%Y-%m-%d %H:%M:%S} "
            f"UTC (it runs every {run.interval_seconds:g} s): {hint}",
        )
    ]


async def _custody(settings: Settings, ring: str) -> list[Finding]:
    sealing = (await custody(ring))[0]
    if sealing.acknowledged:
        return []
    return [
        Finding(
            "key-custody",
            f"no second copy of the data key {sealing.key.key_id} (fingerprint "
            f"{sealing.key.fingerprint}) is acknowledged: losing it loses every applicant's "
            "data for good; store a copy apart (offline, another custodian), then run "
            "`hcp key-custody acknowledge --by NAME`",
            "problem" if settings.is_prod else "warning",
        )
    ]
