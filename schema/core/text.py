"""Text the database cannot take is refused as bad input before it gets there; left alone,
it fails in the database driver and the client sees an internal error.

A lone surrogate (JSON may escape one: "\\ud800") is not Unicode text and cannot be encoded
as UTF-8: a request whose JSON holds one is refused whole, like a body that is not UTF-8.
NUL is text, but PostgreSQL can neither store nor compare it: resolvers that hand free text
to a lookup or a write refuse it (case intake reports it per case, as a control character).
"""

from __future__ import annotations

import re

from schema.core.errors import BadInputError

_SURROGATE = re.compile("[\ud800-\udfff]")


def holds_unpaired_surrogate(value: object) -> bool:
    """Whether decoded JSON holds one in any string value (keys are checked as names)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(holds_unpaired_surrogate(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_unpaired_surrogate(item) for item in value)
    return False


def refuse_nul(*texts: str | None) -> None:
    if any(text is not None and "\x00" in text for text in texts):
        raise BadInputError("text may not contain NUL characters")
