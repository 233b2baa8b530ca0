"""JWT bearer tokens -> Principal. Algorithms are pinned by the configured key, never read
from the token; `alg: none`, HS/RS confusion, expired or unsigned tokens are refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from services.identity import Principal, Role

LEEWAY = timedelta(seconds=30)


class InvalidTokenError(Exception):
    """The bearer token cannot be trusted (reason is for logs, never for clients)."""


@dataclass(frozen=True)
class TokenVerifier:
    key: Any
    algorithms: tuple[str, ...]
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def for_secret(cls, secret: str, **claims: str | None) -> TokenVerifier:
        return cls(secret, ("HS256",), **claims)

    @classmethod
    def for_public_key(cls, pem: str, **claims: str | None) -> TokenVerifier:
        key = load_pem_public_key(pem.encode("ascii"))
        if isinstance(key, rsa.RSAPublicKey):
            return cls(key, ("RS256",), **claims)
        if isinstance(key, ec.EllipticCurvePublicKey):
            return cls(key, ("ES256",), **claims)
        raise ValueError("HCP_JWT_PUBLIC_KEY must be an RSA or EC public key")

    def verify(self, token: str) -> Principal:
        required = ["exp", "sub", "role"] + (["iss"] if self.issuer else [])
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=list(self.algorithms),
                issuer=self.issuer,
                audience=self.audience,
                leeway=LEEWAY,
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(type(exc).__name__) from None
        return principal_from_claims(claims)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    try:
        role = Role(claims["role"])
    except (ValueError, TypeError):
        raise InvalidTokenError("unknown role") from None
    text = {
        k: claims.get(k)
        for k in ("id_number", "name", "phone", "staff_code", "department_code", "region_code")
    }
    if any(v is not None and not isinstance(v, str) for v in text.values()):
        raise InvalidTokenError("identity claims must be strings")
    if role is Role.CITIZEN and not text["id_number"]:
        raise InvalidTokenError("citizen token without id_number")
    if role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER) and not text["department_code"]:
        raise InvalidTokenError("staff token without department_code")
    if role is Role.AREA_ADMIN and not text["region_code"]:
        raise InvalidTokenError("area admin token without region_code")
    return Principal(subject=str(claims["sub"]), role=role, **text)


def mint(
    signing_key: Any,
    claims: Mapping[str, Any],
    *,
    ttl: timedelta,
    algorithm: str = "HS256",
    now: datetime | None = None,
) -> str:
    """Sign a token (dev tools and tests; production tokens come from the identity provider)."""
    issued = now or datetime.now(UTC)
    body = {**claims, "iat": issued, "nbf": issued, "exp": issued + ttl}
    return jwt.encode(body, signing_key, algorithm=algorithm)
