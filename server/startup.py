"""What start-up refuses to serve without: a way to verify the bearer tokens it is given."""

from __future__ import annotations

import logging
from collections.abc import Callable

from server import secrets
from server.auth import InvalidTokenError, JwksError, TokenVerifier
from server.settings import Settings
from services.identity import Principal

log = logging.getLogger("hcp.server")


class StartupError(Exception):
    """A configured service does not answer; the process must not serve half-configured."""


def make_verifier(settings: Settings) -> TokenVerifier:
    claims = {"issuer": settings.jwt_issuer, "audience": settings.jwt_audience}
    if settings.jwt_jwks:
        try:
            return TokenVerifier.for_jwks(
                settings.jwt_jwks, min_interval=settings.jwt_jwks_refresh_seconds, **claims
            )
        except JwksError as exc:
            raise StartupError(f"HCP_JWT_JWKS cannot be used: {exc}") from None
    if settings.jwt_public_key:
        try:
            return TokenVerifier.for_public_key(settings.jwt_public_key, **claims)
        except ValueError as exc:
            raise StartupError(f"HCP_JWT_PUBLIC_KEY cannot be used: {exc}") from None
    secret = secrets.jwt_secret(settings)
    if secret is None:  # Settings.check refuses to start without a way to verify
        raise StartupError("no HCP_JWT_JWKS, HCP_JWT_PUBLIC_KEY or HCP_JWT_SECRET to verify with")
    return TokenVerifier.for_secret(secret, **claims)


def authenticator(verifier: TokenVerifier) -> Callable[[str], Principal | None]:
    def authenticate(token: str) -> Principal | None:
        try:
            return verifier.verify(token)
        except InvalidTokenError as exc:
            log.info("refused a bearer token: %s", exc)
            return None

    return authenticate
