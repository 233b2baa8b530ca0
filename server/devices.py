"""Which device a request comes from, for the anti-abuse limits.

A browser's device is an id this server issued (`POST /device`) and signed: random bytes
and an HMAC of them. An id the client made up, one altered or one signed under a key no
longer in use is no device at all, and neither is the client address: one NAT or load
balancer puts a whole hall behind one address. A pad is its pairing (the resolvers')."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from starlette.requests import HTTPConnection

from server.state import app_state
from services.vault import Vault

HEADER = "x-hcp-device"
_RANDOM_BYTES = 16
_MAC_BYTES = 16  # 128 bits: a forgery is a guess against the server, one request a try
_SIGNED = re.compile(r"^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$")


def issue_device_id(vault: Vault) -> str:
    """A new device id: random, signed with the key derived from the data key ring."""
    random_part = secrets.token_urlsafe(_RANDOM_BYTES)
    return f"{random_part}.{_mac(vault, random_part)}"


def recognised(vault: Vault, given: str) -> str | None:
    """The device of an id this server issued (its random part), None for anything else."""
    found = _SIGNED.match(given)
    if found is None:
        return None
    random_part, mac = found.groups()
    return random_part if hmac.compare_digest(mac, _mac(vault, random_part)) else None


def device_of(request: HTTPConnection) -> str | None:
    """The device the anti-abuse limits count for this request: a signed id sent as
    `X-HCP-Device`, else None (never an address: see the module's docstring)."""
    given = request.headers.get(HEADER)
    if not given:
        return None
    device = recognised(app_state(request).collaborators.vault, given)
    return f"dev:{device}" if device is not None else None


def _mac(vault: Vault, random_part: str) -> str:
    digest = hmac.digest(vault.device_key, random_part.encode("ascii"), hashlib.sha256)
    return _b64(digest[:_MAC_BYTES])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
