"""An identity provider's key set (HCP_JWT_JWKS): the token's `kid` picks the key, the key
pins the algorithm, and keys the provider adds later are picked up without letting made-up
kids hammer it. The provider is a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from server.app import StartupError
from server.auth import JWKS_MAX_AGE, InvalidTokenError, JwksError, JwksKeys, mint
from server.settings import Settings, SettingsError
from tests.api.test_identity import (
    alg_none_token,
    code_for,
    hs256_token,
    public_pem,
    serving,
    tampered,
)
from tests.conftest import SECRET, make_settings

ISSUER = "https://idp.test"
AUDIENCE = "hcp"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ROTATED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PROD = {"HCP_ENV": "prod", "HCP_DATA_KEY": "k:AAAA", "HCP_DATABASE_URL": "postgres://db/hcp"}
BOTH = {
    "HCP_JWT_JWKS": "https://idp.example/jwks",
    "HCP_JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----",
}


def jwk(private: PrivateKey, kid: str, **extra: str) -> dict[str, Any]:
    public = private.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return {**RSAAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "alg": "RS256", **extra}
    return {**ECAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "alg": "ES256", **extra}


def signed(
    private: PrivateKey,
    kid: str | None,
    *,
    ttl: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
    **claims: Any,
) -> str:
    algorithm = "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"
    body = {"sub": "idp-user", "role": "system", "iss": ISSUER, "aud": AUDIENCE, **claims}
    return mint(private, body, ttl=ttl, algorithm=algorithm, kid=kid, now=now)


def claims_for_forgery() -> dict[str, Any]:
    exp = int(datetime.now(UTC).timestamp()) + 600
    return {"sub": "x", "role": "system", "iss": ISSUER, "aud": AUDIENCE, "exp": exp}


@dataclass
class Idp:
    """Stands in for the identity provider: serves `keys` as its JWKS and counts the reads."""

    url: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)
    reads: int = 0


@pytest.fixture
def idp() -> Iterator[Idp]:
    state = Idp(keys=[jwk(RSA_KEY, "rsa-1", use="sig"), jwk(EC_KEY, "ec-1")])

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.reads += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """The provider's access log is not the test's business."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def jwks_settings(tmp_path: Path, source: str, **extra: Any) -> Settings:
    values = {"jwt_secret": None, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, **extra}
    return make_settings(tmp_path, f"sqlite://{tmp_path}/jwks.sqlite3", jwt_jwks=source, **values)


async def test_tokens_signed_by_either_key_of_the_provider_are_accepted(
    idp: Idp, tmp_path: Path
) -> None:
    async with serving(jwks_settings(tmp_path, idp.url)) as client:
        for private, kid in ((RSA_KEY, "rsa-1"), (EC_KEY, "ec-1")):
            response = await client.post(
                "/graphql",
                json={"query": "{ viewer { subject role } }"},
                headers={"Authorization": f"Bearer {signed(private, kid)}"},
            )
            assert response.json() == {
                "data": {"viewer": {"subject": "idp-user", "role": "system"}}
            }
        skewed = signed(RSA_KEY, "rsa-1", now=datetime.now(UTC) + timedelta(seconds=10))
        assert await code_for(client, f"Bearer {skewed}") is None, "within the 30 s leeway"
    assert idp.reads == 1, "the key set is read at start-up, not per request"


async def test_tokens_the_key_set_does_not_vouch_for_are_unauthenticated(
    idp: Idp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = b"a-symmetric-key-the-provider-should-never-publish"
    idp.keys += [
        {"kty": "oct", "kid": "hs-1", "k": base64.urlsafe_b64encode(secret).decode().rstrip("=")},
        jwk(ec.generate_private_key(ec.SECP384R1()), "ec-384", alg="ES384"),
        jwk(ROTATED_KEY, "ps-1", alg="PS256"),
        jwk(ROTATED_KEY, "enc-1", use="enc"),
        jwk(ROTATED_KEY, "twice"),
        jwk(EC_KEY, "twice"),
    ]
    now = datetime.now(UTC)
    bearers = {
        "unknown kid": signed(RSA_KEY, "rsa-9"),
        "no kid": signed(RSA_KEY, None),
        "right kid, another key": signed(ROTATED_KEY, "rsa-1"),
        "tampered": tampered(signed(RSA_KEY, "rsa-1", role="citizen", id_number="x")),
        "ES256 under the RSA kid": signed(EC_KEY, "rsa-1"),
        "RS256 under the EC kid": signed(RSA_KEY, "ec-1"),
        "HS256 keyed with the RSA PEM": hs256_token(
            public_pem(RSA_KEY).encode(), claims_for_forgery(), kid="rsa-1"
        ),
        "HS256 keyed with the EC PEM": hs256_token(
            public_pem(EC_KEY).encode(), claims_for_forgery(), kid="ec-1"
        ),
        "HS256 under a published symmetric key": hs256_token(
            secret, claims_for_forgery(), kid="hs-1"
        ),
        "HS256 with the dev secret": mint(
            SECRET, claims_for_forgery(), ttl=timedelta(minutes=5), kid="rsa-1"
        ),
        "alg none": alg_none_token(claims_for_forgery(), kid="rsa-1"),
        "key of another curve": signed(ec.generate_private_key(ec.SECP256R1()), "ec-384"),
        "key for another algorithm": signed(ROTATED_KEY, "ps-1"),
        "encryption key": signed(ROTATED_KEY, "enc-1"),
        "kid naming two keys": signed(ROTATED_KEY, "twice"),
        "expired": signed(RSA_KEY, "rsa-1", ttl=timedelta(minutes=-5)),
        "not yet valid": signed(EC_KEY, "ec-1", now=now + timedelta(minutes=2)),
        "wrong issuer": signed(RSA_KEY, "rsa-1", iss="https://evil.example"),
        "wrong audience": signed(EC_KEY, "ec-1", aud="another-service"),
        "no audience": signed(RSA_KEY, "rsa-1", aud=None),
    }
    caplog.set_level(logging.INFO, logger="hcp.server")
    async with serving(jwks_settings(tmp_path, idp.url)) as client:
        for what, bearer in bearers.items():
            assert await code_for(client, f"Bearer {bearer}") == "UNAUTHENTICATED", what
    refusals = [r.getMessage() for r in caplog.records if r.name == "hcp.server"]
    assert "refused a bearer token: unknown kid" in refusals
    assert "refused a bearer token: InvalidAlgorithmError" in refusals
    assert not [m for m in refusals if "idp-user" in m or "rsa-9" in m], "no token contents"


async def test_a_key_the_provider_adds_later_is_picked_up(idp: Idp, tmp_path: Path) -> None:
    settings = jwks_settings(tmp_path, idp.url, jwt_jwks_refresh_seconds=0)
    rotated = f"Bearer {signed(ROTATED_KEY, 'rsa-2')}"
    async with serving(settings) as client:
        assert await code_for(client, rotated) == "UNAUTHENTICATED"
        idp.keys.append(jwk(ROTATED_KEY, "rsa-2"))
        assert await code_for(client, rotated) is None
        assert await code_for(client, f"Bearer {signed(EC_KEY, 'ec-1')}") is None
    assert idp.reads == 3


async def test_made_up_kids_cannot_hammer_the_provider(idp: Idp, tmp_path: Path) -> None:
    async with serving(jwks_settings(tmp_path, idp.url, jwt_jwks_refresh_seconds=60)) as client:
        for _ in range(30):
            made_up = signed(RSA_KEY, uuid.uuid4().hex)
            assert await code_for(client, f"Bearer {made_up}") == "UNAUTHENTICATED"
    assert idp.reads == 1


async def test_a_key_set_file_works_too(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-1")]}))
    async with serving(jwks_settings(tmp_path, str(path))) as client:
        assert await code_for(client, f"Bearer {signed(EC_KEY, 'ec-1')}") is None
        assert await code_for(client, f"Bearer {signed(RSA_KEY, 'rsa-1')}") is None
        unknown = signed(ROTATED_KEY, "rsa-2")
        assert await code_for(client, f"Bearer {unknown}") == "UNAUTHENTICATED"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_start_up_fails_clearly_when_the_key_set_cannot_be_used(tmp_path: Path) -> None:
    unusable = tmp_path / "unusable.json"
    unusable.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "hs-1", "k": "c2VjcmV0"}]}))
    sources = {
        "did not answer": f"http://127.0.0.1:{_closed_port()}/jwks.json",
        "cannot be read": str(tmp_path / "missing.json"),
        "no RS256 or ES256 signing key": str(unusable),
    }
    for why, source in sources.items():
        with pytest.raises(StartupError, match=f"HCP_JWT_JWKS cannot be used: .*{why}"):
            async with serving(jwks_settings(tmp_path, source)):
                pass


class Provider:
    """A key set read in-process, with a clock the test moves."""

    def __init__(self) -> None:
        self.keys = [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-1")]
        self.reads = 0
        self.now = 0.0
        self.broken = False

    def read(self) -> bytes:
        self.reads += 1
        if self.broken:
            raise JwksError("the identity provider did not answer (ConnectError)")
        return json.dumps({"keys": self.keys}).encode()


def test_rereads_are_rate_limited_and_a_withdrawn_key_stops_verifying() -> None:
    provider = Provider()
    keys = JwksKeys(
        provider.read, min_interval=30, clock=lambda: provider.now, spawn=lambda work: work()
    )
    provider.keys.append(jwk(ROTATED_KEY, "rsa-2"))
    with pytest.raises(InvalidTokenError, match="unknown kid"):
        keys({"kid": "rsa-2"})
    assert provider.reads == 1, "read at start-up, less than 30 s ago"
    provider.now = 30
    assert keys({"kid": "rsa-2"}).algorithm == "RS256"
    for second in range(31, 60):
        provider.now = second
        with pytest.raises(InvalidTokenError):
            keys({"kid": uuid.uuid4().hex})
    assert provider.reads == 2

    provider.keys = [jwk(ROTATED_KEY, "rsa-2")]
    provider.now = 30 + JWKS_MAX_AGE
    assert keys({"kid": "rsa-1"}).algorithm == "RS256", "served while the set is re-read"
    with pytest.raises(InvalidTokenError, match="unknown kid"):
        keys({"kid": "rsa-1"})
    assert provider.reads == 3

    provider.broken = True
    provider.now += 30
    with pytest.raises(InvalidTokenError):
        keys({"kid": "rsa-3"})
    assert provider.reads == 4
    assert keys({"kid": "rsa-2"}).algorithm == "RS256", "a failed read keeps the keys held"


def test_production_may_take_the_key_set_instead_of_a_public_key(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {**PROD, "HCP_JWT_JWKS": "https://idp.example/jwks", "HCP_JWT_JWKS_REFRESH_SECONDS": "5"}
    )
    assert settings.jwt_jwks == "https://idp.example/jwks"
    assert settings.jwt_jwks_refresh_seconds == 5


@pytest.mark.parametrize(
    "env",
    [
        pytest.param(PROD, id="neither"),
        pytest.param({**PROD, **BOTH}, id="both"),
        pytest.param(BOTH, id="both in dev"),
        pytest.param({**PROD, "HCP_JWT_JWKS": "ftp://idp.example/jwks"}, id="not http"),
        pytest.param({**PROD, "HCP_JWT_JWKS": "http://idp.example/jwks"}, id="plain http"),
    ],
)
def test_the_identity_provider_keys_come_from_exactly_one_place(
    env: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match="HCP_JWT"):
        Settings.from_env({"HCP_VAR_DIR": str(tmp_path), **env})
