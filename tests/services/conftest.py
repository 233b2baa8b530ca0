"""Shared setup for the service-level tests of rating and case intake: the cases go in
through services.ingest_cases itself (no GraphQL), in the business systems' shape that
tests.factories writes, against the database of the `api` fixture (SQLite, and PostgreSQL
when HCP_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from models.db import connection, fetch
from services.case_intake import CaseData, Ingested, case_from_fields
from services.ingest_cases import ingest_cases
from services.vault import Vault
from tests.conftest import DATA_KEY, NOW, Api

StoreCases = Callable[..., Awaitable[None]]


def case_data(fields: dict[str, Any]) -> CaseData:
    """One case of tests.factories (the intake contract's camelCase) as the service takes it."""
    return case_from_fields(fields)


async def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await fetch(connection(), sql, list(args))


@pytest.fixture
def vault() -> Vault:
    """The key ring of the app under test (tests.conftest DATA_KEY)."""
    return Vault.from_ring(DATA_KEY)


@pytest.fixture
def store_cases(api: Api, vault: Vault) -> StoreCases:
    """Cases (tests.factories dicts) in through the intake service; every one accepted."""

    async def store(*cases: dict[str, Any]) -> None:
        outcomes = await ingest_cases([case_data(c) for c in cases], vault=vault, now=NOW)
        assert all(isinstance(o, Ingested) for o in outcomes), outcomes

    return store
