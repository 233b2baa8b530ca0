"""Dev-only secrets kept in var/ so that `make run` and `hcp token` agree without setup."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from server.settings import Settings


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
    if settings.jwt_secret or settings.is_prod or settings.jwt_public_key or settings.jwt_jwks:
        return settings.jwt_secret
    return _kept(settings.var_dir / "jwt-secret", secrets.token_urlsafe(48))


def data_key(settings: Settings) -> str:
    """The key ring for personal data: configured, or in dev one kept in var/data.key."""
    if settings.data_key:
        return settings.data_key
    fresh = "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    return _kept(settings.var_dir / "data.key", fresh)
