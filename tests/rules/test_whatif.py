"""The what-if's deadlines are the engine's own, for any completion time, under every policy
we ship; and one case replayed under rules.yaml gives the figures its text says."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rules import (
    BUSINESS_TZ,
    CaseDue,
    CaseDueByDay,
    DisagreesWithEngineError,
    Engine,
    PastItem,
    PastRating,
    Replay,
    StepDueByDay,
    compare,
    whatif_due,
)
from rules.durations import Unit
from rules.whatif_due import beijing_day
from tests.profiles import PROFILES_DIR, profile_names

ROOT = Path(__file__).resolve().parents[2]
POLICIES = [ROOT / "rules.yaml", *(PROFILES_DIR / f"{name}.yaml" for name in profile_names())]
# 国庆 2026 (a holiday), a Saturday, a Sunday before it, the last evening of the year: each
# at times inside and outside the SMS quiet hours (21:00-08:00).
DAYS = [dt.date(2026, 10, 1), dt.date(2026, 10, 3), dt.date(2026, 9, 27), dt.date(2026, 12, 31)]
CLOCKS = [dt.time(0, 0), dt.time(7, 59, 59), dt.time(8, 0), dt.time(20, 59), dt.time(23, 59, 59)]


def moments(seed: int, count: int = 300) -> list[dt.datetime]:
    chooser = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=BUSINESS_TZ)
    found = [dt.datetime.combine(d, t, BUSINESS_TZ) for d in DAYS for t in CLOCKS]
    found += [start + dt.timedelta(seconds=chooser.randrange(366 * 86400)) for _ in range(count)]
    return [at.astimezone(dt.UTC) for at in found]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_case_deadlines_are_the_engines(path: Path) -> None:
    engine = Engine.from_path(path)
    memo = CaseDueByDay(engine)
    for at in moments(len(path.stem)):
        told = engine.case_deadlines(at).value
        expected = CaseDue(told.rating_deadline, told.default_at, told.remind_at)
        assert memo.of(at, beijing_day(at)) == expected, at.astimezone(BUSINESS_TZ)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
@pytest.mark.parametrize("step", ["callback", "rectification"])
def test_step_deadlines_are_the_engines(path: Path, step: str) -> None:
    engine = Engine.from_path(path)
    memo = StepDueByDay(engine, step)
    for at in moments(len(path.stem) + 1):
        told = engine.deadline(step, at).value
        assert memo.of(at) == (None if told is None else told.due), at.astimezone(BUSINESS_TZ)


@dataclass(frozen=True)
class Rated:
    id: int
    level: int
    rated_at: dt.datetime
    held: bool = False
    appeal_upheld: str | None = None


@dataclass(frozen=True)
class Item:
    opened_at: dt.datetime
    open: bool = True
    close_reason: str | None = None
    confirmed_at: dt.datetime | None = None
    called_back_at: dt.datetime | None = None
    rectified_at: dt.datetime | None = None
    appealed: bool = False
    appeal_decided: bool = False
    spot_checked: bool = False


@dataclass(frozen=True)
class Case:
    completed_at: dt.datetime
    ratings: tuple[PastRating, ...] = ()
    items: dict[int, PastItem] = field(default_factory=dict)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


MONDAY = "2026-11-16T10:00:00+08:00"


def test_one_month_under_the_template() -> None:
    """rules.yaml: window 5 working days (Mon 16 Nov -> Mon 23 Nov 23:59:59), default
    满意 after 7 natural days, SMS reminder after 24 hours, callback in 2 working days."""
    engine = Engine.from_path(ROOT / "rules.yaml")
    done = at(MONDAY)
    cases = [
        Case(done),  # nobody: reminded, defaulted
        Case(done, (Rated(1, 5, at("2026-11-16T10:05:00+08:00")),)),  # at once
        Case(done, (Rated(2, 4, at("2026-11-24T09:00:00+08:00")),)),  # late: refused, default
        Case(done, (Rated(3, 3, at("2026-11-18T09:00:00+08:00")),)),  # reminded, then rated
        Case(  # 非常不满意 called back a day late: overdue
            done,
            (Rated(4, 1, at("2026-11-16T11:00:00+08:00")),),
            {
                4: Item(
                    at("2026-11-16T11:00:00+08:00"), called_back_at=at("2026-11-19T09:00:00+08:00")
                )
            },
        ),
    ]
    replay = Replay(engine, now=at("2026-12-31T00:00:00+08:00"))
    replay.add(cases)
    tally = replay.tally()
    assert dict(tally.counts) == {
        "cases": 5,
        "defaults_applied": 2,
        "ratings_refused": 1,
        "reminders_sent": 3,
        "work_items_opened": 1,
        "work_items_overdue": 1,
    }
    metrics = {rule.code: (n, d) for rule, n, d in tally.metrics}
    assert metrics == {
        "satisfaction": (4, 5),  # 5, 3 and two defaults 满意 of 5
        "participation": (3, 5),
        "bad_rate": (1, 5),
        "rectification": (0, 1),
    }
    same = compare(tally, tally)
    assert [p.key for p in same][:2] == ["cases", "defaults_applied"]
    assert not any(p.changed for p in same)


def test_a_reading_that_disagrees_with_the_engine_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The span of an hour taken for two: the default after 7 natural days checks out, the
    reminder after 24 hours does not, on the first day asked."""
    monkeypatch.setitem(whatif_due._UNIT_SPANS, Unit.HOURS, dt.timedelta(hours=2))
    memo = CaseDueByDay(Engine.from_path(ROOT / "rules.yaml"))
    with pytest.raises(DisagreesWithEngineError):
        memo.of(at(MONDAY), beijing_day(at(MONDAY)))
