"""`simulateRules(yaml, from, to)`: what a draft policy would have made of a period's cases,
next to what the active one makes of them (services.simulation; docs/whatif.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.rules import RulesRejected, problems
from services.identity import Role
from services.simulation import Simulation as Simulated
from services.simulation import simulate_rules as simulate


@strawberry.type(description="One figure under the active policy and under the draft")
class SimulationFigure:
    key: str = strawberry.field(description="cases, defaults_applied, …, metric:<code>")
    title: str
    active: float | None = strawberry.field(
        description="a count, or a metric's value; null: 0/0, or a metric the policy lacks"
    )
    draft: float | None
    active_text: str = strawberry.field(description="a count, or numerator/denominator")
    draft_text: str
    changed: bool


@strawberry.type(description="A period's cases replayed under the active policy and a draft")
class Simulation:
    from_: str = strawberry.field(name="from")
    to: str
    cases: int
    figures: list[SimulationFigure]
    active_version: str
    draft_version: str
    seconds: float


SimulateRulesResult = Annotated[Simulation | RulesRejected, strawberry.union("SimulateRulesResult")]


async def simulate_rules(
    info: Info[Context, None],
    yaml: str,
    from_: Annotated[date, strawberry.argument(name="from")],
    to: date,
) -> SimulateRulesResult:
    """Completed from..to (Beijing dates, inclusive, at most 366 days). RulesRejected:
    INVALID_RULES (the draft's problems) or BAD_PERIOD."""
    info.context.require(Role.POLICY_STAFF)
    collaborators = info.context.collaborators
    result = await simulate(yaml, from_, to, engine=collaborators.engine, now=info.context.now())
    if not isinstance(result, Simulated):
        lang = collaborators.lang
        return RulesRejected(code=result.code, problems=problems(list(result.problems), lang))
    return Simulation(
        from_=result.first.isoformat(),
        to=result.last.isoformat(),
        cases=result.cases,
        figures=[
            SimulationFigure(
                key=f.key,
                title=f.title,
                active=f.active,
                draft=f.draft,
                active_text=f.active_text,
                draft_text=f.draft_text,
                changed=f.changed,
            )
            for f in result.figures
        ],
        active_version=result.active_version,
        draft_version=result.draft_version,
        seconds=result.seconds,
    )
