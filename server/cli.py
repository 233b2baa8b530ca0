"""`hcp`: serve, migrate, seed the demo, mint dev tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from redis.asyncio import Redis

from rules import cli as rules_cli
from server import secrets
from server.auth import mint
from server.database import migrate, open_database
from server.demo import SeedReport, seed_demo
from server.rules_runtime import request_reload
from server.settings import Settings, SettingsError
from services.identity import Role
from services.vault import Vault


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.demo:
        asyncio.run(migrate(settings))
        report = asyncio.run(_seed(settings))
        print(
            f"demo: {report.regions} regions, {report.windows} windows, {report.cases} new cases",
            flush=True,
        )
    base = f"http://{args.host}:{args.port}"
    print(
        f"hcp serving on {base}\n  GraphQL + GraphiQL: {base}/graphql\n"
        f"  health:             {base}/healthz",
        flush=True,
    )
    uvicorn.run(
        "server.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level=args.log_level,
    )
    return 0


async def _seed(settings: Settings) -> SeedReport:
    async with open_database(settings):
        return await seed_demo(
            vault=Vault.from_ring(secrets.data_key(settings)), now=datetime.now(UTC)
        )


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(migrate(settings))
    print("migrations applied", flush=True)
    return 0


def _seed_demo(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(migrate(settings))
    print(json.dumps(asyncio.run(_seed(settings)).__dict__), flush=True)
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
    for name in ("id_number", "name", "phone", "staff_code", "department_code", "region_code"):
        value = getattr(args, name)
        if value:
            claims[name] = value
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    print(mint(secret, claims, ttl=timedelta(hours=args.hours)))
    return 0


def _rules(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "check":
        return rules_cli.check(args.files or [settings.rules_path])
    if args.action == "test":
        return rules_cli.test(args.files or [settings.rules_path])
    return _rules_reload(settings)


def _rules_reload(settings: Settings) -> int:
    """Validate the rules file, then make every running worker re-read it."""
    if rules_cli.check([settings.rules_path]) != 0:
        print("not reloaded: the running service keeps its current rules", file=sys.stderr)
        return 1
    if settings.redis_url:
        receivers = asyncio.run(_broadcast_reload(settings.redis_url))
        print(f"reload sent to {receivers} worker(s)")
        return 0
    os.utime(settings.rules_path)
    print(f"the service re-reads {settings.rules_path} within {settings.rules_poll_seconds:g} s")
    return 0


async def _broadcast_reload(url: str) -> int:
    redis = Redis.from_url(url)
    try:
        return await request_reload(redis)
    finally:
        await redis.aclose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hcp", description="政务服务好差评 backend")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="migrate and seed the demo first")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=_serve)
    sub.add_parser("migrate", help="apply the committed migrations").set_defaults(run=_migrate)
    sub.add_parser("seed-demo", help="migrate and load the demo district and cases").set_defaults(
        run=_seed_demo
    )
    rules = sub.add_parser("rules", help="check, test or reload the policy (rules.yaml)")
    rules.add_argument("action", choices=["check", "test", "reload"])
    rules.add_argument("files", nargs="*", type=Path, help="default: HCP_RULES")
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
    token.add_argument("--hours", type=float, default=8.0)
    token.set_defaults(run=_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = Settings.from_env()
    except (SettingsError, OSError) as exc:
        print(f"hcp: {exc}", file=sys.stderr)
        return 2
    code: int = args.run(settings, args)
    return code


if __name__ == "__main__":
    sys.exit(main())
