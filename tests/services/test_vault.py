"""Sealed personal data opens only with the right key and for the right column."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from services.vault import KeyRingError, Vault

OLD = "k1:" + base64.b64encode(b"1" * 32).decode()
NEW = "k2:" + base64.b64encode(b"2" * 32).decode()


def test_sealed_values_round_trip_and_never_repeat() -> None:
    vault = Vault.from_ring(OLD)
    first, second = vault.seal("王小明", "applicant.name"), vault.seal("王小明", "applicant.name")
    assert first != second
    assert "王小明" not in first
    assert vault.open(first, "applicant.name", "k1") == "王小明"


def test_a_value_moved_to_another_column_does_not_open() -> None:
    vault = Vault.from_ring(OLD)
    sealed = vault.seal("13800000001", "applicant.phone")
    with pytest.raises(InvalidTag):
        vault.open(sealed, "applicant.name", "k1")


def test_a_rotated_ring_seals_with_the_new_key_and_opens_old_values() -> None:
    old_value = Vault.from_ring(OLD).seal("陈美玲", "applicant.name")
    ring = Vault.from_ring(f"{NEW},{OLD}")
    assert ring.active == "k2"
    assert ring.open(old_value, "applicant.name", "k1") == "陈美玲"


def test_lookup_hashes_are_keyed_and_normalised() -> None:
    vault = Vault.from_ring(OLD)
    assert vault.lookup_hash("11010519491231002x ") == vault.lookup_hash("11010519491231002X")
    assert vault.lookup_hash("11010519491231002X") != Vault.from_ring(NEW).lookup_hash(
        "11010519491231002X"
    )


@pytest.mark.parametrize(
    "ring", ["", "nokey", "k:not base64!", "k:" + base64.b64encode(b"x").decode()]
)
def test_a_malformed_ring_is_refused(ring: str) -> None:
    with pytest.raises(KeyRingError):
        Vault.from_ring(ring)
