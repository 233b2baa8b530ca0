"""The machine's CPU time, from /proc/stat: what a figure costs in all processes together
(server workers, PostgreSQL backends, Redis, the load generator, the kernel)."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_times() -> tuple[float, float] | None:
    """(busy, all) CPU seconds summed over every core since boot; None without /proc/stat.
    Busy is user + nice + system + irq + softirq; all adds idle and iowait. Steal (time a
    hypervisor gave to others) is neither, and guest time is already inside user and nice."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, idle, iowait, irq, softirq = (int(v) for v in fields[:7])
    except (OSError, ValueError):
        return None
    busy = user + nice + system + irq + softirq
    return busy / _TICK, (busy + idle + iowait) / _TICK


def busy_between(before: tuple[float, float] | None, after: tuple[float, float] | None) -> float:
    """CPU seconds the whole machine spent busy between two readings (NaN if unknown)."""
    if before is None or after is None:
        return float("nan")
    return after[0] - before[0]


def busy_share(before: tuple[float, float] | None, after: tuple[float, float] | None) -> float:
    """The share of all cores' time that was busy between two readings (NaN if unknown)."""
    if before is None or after is None or after[1] <= before[1]:
        return float("nan")
    return (after[0] - before[0]) / (after[1] - before[1])
