"""How long a reminder SMS will be, judged from its template before any case fills it in.

A Chinese SMS is sent as UCS-2: one message holds 70 characters; a longer text is split
into parts of 67, each charged (and received) as a message of its own. The template's own
text counts as written; each placeholder counts at a typical length, since the check knows
no case (docs/rules.md, "短信字数"). `{reply}` counts as the reply hint: the longest the
text gets, when SMS replies are on.
"""

from __future__ import annotations

import math

SEGMENT = 70  # characters in a single UCS-2 SMS
PART = 67  # characters in each part of a longer one (3 go to the part header)
# Typical lengths of what a case fills in: a matter's name (营业执照设立登记 is 8), a case
# number, and the rating link (the public address, /m/?case= and the case number:
# https://zw.example.cn/m/?case= is 30 before a 10-character case number).
TYPICAL = {"{matter}": 10, "{case_no}": 16, "{link}": 40}
_REPLY = "{reply}"


def characters(text: str) -> int:
    """Characters as an SMS counts them: UTF-16 code units (an emoji takes two)."""
    return len(text.encode("utf-16-le")) // 2


def estimate(template: str, reply_hint: str | None) -> tuple[int, dict[str, int]]:
    """The rendered length and what it is made of: the fixed text and each placeholder."""
    parts: dict[str, int] = {}
    fixed = template
    for placeholder, typical in (*TYPICAL.items(), (_REPLY, characters(reply_hint or ""))):
        count = template.count(placeholder)
        if count:
            parts[placeholder] = count * typical
            fixed = fixed.replace(placeholder, "")
    parts = {"text": characters(fixed), **parts}
    return sum(parts.values()), parts


def messages(length: int) -> int:
    """How many SMS a text of `length` characters goes out as."""
    return 1 if length <= SEGMENT else math.ceil(length / PART)
