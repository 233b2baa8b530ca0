"""services.simulation: the same figures however the cases are chunked, the event loop
serving between chunks, and both throw-away engines retired, also when the replay fails."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from rules import Engine, Replay, parse
from services.simulation import Simulation, simulate_rules
from tests.api.test_simulate_rules import LENIENT, RULES, november
from tests.conftest import Api

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)


@pytest.fixture
def retired(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    versions: list[str] = []
    retire = Engine.retire

    def counted(self: Engine) -> None:
        versions.append(self.version)
        retire(self)

    monkeypatch.setattr(Engine, "retire", counted)
    return versions


async def test_chunks_give_the_same_figures_and_the_loop_keeps_serving(
    api: Api, retired: list[str]
) -> None:
    await november(api)
    engine = Engine(parse(RULES))
    now = api.clock.now
    whole = await simulate_rules(LENIENT, FIRST, LAST, engine=engine, now=now)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(tick())
    try:
        piecemeal = await simulate_rules(LENIENT, FIRST, LAST, engine=engine, now=now, chunk=2)
    finally:
        ticking.cancel()
    assert isinstance(whole, Simulation) and isinstance(piecemeal, Simulation)
    assert piecemeal.figures == whole.figures and piecemeal.cases == whole.cases == 7
    assert ticks >= 4  # four chunks, each replayed on a worker thread
    assert sorted(retired) == sorted([engine.version, Engine(parse(LENIENT)).version] * 2)


async def test_the_engines_are_retired_when_the_replay_fails(
    api: Api, retired: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await november(api)

    def broken(self: Replay, cases: object) -> None:
        raise RuntimeError("replay failed")

    monkeypatch.setattr(Replay, "add", broken)
    with pytest.raises(RuntimeError):
        await simulate_rules(LENIENT, FIRST, LAST, engine=Engine(parse(RULES)), now=api.clock.now)
    assert len(retired) == 2
