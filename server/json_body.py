"""JSON from clients as I-JSON (RFC 7493) has it, for every route that reads a body: the
GraphQL view (bodies, GET `variables`, websocket messages), the SMS gateway's callback and
the mock login. Text that is not UTF-8, a lone surrogate (raw or escaped) and nesting deeper
than the parser's recursion limit are refused like JSON that does not parse (a ValueError),
before they fail in the database driver or in a response that quotes them."""

from __future__ import annotations

import json
import re

from schema.core.text import holds_unpaired_surrogate

# Only a text with such an escape can decode to a lone surrogate once the bytes are strict.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def strict_json(data: str | bytes) -> object:
    text = _utf8_text(data) if isinstance(data, bytes) else data
    try:
        value = json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None
    if _SURROGATE_ESCAPE.search(text) and holds_unpaired_surrogate(value):
        raise json.JSONDecodeError("unpaired surrogate", "", 0)
    return value


def _utf8_text(data: bytes) -> str:
    """Strict decoding: json.loads on bytes lets UTF-8-encoded lone surrogates through
    (surrogatepass), which then fail in the database driver as internal errors."""
    try:
        return data.decode(json.detect_encoding(data))
    except UnicodeDecodeError:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", 0) from None
