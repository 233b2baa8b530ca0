"""The figures table (stdout) and var/bench/latest.json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

LEGEND = """\
baseline: `mutation { ping }` (no auth check, no database) on the same server, from the
          same load generator at the same concurrency c, measured just before the figure.
ratio:    value / baseline (a latency ratio of 3.0x costs three pings), except for intake
          throughput, where ratio = value / target: cases/s and ping req/s do not divide.
          The ingestCases calls/s row compares call rates (1 call = 1,000 cases) with ping.
CPU:      the whole machine's busy CPU time during the run (server, PostgreSQL, Redis, load
          generator, kernel) per request; each run's busy share is in its progress line.
          When both runs keep the cores busy (CPU-bound, not waiting on disk or locks), a
          throughput ratio is about 1 / the CPU ratio: 0.40 of ping needs a rating to cost
          at most 2.5 pings of CPU. A rating costs at least a ping (HTTP, GraphQL) plus its
          SQL, so its SQL alone may cost at most 1.5 pings."""


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    value: float
    unit: str
    baseline: float
    baseline_unit: str
    ratio: float
    ratio_of: str
    target: str
    concurrency: int
    errors: int = 0


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(figures: list[Figure], heading: str) -> str:
    header = ("figure", "value", "unit", "baseline", "ratio", "target")
    rows = [header]
    for f in figures:
        ratio = f"{f.ratio:.2f} of target" if f.ratio_of == "target" else f"{f.ratio:.2g}x"
        label = f"{f.label} (c={f.concurrency})" + (f" [{f.errors} errors]" if f.errors else "")
        rows.append(
            (label, _num(f.value), f.unit, f"{_num(f.baseline)} {f.baseline_unit}", ratio, f.target)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join([heading, LEGEND, "", *lines])


def write_json(figures: list[Figure], path: Path, extra: dict[str, object]) -> None:
    body = {}
    for f in figures:
        entry = asdict(f)
        del entry["name"], entry["label"]
        body[f.name] = {**entry, **extra}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
