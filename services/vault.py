"""Sealing personal data: AES-GCM per value under a named key, HMAC for look-ups.

The key ring is `kid:base64key[,kid:base64key…]`; the first key seals, any listed key
opens, so keys can rotate. Each sealed value is bound to its purpose (the column) so a
ciphertext copied into another column does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class KeyRingError(Exception):
    """The configured key ring cannot be parsed or holds no usable key."""


class Vault:
    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if active not in keys:
            raise KeyRingError("the active key is not in the key ring")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active = active
        self._lookup_key = hmac.digest(keys[active], b"hcp lookup v1", "sha256")
        # Signs the device ids the server issues (server.devices): derived once, and
        # retired with the active key.
        self.device_key = hmac.digest(keys[active], b"hcp device v1", "sha256")

    @classmethod
    def from_ring(cls, ring: str) -> Vault:
        keys: dict[str, bytes] = {}
        for entry in ring.split(","):
            kid, sep, encoded = entry.strip().partition(":")
            if not sep or not kid:
                raise KeyRingError("each key must be written as kid:base64key")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise KeyRingError(f"key {kid!r} is not valid base64") from exc
            if len(key) != 32:
                raise KeyRingError(f"key {kid!r} must be 32 bytes (AES-256)")
            keys[kid] = key
        if not keys:
            raise KeyRingError("the key ring is empty")
        return cls(keys, next(iter(keys)))

    def holds(self, key_id: str) -> bool:
        """Whether values sealed under `key_id` open with this ring."""
        return key_id in self._ciphers

    def seal(self, text: str, purpose: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self.active].encrypt(nonce, text.encode(), purpose.encode())
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str, purpose: str, key_id: str) -> str:
        raw = base64.b64decode(token)
        plain = self._ciphers[key_id].decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode())
        return plain.decode()

    def lookup_hash(self, id_number: str) -> str:
        """Keyed hash of a normalised ID number: finds an applicant without decrypting."""
        normal = id_number.strip().upper().encode()
        return hmac.new(self._lookup_key, normal, hashlib.sha256).hexdigest()
