"""Bearer tokens: anything not signed by the configured key, or out of date, is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from server.auth import InvalidTokenError, TokenVerifier, mint
from tests.conftest import SECRET, Api, token
from tests.factories import WANG

VIEWER = "{ viewer { subject role departmentCode regionCode } }"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def alg_none_token() -> str:
    claims = {"sub": "x", "role": "system", "exp": int(datetime.now(UTC).timestamp()) + 600}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def tampered_token() -> str:
    header, body, signature = token("citizen", id_number=WANG["idNumber"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["role"] = "system"
    return f"{header}.{_b64(claims)}.{signature}"


async def code_for(api: Api, bearer: str) -> str | None:
    response = await api.client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": bearer}
    )
    assert response.status_code == 200
    errors = response.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


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
        "tampered": f"Bearer {tampered_token()}",
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
        assert await code_for(api, bearer) == "UNAUTHENTICATED", what


def test_a_rsa_verifier_refuses_hs256_signed_with_its_public_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    verifier = TokenVerifier.for_public_key(pem)
    good = mint(
        private, {"sub": "idp-user", "role": "system"}, ttl=timedelta(minutes=5), algorithm="RS256"
    )
    assert verifier.verify(good).subject == "idp-user"
    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64({"sub": "x", "role": "system", "exp": int(datetime.now(UTC).timestamp()) + 600})
    signature = (
        base64.urlsafe_b64encode(
            hmac.new(pem.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
        )
        .rstrip(b"=")
        .decode()
    )
    try:
        verifier.verify(f"{header}.{body}.{signature}")
    except InvalidTokenError:
        pass
    else:
        raise AssertionError("an HS256 token keyed with the public key was accepted")


def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = TokenVerifier.for_secret(SECRET, issuer="https://idp.example", audience="hcp")
    claims = {"sub": "x", "role": "system", "iss": "https://idp.example", "aud": "hcp"}
    assert verifier.verify(mint(SECRET, claims, ttl=timedelta(minutes=5))).subject == "x"
    for wrong in ({"iss": "https://evil.example"}, {"aud": "other"}):
        forged = mint(SECRET, {**claims, **wrong}, ttl=timedelta(minutes=5))
        try:
            verifier.verify(forged)
        except InvalidTokenError:
            continue
        raise AssertionError(f"accepted a token with {wrong}")
