"""Keyset paging shared by every list: the page-size check, the opaque cursor, and the
"one row more than asked" that tells whether another page follows."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from models.db import as_utc

MAX_PAGE = 100
_LARGEST_ID = 2**63 - 1
_ID = re.compile(r"[1-9][0-9]{0,18}")
_T = TypeVar("_T")


class BadCursorError(Exception):
    """The pagination cursor was not issued by this service."""


class PageSizeError(Exception):
    """`first` is outside 1..MAX_PAGE."""


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise PageSizeError(f"first must be between 1 and {MAX_PAGE}")


def split_page(rows: Sequence[_T], first: int) -> tuple[Sequence[_T], bool]:
    """The page's rows of a query that asked for `first + 1`, and whether more follow."""
    return rows[:first], len(rows) > first


def encode_cursor(kind: str, *parts: object) -> str:
    """An opaque cursor for a list of `kind` (so one list's cursor is refused by another)."""
    raw = "|".join([kind, *(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)])
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii")


def decode_cursor(cursor: str, kind: str, *parsers: Callable[[str], Any]) -> tuple[Any, ...]:
    """The parts of a cursor of `kind`, each read by its parser (moment, row_id);
    BadCursorError for anything this service did not issue."""
    try:
        found, *parts = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().split("|")
        if found != kind or len(parts) != len(parsers):
            raise ValueError(found)
        return tuple(parse(part) for parse, part in zip(parsers, parts, strict=True))
    except (ValueError, UnicodeError, binascii.Error):
        raise BadCursorError("the cursor is not one this service issued") from None


def moment(text: str) -> datetime:
    found = as_utc(datetime.fromisoformat(text))
    assert found is not None  # fromisoformat gives a datetime or raises ValueError
    return found


def parse_id(text: str) -> int | None:
    """A row id as a client sends it (an ID or a path segment), None when it is not one."""
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if number <= _LARGEST_ID else None


def row_id(text: str) -> int:
    number = int(text)
    if not 0 <= number <= _LARGEST_ID:
        raise ValueError(text)
    return number
