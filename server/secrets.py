"""Where the secrets come from: the configured ones, and in dev ones kept in var/ so that
`make run` and `hcp token` agree without setup."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from server.settings import Settings

# The dev secrets' files under HCP_VAR_DIR.
DEV_JWT_SECRET = "jwt-secret"  # noqa: S105 - a file name
DEV_DATA_KEY = "data.key"


def _kept(path: Path, make: str) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(make)
    return make


def jwt_secret(settings: Settings) -> str | None:
    """The HS256 secret: configured, or in dev a generated one kept in var/jwt-secret."""
    if not jwt_secret_from_var(settings):
        return settings.jwt_secret
    return _kept(settings.var_dir / DEV_JWT_SECRET, secrets.token_urlsafe(48))


def data_key(settings: Settings) -> str:
    """The key ring for personal data: HCP_DATA_KEY, the file HCP_DATA_KEY_FILE names, or
    in dev one kept in var/data.key."""
    if settings.data_key:
        return settings.data_key
    if settings.data_key_file:
        return settings.data_key_file.read_text(encoding="ascii").strip()
    fresh = "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    return _kept(settings.var_dir / DEV_DATA_KEY, fresh)


def data_key_in_use(settings: Settings) -> str | None:
    """The ring data_key() returns, without making one: None in dev before the first run."""
    if settings.data_key or settings.data_key_file:
        return data_key(settings)
    kept = settings.var_dir / DEV_DATA_KEY
    if settings.is_prod or not kept.exists():
        return None
    return kept.read_text(encoding="ascii").strip()


def files_in_use(settings: Settings) -> list[Path]:
    """The files secrets are read from (besides public keys): only their owner may read."""
    files = [settings.data_key_file] if settings.data_key_file else []
    if not settings.is_prod:
        if not (settings.data_key or settings.data_key_file):
            files.append(settings.var_dir / DEV_DATA_KEY)
        if jwt_secret_from_var(settings):
            files.append(settings.var_dir / DEV_JWT_SECRET)
    return [path for path in files if path.exists()]


def jwt_secret_from_var(settings: Settings) -> bool:
    return not (
        settings.jwt_secret or settings.is_prod or settings.jwt_public_key or settings.jwt_jwks
    )
