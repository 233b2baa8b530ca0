"""`hcp`: serve, migrate, seed the demo, mint dev tokens, sweep deadlines, rotate the data key."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import uvicorn
from tortoise.exceptions import DBConnectionError

from rules import Engine, PolicyError
from rules import cli as rules_cli
from server import doctor, export_command, import_command, key_custody, secrets, stats_command
from server.auth import addressed, mint
from server.body_limit import MAX_BODY_BYTES
from server.database import migrate, open_database
from server.demo import SeedReport, seed_demo
from server.logs import configure_logging, log_config
from server.redis_health import redis_client
from server.rules_runtime import RulesFileWatch, adopt_rules_at_start, request_reload
from server.served_url import served_url
from server.settings import Settings, SettingsError
from server.sweeper import Sweeper, lead, leader_lock, reminder_link_base, sms_sender
from services.identity import IDENTITY_CLAIMS, Role
from services.rotate_key import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MissingKeyError,
    RotationReport,
    UnreadableRowError,
    rotate_key,
)
from services.sweep_deadlines import SweepReport, sweep
from services.vault import KeyRingError, Vault

# What `hcp serve` says at start goes through logging, so that with HCP_LOG_FORMAT=json
# every line of the service's output is one JSON object.
serve_log = logging.getLogger("hcp.serve")
HISTORY_HELP = (
    "with the demo: half a year of rated cases before its week, so the statistics have figures"
)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.demo:
        asyncio.run(migrate(settings))
        report = asyncio.run(_seed(settings, history=args.history))
        serve_log.info(
            "demo: %d regions, %d windows, %d new cases",
            report.regions,
            report.windows,
            report.cases,
        )
    base = served_url(args.host, args.port)
    # Read by every worker's Settings (public_base_url): links follow the port served.
    os.environ["HCP_SERVED_URL"] = base
    window = "W-01" if args.demo else "<windowCode>"
    lines = [
        f"hcp serving on {base}",
        f"  GraphQL + GraphiQL: {base}/graphql"
        if not settings.is_prod
        else f"  GraphQL: {base}/graphql",
        f"  health:             {base}/healthz",
        f"  my cases (mobile):  {base}/m/",
        f"  window scan page:   {base}/w/{window}",
        f"  window QR poster:   {base}/qr/{window}/poster",
        f"  evaluator pad:      {base}/pad/{window}",
    ]
    if not settings.is_prod:
        lines.append(f"  mock platform login (dev only): {base}/mock-platform/login")
    if settings.public_url:
        lines.append(f"  QR codes and SMS links point at HCP_PUBLIC_URL {settings.public_url}")
    if settings.is_prod and not settings.login_url:
        serve_log.warning("HCP_LOGIN_URL is unset: the citizen pages cannot offer 实名登录")
    for line in lines:
        serve_log.info("%s", line)
    uvicorn.run(
        "server.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        # Applied again in each worker process: spawned workers inherit no logging setup.
        log_config=log_config(settings.log_format),
        log_level=args.log_level,
        ws_max_size=MAX_BODY_BYTES,
        # uvicorn would trust X-Forwarded-For from localhost by itself; HCP_TRUSTED_PROXIES
        # (server.client_address) is the only place that decides whose headers count.
        proxy_headers=False,
    )
    return 0


async def _seed(settings: Settings, *, history: bool) -> SeedReport:
    # The demo's history is rated under the policy it serves with; without a usable one
    # (`hcp serve` refuses to start then anyway) the demo week alone is seeded.
    engine = _engine(settings) if history else None
    async with open_database(settings):
        return await seed_demo(
            vault=Vault.from_ring(secrets.data_key(settings)),
            now=datetime.now(UTC),
            engine=engine,
        )


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(migrate(settings))
    print("migrations applied", flush=True)
    return 0


def _seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(migrate(settings))
    print(json.dumps(asyncio.run(_seed(settings, history=args.history)).__dict__), flush=True)
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    if settings.is_prod:
        print("hcp token mints dev tokens only; it is refused when HCP_ENV=prod", file=sys.stderr)
        return 2
    secret = secrets.jwt_secret(settings)
    if secret is None:
        print(
            "hcp token needs HCP_JWT_SECRET (the service verifies a public key here)",
            file=sys.stderr,
        )
        return 2
    claims = {"sub": args.sub or args.staff_code or f"dev-{args.role}", "role": args.role}
    for name in IDENTITY_CLAIMS:
        value = getattr(args, name)
        if value:
            claims[name] = value
    claims = addressed(claims, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    print(mint(secret, claims, ttl=timedelta(hours=args.hours)))
    return 0


def _rules(settings: Settings, args: argparse.Namespace) -> int:
    lang = args.lang or settings.lang
    if args.action == "check":
        return rules_cli.check(args.files or [settings.rules_path], lang=lang)
    if args.action == "test":
        return rules_cli.test(args.files or [settings.rules_path], lang=lang)
    return _rules_reload(settings, lang)


def _rules_reload(settings: Settings, lang: str) -> int:
    """Validate the rules file, then make every running worker re-read it."""
    if rules_cli.check([settings.rules_path], lang=lang) != 0:
        print("not reloaded: the running service keeps its current rules", file=sys.stderr)
        return 1
    if settings.redis_url:
        receivers = asyncio.run(_broadcast_reload(settings))
        print(f"reload sent to {receivers} worker(s)")
        return 0
    os.utime(settings.rules_path)
    print(f"the service re-reads {settings.rules_path} within {settings.rules_poll_seconds:g} s")
    return 0


async def _broadcast_reload(settings: Settings) -> int:
    assert settings.redis_url is not None
    redis = redis_client(settings.redis_url, settings)  # bounded waits, as the service's
    try:
        return await request_reload(redis)
    finally:
        await redis.aclose()


def _instant(text: str) -> datetime:
    """`--now`: ISO-8601 with an offset; argparse turns the error into exit code 2."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "not an ISO-8601 time; write e.g. 2026-10-14T09:00:00+08:00"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("needs a UTC offset, e.g. 2026-10-14T09:00:00+08:00")
    return value


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def _engine(settings: Settings) -> Engine | None:
    try:
        return Engine.from_path(settings.rules_path)
    except (PolicyError, OSError) as exc:
        print(f"hcp: the rules file {settings.rules_path} is not usable:\n{exc}", file=sys.stderr)
        return None


def _sweep(settings: Settings, args: argparse.Namespace) -> int:
    engine = _engine(settings)
    if engine is None:
        return 2
    now: datetime = args.now or datetime.now(UTC)
    report = asyncio.run(_sweep_once(settings, engine, now, _link_base(settings, args)))
    print(json.dumps(asdict(report)), flush=True)
    return 0


async def _sweep_once(
    settings: Settings, engine: Engine, now: datetime, link_base: str
) -> SweepReport:
    async with open_database(settings):
        return await sweep(
            engine=engine,
            now=now,
            link_base=link_base,
            replies=settings.sms_inbound_secret is not None,
        )


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    engine = _engine(settings)
    if engine is None:
        return 2
    interval = args.interval or settings.sweep_interval_seconds
    asyncio.run(_work(settings, engine, interval, _link_base(settings, args)))
    return 0


def _link_base(settings: Settings, args: argparse.Namespace) -> str:
    return str(args.link_base or reminder_link_base(settings))


async def _work(settings: Settings, engine: Engine, interval: float, link_base: str) -> None:
    """The sweep of `hcp serve` (server.sweeper), in a process of its own: a pass per
    interval while it holds the leader lock, until SIGINT/SIGTERM (which ends the pass after
    its current batch); one JSON line per pass on stdout."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    watch = RulesFileWatch(engine, settings.rules_path, lang=settings.lang)
    vault = Vault.from_ring(secrets.data_key(settings))
    async with open_database(settings), httpx.AsyncClient() as client:
        await adopt_rules_at_start(
            engine, settings.rules_path, now=datetime.now(UTC), lang=settings.lang
        )
        sweeper = Sweeper(
            engine=engine,
            sender=sms_sender(settings, client),
            vault=vault,
            link_base=link_base,
            interval=interval,
            replies=settings.sms_inbound_secret is not None,
        )
        await lead(sweeper, leader_lock(settings), stop=stop, before_pass=watch.poll, on_pass=_say)


def _say(line: dict[str, object]) -> None:
    print(json.dumps(line), flush=True)


def _batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number of rows") from None
    if not 1 <= value <= MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_BATCH_SIZE}")
    return value


def _rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    """Re-seal and re-hash under the first key of the ring; progress on stderr, one JSON
    line on stdout. Errors name rows and key ids only, never what the rows hold."""
    try:
        vault = Vault.from_ring(secrets.data_key(settings))
    except KeyRingError as exc:
        print(f"hcp rotate-key: the key ring is not usable: {exc}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_rotate(settings, vault, args.batch))
    except (MissingKeyError, UnreadableRowError) as exc:
        print(f"hcp rotate-key: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(report)), flush=True)
    return 0


async def _rotate(settings: Settings, vault: Vault, batch_size: int) -> RotationReport:
    async with open_database(settings):
        return await rotate_key(vault=vault, batch_size=batch_size, progress=_rotation_progress)


def _rotation_progress(what: str, done: int, total: int) -> None:
    share = min(100, done * 100 // total)
    print(f"rotate-key: {done:,}/{total:,} {what} ({share}%)", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hcp", description="政务服务好差评 backend")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="migrate and seed the demo first")
    serve.add_argument(
        "--log-level", default="info", help="uvicorn's own messages; the service logs INFO and up"
    )
    serve.add_argument("--history", action="store_true", help=HISTORY_HELP)
    serve.set_defaults(run=_serve)
    sub.add_parser("migrate", help="apply the committed migrations").set_defaults(run=_migrate)
    seed = sub.add_parser("seed-demo", help="migrate and load the demo district and cases")
    seed.add_argument("--history", action="store_true", help=HISTORY_HELP)
    seed.set_defaults(run=_seed_demo)
    rules = sub.add_parser("rules", help="check, test or reload the policy (rules.yaml)")
    rules.add_argument("action", choices=["check", "test", "reload"])
    rules.add_argument("files", nargs="*", type=Path, help="default: HCP_RULES")
    rules.add_argument(
        "--lang", choices=rules_cli.LANGS, help="of the messages: zh or en (default: HCP_LANG)"
    )
    rules.set_defaults(run=_rules)
    token = sub.add_parser("token", help="mint a dev token (refused when HCP_ENV=prod)")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--sub")
    token.add_argument("--id-number")
    token.add_argument("--name")
    token.add_argument("--phone")
    token.add_argument("--staff-code")
    token.add_argument("--department-code")
    token.add_argument("--region-code")
    token.add_argument("--hall-code")
    token.add_argument("--hours", type=float, default=8.0)
    token.set_defaults(run=_token)
    sweep_cmd = sub.add_parser(
        "sweep",
        help="one pass over rating deadlines: defaults, expiry, reminders (SMS and calls)",
    )
    sweep_cmd.add_argument(
        "--now", type=_instant, help="sweep as of this ISO-8601 time (default: the clock)"
    )
    sweep_cmd.add_argument("--link-base", help="reminder link prefix (default: HCP_PUBLIC_URL)")
    sweep_cmd.set_defaults(run=_sweep)
    worker = sub.add_parser(
        "worker", help="sweep continuously until SIGINT/SIGTERM (with HCP_SWEEP=worker)"
    )
    worker.add_argument(
        "--interval", type=_interval, help="seconds between passes (HCP_SWEEP_INTERVAL_SECONDS)"
    )
    worker.add_argument("--link-base", help="reminder link prefix (default: HCP_PUBLIC_URL)")
    worker.set_defaults(run=_worker)
    rotate = sub.add_parser(
        "rotate-key",
        help="re-seal personal data and re-hash look-ups under the first key of HCP_DATA_KEY",
    )
    rotate.add_argument(
        "--batch",
        type=_batch_size,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per transaction (default {DEFAULT_BATCH_SIZE})",
    )
    rotate.set_defaults(run=_rotate_key)
    import_command.register(sub)
    export_command.register(sub)
    stats_command.register(sub)
    doctor.register(sub)
    key_custody.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "doctor":  # lists every settings problem rather than stop at one
        return doctor.main(args)
    try:
        settings = Settings.from_env()
    except (SettingsError, OSError) as exc:
        print(f"hcp: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format)
    try:
        code: int = args.run(settings, args)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, DBConnectionError) as exc:
        # A database that is down, refuses us or does not exist: one plain line, not a
        # traceback (the URL shown without its password).
        print(
            f"hcp: cannot use the database {_where(settings.database_url)}: "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 2
    return code


def _where(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return url
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


if __name__ == "__main__":
    sys.exit(main())
