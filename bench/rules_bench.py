"""Rules-engine figures, in-process: decisions/s through `Engine.evaluate` next to raw
durable_rules `post` of the same rule in the same run, and reload latency under load."""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from durable.engine import Host

from bench.report import Figure
from rules import Engine, parse

ROOT = Path(__file__).resolve().parent.parent
FACTS = {"level": 2, "channel": "PAD"}
# The same decision with a list fact (durable is not sent lists), which keeps it out of the
# engine's per-policy memo: the figure is the engine's cost, not a dictionary lookup.
DECIDED = {**FACTS, "tags": []}


class _RawHost(Host):  # the baseline: durable with nothing of ours around it
    def _run(self) -> None:
        pass

    def get_action(self, action_name: str) -> Callable[[object], None]:
        def act(_c: object) -> None:
            return None

        return act


def _rate(work: Callable[[int], None], count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        work(index)
    return count / (time.perf_counter() - started)


def decisions(count: int) -> Figure:
    """The baseline posts the same facts to the very rules `evaluate` uses (the compiled
    level ruleset, with do-nothing actions): the ratio is the cost of our wrapper."""
    engine = Engine(parse((ROOT / "rules.yaml").read_text(encoding="utf-8")))
    host = _RawHost()
    host.register_rulesets({"raw": engine._active.compiled.definitions["level"]})
    sids = itertools.count(1)

    def raw(_index: int) -> None:
        sid = str(next(sids))
        host.post("raw", {"sid": sid, "kind": "level", **FACTS})
        host.delete_state("raw", sid)

    def ours(_index: int) -> None:
        engine.evaluate("level", DECIDED)

    _rate(raw, 2000)
    _rate(ours, 2000)
    raw_rate = statistics.median(_rate(raw, count) for _ in range(3))
    our_rate = statistics.median(_rate(ours, count) for _ in range(3))
    return Figure(
        name="rules_decisions_per_s",
        label="evaluate('level') decisions/s",
        value=our_rate,
        unit="decisions/s",
        baseline=raw_rate,
        baseline_unit="raw post/s",
        ratio=our_rate / raw_rate,
        ratio_of="baseline",
        target=">= 0.8 of raw",
        concurrency=1,
    )


def reloads(count: int) -> list[Figure]:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    sources = [parse(text), parse(text.replace("after: 7 natural days", "after: 8 natural days"))]
    engine = Engine(sources[0])

    def timed(times: int) -> list[float]:
        found = []
        for index in range(times):
            started = time.perf_counter()
            engine.replace(sources[index % 2 == 0])
            found.append((time.perf_counter() - started) * 1000)
        return found

    idle = timed(count)
    stop = threading.Event()
    evaluated = [0]

    def load() -> None:
        while not stop.is_set():
            engine.evaluate("case_deadlines", {"completed_at": "2026-11-16T10:00:00+08:00"})
            evaluated[0] += 1

    workers = [threading.Thread(target=load) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        busy = timed(count)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    p99_idle, p99_busy = _p99(idle), _p99(busy)
    return [
        Figure(
            name="rules_reload_p99_ms",
            label="policy reload p99 under load",
            value=p99_busy,
            unit="ms",
            baseline=p99_idle,
            baseline_unit="ms idle",
            ratio=p99_busy / p99_idle,
            ratio_of="baseline",
            target="(report)",
            concurrency=2,
        )
    ]


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def run(small: bool) -> list[Figure]:
    return [decisions(5_000 if small else 50_000), *reloads(100 if small else 500)]


if __name__ == "__main__":
    for figure in run(small=True):
        print(figure)
