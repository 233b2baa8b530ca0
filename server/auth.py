"""JWT bearer tokens -> Principal. The algorithm is pinned by the key that verifies, never
read from the token; `alg: none`, HS/RS confusion, expired or unsigned tokens are refused.

The key is an HS256 secret (dev), one PEM public key, or an identity provider's key set
(JWKS) in which the token's `kid` picks the key.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from services.identity import IDENTITY_CLAIMS, Principal, Role

log = logging.getLogger("hcp.auth")

LEEWAY = timedelta(seconds=30)
# Seconds: one read of the key set may take JWKS_FETCH_TIMEOUT per network step; a request
# that names a new kid waits for that read at most JWKS_REQUEST_WAIT (the event loop is
# blocked meanwhile), and a late answer is still installed for the next request.
JWKS_FETCH_TIMEOUT = 3.0
JWKS_REQUEST_WAIT = 1.0
# Seconds: an older key set is re-read in the background, so a key the provider withdrew
# stops verifying even when no new kid ever shows up.
JWKS_MAX_AGE = 300.0


class InvalidTokenError(Exception):
    """The bearer token cannot be trusted (reason is for logs, never for clients)."""


class JwksError(Exception):
    """The identity provider's key set cannot be read or holds no usable signing key."""


@dataclass(frozen=True)
class PinnedKey:
    """A verification key and the one algorithm it may verify."""

    key: Any
    algorithm: str

    def __call__(self, header: Mapping[str, Any]) -> PinnedKey:
        """A single configured key verifies every token, whatever its header names."""
        return self


KeyLookup = Callable[[Mapping[str, Any]], PinnedKey]


@dataclass(frozen=True)
class TokenVerifier:
    keys: KeyLookup
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def for_secret(cls, secret: str, **claims: str | None) -> TokenVerifier:
        return cls(PinnedKey(secret, "HS256"), **claims)

    @classmethod
    def for_public_key(cls, pem: str, **claims: str | None) -> TokenVerifier:
        """ValueError unless `pem` is an RSA (2048+ bits) or EC P-256 public key."""
        return cls(pin(load_pem_public_key(pem.encode("ascii"))), **claims)

    @classmethod
    def for_jwks(cls, source: str, *, min_interval: float, **claims: str | None) -> TokenVerifier:
        """Reads the key set now (JwksError if it cannot be used), again when needed."""
        return cls(JwksKeys.load(source, min_interval=min_interval), **claims)

    def verify(self, token: str) -> Principal:
        required = ["exp", "sub", "role"] + (["iss"] if self.issuer else [])
        try:
            pinned = self.keys(jwt.get_unverified_header(token))
            claims = jwt.decode(
                token,
                pinned.key,
                algorithms=[pinned.algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=LEEWAY,
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(type(exc).__name__) from None
        return principal_from_claims(claims)


def pin(key: Any) -> PinnedKey:
    """RS256 for an RSA key, ES256 for an EC P-256 key; ValueError for anything else."""
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return PinnedKey(key, "RS256")
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return PinnedKey(key, "ES256")
    raise ValueError("only RSA (2048 bits or more) and EC P-256 keys verify tokens")


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="hcp-jwks", daemon=True).start()


class JwksKeys:
    """An identity provider's key set by `kid`. It is re-read when a token names a kid it
    does not hold, or when it is older than JWKS_MAX_AGE; at most once per `min_interval`
    seconds and one read at a time, so a flood of made-up kids cannot hammer the provider.
    A failed re-read keeps the keys already held."""

    def __init__(
        self,
        read: Callable[[], bytes],
        *,
        min_interval: float,
        clock: Callable[[], float] = time.monotonic,
        spawn: Callable[[Callable[[], None]], None] = _in_thread,
    ) -> None:
        self._read = read
        self._min_interval = min_interval
        self._clock = clock
        self._spawn = spawn
        self._lock = threading.Lock()
        self._reading = False
        self._keys = parse_jwks(read())
        self._read_at = clock()

    @classmethod
    def load(cls, source: str, *, min_interval: float) -> JwksKeys:
        """`source` is an http(s) URL or a file path; JwksError if it cannot be used now."""
        return cls(lambda: read_jwks(source), min_interval=min_interval)

    def __call__(self, header: Mapping[str, Any]) -> PinnedKey:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("token header names no kid")
        key = self._keys.get(kid)
        if key is None or self._clock() - self._read_at >= JWKS_MAX_AGE:
            reading = self._reread()
            if key is None and reading is not None:
                reading.wait(JWKS_REQUEST_WAIT)
                key = self._keys.get(kid)
        if key is None:
            raise InvalidTokenError("unknown kid")
        return key

    def _reread(self) -> threading.Event | None:
        """Start one read unless one is running or ran lately; the event is set when done."""
        with self._lock:
            now = self._clock()
            if self._reading or now - self._read_at < self._min_interval:
                return None
            self._reading, self._read_at = True, now
        done = threading.Event()
        self._spawn(lambda: self._replace_keys(done))
        return done

    def _replace_keys(self, done: threading.Event) -> None:
        try:
            self._keys = parse_jwks(self._read())
        except JwksError as exc:
            log.warning("kept the identity provider's previous keys: %s", exc)
        finally:
            with self._lock:
                self._reading = False
            done.set()


def read_jwks(source: str) -> bytes:
    if not source.lower().startswith(("https://", "http://")):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise JwksError(f"the key set file cannot be read ({exc.strerror})") from None
    try:
        response = httpx.get(source, timeout=JWKS_FETCH_TIMEOUT)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise JwksError(f"the identity provider answered HTTP {exc.response.status_code}") from None
    except httpx.HTTPError as exc:
        raise JwksError(f"the identity provider did not answer ({type(exc).__name__})") from None
    return response.content


def parse_jwks(body: bytes) -> dict[str, PinnedKey]:
    """The usable signing keys by kid; keys of other kinds or uses are skipped."""
    try:
        document = json.loads(body)
    except ValueError:
        raise JwksError("the key set is not JSON") from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise JwksError('the key set has no "keys" list')
    usable: dict[str, list[PinnedKey]] = {}
    for jwk in entries:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        if not isinstance(kid, str) or not kid:
            continue
        try:
            key = _from_jwk(jwk)
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            log.info("skipped key %r of the identity provider: %s", kid, exc)
            continue
        usable.setdefault(kid, []).append(key)
    # Two usable keys under one kid: picking by the token's `alg` would let the token choose.
    found = {kid: keys[0] for kid, keys in usable.items() if len(keys) == 1}
    for kid in usable.keys() - found.keys():
        log.warning("skipped kid %r of the identity provider: it names two keys", kid)
    if not found:
        raise JwksError("the key set holds no RS256 or ES256 signing key with a kid")
    return found


def _from_jwk(jwk: dict[str, Any]) -> PinnedKey:
    if jwk.get("use", "sig") != "sig":
        raise ValueError("not a signing key")
    kty = jwk.get("kty")
    # Only the public members: a provider that also publishes private ones is not our concern.
    if kty == "RSA":
        pinned = pin(RSAAlgorithm.from_jwk({k: jwk.get(k) for k in ("kty", "n", "e")}))
    elif kty == "EC" and jwk.get("crv") == "P-256":
        pinned = pin(ECAlgorithm.from_jwk({k: jwk.get(k) for k in ("kty", "crv", "x", "y")}))
    else:
        raise ValueError("only RSA and EC P-256 keys are accepted")
    if jwk.get("alg", pinned.algorithm) != pinned.algorithm:
        raise ValueError(f"a {kty} key verifies {pinned.algorithm} only")
    return pinned


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    try:
        role = Role(claims["role"])
    except (ValueError, TypeError):
        raise InvalidTokenError("unknown role") from None
    text = {k: claims.get(k) for k in IDENTITY_CLAIMS}
    if any(v is not None and not isinstance(v, str) for v in text.values()):
        raise InvalidTokenError("identity claims must be strings")
    if role is Role.CITIZEN and not text["id_number"]:
        raise InvalidTokenError("citizen token without id_number")
    if role in (Role.WINDOW_STAFF, Role.DEPT_HANDLER) and not text["department_code"]:
        raise InvalidTokenError("staff token without department_code")
    if role is Role.AREA_ADMIN and not text["region_code"]:
        raise InvalidTokenError("area admin token without region_code")
    if role is Role.HOTLINE_OPERATOR and not text["region_code"]:
        raise InvalidTokenError("hotline operator token without region_code")
    return Principal(subject=str(claims["sub"]), role=role, **text)


def addressed(
    claims: Mapping[str, Any], *, issuer: str | None, audience: str | None
) -> dict[str, Any]:
    """`claims` with the issuer and audience this service checks, where it checks them."""
    extra = {"iss": issuer, "aud": audience}
    return {**claims, **{key: value for key, value in extra.items() if value}}


def mint(
    signing_key: Any,
    claims: Mapping[str, Any],
    *,
    ttl: timedelta,
    algorithm: str = "HS256",
    kid: str | None = None,
    now: datetime | None = None,
) -> str:
    """Sign a token (dev tools and tests; production tokens come from the identity provider)."""
    issued = now or datetime.now(UTC)
    body = {**claims, "iat": issued, "nbf": issued, "exp": issued + ttl}
    headers = {"kid": kid} if kid else None
    return jwt.encode(body, signing_key, algorithm=algorithm, headers=headers)
