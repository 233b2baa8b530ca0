"""Check digits of resident ID numbers and unified social credit codes."""

from __future__ import annotations

import pytest

from services.identifiers import is_company_id, is_person_id


@pytest.mark.parametrize("value", ["11010519491231002X", "330283199003075227"])
def test_valid_person_ids(value: str) -> None:
    assert is_person_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002Y",
        "110105194912310021",
        "11010519490231002X",
        "1101051949123100",
        "91330283MA2H4K7L8E",
        "",
    ],
)
def test_invalid_person_ids(value: str) -> None:
    assert not is_person_id(value)


def test_company_codes() -> None:
    assert is_company_id("91330283MA2H4K7L8E")
    assert not is_company_id("91330283MA2H4K7L8F")
    assert not is_company_id("91330283MA2H4K7LIE")
    assert not is_company_id("11010519491231002X")
