"""Applying a masking pattern from the policy to one personal value."""

from __future__ import annotations

from typing import Any


def apply_mask(pattern: Any, value: str | None) -> str | None:
    """`full` shows the value, `hidden` (or no pattern) shows nothing, and
    `{keep_first, keep_last}` stars the middle, never revealing every character."""
    if value is None or pattern is None or pattern == "hidden":
        return None
    if pattern == "full":
        return value
    first, last = int(pattern.get("keep_first", 0)), int(pattern.get("keep_last", 0))
    if first + last >= len(value):
        last = max(0, len(value) - 1 - first)
        first = min(first, len(value) - 1)
    hidden = len(value) - first - last
    return value[:first] + "*" * hidden + (value[len(value) - last :] if last else "")
