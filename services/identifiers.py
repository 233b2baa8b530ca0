"""Check digits of the identifiers applicants are known by (GB 11643, GB 32100)."""

from __future__ import annotations

import re
from datetime import date

_PERSON = re.compile(r"^\d{17}[\dX]$")
_PERSON_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PERSON_CHECK = "10X98765432"

_PHONE = re.compile(r"^\+?\d{5,20}$")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC = re.compile(rf"^[{_USCC_CHARS}]{{18}}$")
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_person_id(value: str) -> bool:
    """An 18-character resident ID number with a valid birth date and check digit."""
    if not _PERSON.match(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _PERSON_WEIGHTS, strict=True))
    return _PERSON_CHECK[total % 11] == value[17]


def is_company_id(value: str) -> bool:
    """An 18-character unified social credit code with a valid check character."""
    if not _USCC.match(value):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == value[17]


def is_phone(value: str) -> bool:
    """A phone number as stored: digits, optionally after a +, with no spaces or dashes
    (services.case_intake.normalise_phone takes those out first)."""
    return _PHONE.match(value) is not None
