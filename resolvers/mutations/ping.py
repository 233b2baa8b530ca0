"""`ping`: the cheapest mutation the stack can serve; the benchmarks' baseline."""

from __future__ import annotations


def ping() -> str:
    return "pong"
