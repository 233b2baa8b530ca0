"""Bearer tokens: anything not signed by the configured key, or out of date, is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from server.app import create_app
from server.auth import InvalidTokenError, TokenVerifier, mint
from server.settings import Settings
from tests.conftest import SECRET, Api, make_settings, token
from tests.factories import WANG

VIEWER = "{ viewer { subject role departmentCode regionCode } }"
ISSUER = "https://idp.example"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(data: dict[str, Any]) -> str:
    return _b64(json.dumps(data).encode())


def _claims() -> dict[str, Any]:
    return {"sub": "x", "role": "system", "exp": int(datetime.now(UTC).timestamp()) + 600}


def alg_none_token(claims: dict[str, Any] | None = None, **header: str) -> str:
    return f"{_part({'alg': 'none', 'typ': 'JWT', **header})}.{_part(claims or _claims())}."


def hs256_token(secret: bytes, claims: dict[str, Any] | None = None, **header: str) -> str:
    """HS256 signed by hand: PyJWT itself refuses a PEM public key as an HMAC secret."""
    signed = f"{_part({'alg': 'HS256', 'typ': 'JWT', **header})}.{_part(claims or _claims())}"
    return f"{signed}.{_b64(hmac.new(secret, signed.encode(), hashlib.sha256).digest())}"


def tampered(bearer: str) -> str:
    """The same signature over claims promoted to the system role."""
    header, body, signature = bearer.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["role"] = "system"
    return f"{header}.{_part(claims)}.{signature}"


def public_pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


async def code_for(client: httpx.AsyncClient, bearer: str) -> str | None:
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": bearer}
    )
    assert response.status_code == 200
    errors = response.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A private app with its own token settings, driven over ASGI."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
            yield client


async def test_a_valid_token_identifies_the_caller(api: Api) -> None:
    body = await api.gql(VIEWER, token=token("dept_handler", department_code="D-RSB"))
    assert body["data"]["viewer"] == {
        "subject": "test-dept_handler",
        "role": "dept_handler",
        "departmentCode": "D-RSB",
        "regionCode": None,
    }
    assert (await api.gql(VIEWER))["data"]["viewer"] is None


async def test_untrustworthy_tokens_are_unauthenticated(api: Api) -> None:
    expired = token("system", ttl=timedelta(minutes=-5))
    wrong_key = mint(
        "another-secret-" + "y" * 32, {"sub": "x", "role": "system"}, ttl=timedelta(hours=1)
    )
    future = mint(
        SECRET,
        {"sub": "x", "role": "system"},
        ttl=timedelta(hours=1),
        now=datetime.now(UTC) + timedelta(hours=2),
    )
    no_exp = jwt.encode({"sub": "x", "role": "system"}, SECRET, algorithm="HS256")
    bearers = {
        "expired": f"Bearer {expired}",
        "tampered": f"Bearer {tampered(token('citizen', id_number=WANG['idNumber']))}",
        "alg none": f"Bearer {alg_none_token()}",
        "wrong key": f"Bearer {wrong_key}",
        "not yet valid": f"Bearer {future}",
        "no exp": f"Bearer {no_exp}",
        "unknown role": f"Bearer {token('superuser')}",
        "citizen without id": f"Bearer {token('citizen')}",
        "garbage": "Bearer not.a.token",
        "wrong scheme": f"Basic {token('system')}",
    }
    for what, bearer in bearers.items():
        assert await code_for(api.client, bearer) == "UNAUTHENTICATED", what


@pytest.mark.parametrize("kind", ["RS256", "ES256"])
async def test_a_public_key_service_refuses_hostile_tokens(kind: str, tmp_path: Path) -> None:
    def new_key() -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
        if kind == "RS256":
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return ec.generate_private_key(ec.SECP256R1())

    idp, impostor = new_key(), new_key()
    pem = public_pem(idp)
    claims = {"sub": "idp-user", "role": "system", "iss": ISSUER}

    def signed(key: Any = idp, ttl: timedelta = timedelta(minutes=5), **extra: Any) -> str:
        return mint(key, {**claims, **extra}, ttl=ttl, algorithm=kind)

    later = datetime.now(UTC) + timedelta(minutes=2)
    settings = make_settings(
        tmp_path,
        f"sqlite://{tmp_path}/pem.sqlite3",
        jwt_secret=None,
        jwt_public_key=pem,
        jwt_issuer=ISSUER,
    )
    bearers = {
        "forged signature": signed(impostor),
        "tampered": tampered(signed(role="citizen", id_number=WANG["idNumber"])),
        "expired": signed(ttl=timedelta(minutes=-5)),
        "not yet valid": mint(idp, claims, ttl=timedelta(minutes=5), algorithm=kind, now=later),
        "wrong issuer": signed(iss="https://evil.example"),
        "no issuer": mint(
            idp, {"sub": "x", "role": "system"}, ttl=timedelta(hours=1), algorithm=kind
        ),
        "alg none": alg_none_token({**_claims(), "iss": ISSUER}),
        "HS256 keyed with the PEM": hs256_token(pem.encode(), {**_claims(), "iss": ISSUER}),
        "HS256 with the dev secret": mint(SECRET, claims, ttl=timedelta(minutes=5)),
    }
    async with serving(settings) as client:
        assert await code_for(client, f"Bearer {signed()}") is None
        for what, bearer in bearers.items():
            assert await code_for(client, f"Bearer {bearer}") == "UNAUTHENTICATED", what


def test_a_rsa_verifier_refuses_hs256_signed_with_its_public_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = public_pem(private)
    verifier = TokenVerifier.for_public_key(pem)
    good = mint(
        private, {"sub": "idp-user", "role": "system"}, ttl=timedelta(minutes=5), algorithm="RS256"
    )
    assert verifier.verify(good).subject == "idp-user"
    with pytest.raises(InvalidTokenError):
        verifier.verify(hs256_token(pem.encode()))


def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = TokenVerifier.for_secret(SECRET, issuer="https://idp.example", audience="hcp")
    claims = {"sub": "x", "role": "system", "iss": "https://idp.example", "aud": "hcp"}
    assert verifier.verify(mint(SECRET, claims, ttl=timedelta(minutes=5))).subject == "x"
    for wrong in ({"iss": "https://evil.example"}, {"aud": "other"}):
        forged = mint(SECRET, {**claims, **wrong}, ttl=timedelta(minutes=5))
        with pytest.raises(InvalidTokenError):
            verifier.verify(forged)
