"""The machine's CPU time, from /proc/stat: what a figure costs in all processes together
(server workers, PostgreSQL backends, Redis, the load generator, the kernel)."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_times() -> tuple[float, float] | None:
    """(busy, all) CPU seconds summed over every core since boot; None without /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        ticks = [int(v) for v in fields]
        idle = ticks[3] + ticks[4]  # idle + iowait
    except (OSError, ValueError, IndexError):
        return None
    return (sum(ticks) - idle) / _TICK, sum(ticks) / _TICK


def busy_between(before: tuple[float, float] | None, after: tuple[float, float] | None) -> float:
    """CPU seconds the whole machine spent busy between two readings (NaN if unknown)."""
    if before is None or after is None:
        return float("nan")
    return after[0] - before[0]
