"""Effective dates in the engine (rules.eras): which version's deadlines judge a case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rules import Engine, parse

TEXT = (Path(__file__).resolve().parents[2] / "rules.yaml").read_text(encoding="utf-8")
BEIJING = dt.timezone(dt.timedelta(hours=8))
BEFORE = dt.datetime(2026, 11, 27, 10, tzinfo=BEIJING)  # a Friday before 1 December
AFTER = dt.datetime(2026, 12, 2, 10, tzinfo=BEIJING)


def version(label: str, *, within: str = "5 working days", head: str = "") -> str:
    text = TEXT.replace("version: template-2026.1", f"version: {label}{head}", 1)
    return text.replace("within: 5 working days", f"within: {within}", 1)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T23:59:59+08:00")


V1 = parse(version("v1"))
V2 = parse(version("v2", within="10 working days", head="\neffective_from: 2026-12-01"))


def test_a_case_keeps_the_deadline_of_the_version_in_force_when_it_was_completed() -> None:
    engine = Engine(V2, [V1])
    old = engine.case_deadlines(BEFORE)
    assert old.value.rating_deadline == at("2026-12-04")
    assert old.version == V1.version
    new = engine.case_deadlines(AFTER)
    assert new.value.rating_deadline == at("2026-12-16")
    assert new.version == V2.version
    # The composed rating decision takes the window of the case's version.
    closed = engine.evaluate(
        "rating",
        {"level": 5, "channel": "APP", "completed_at": BEFORE, "rated_at": at("2026-12-07")},
    )
    assert closed.outcome["code"] == "RATING_WINDOW_CLOSED"
    assert closed.version == V2.version  # everything but the window is the active version's


def test_a_version_without_an_effective_date_judges_every_case() -> None:
    engine = Engine(V1, [V2])
    assert engine.case_deadlines(BEFORE).value.rating_deadline == at("2026-12-04")
    assert engine.case_deadlines(AFTER).value.rating_deadline == at("2026-12-09")
    assert len(engine.era_cutoffs(AFTER)) == 1


def test_replacing_keeps_the_history_and_a_rollback_restores_the_old_deadlines() -> None:
    engine = Engine(V1)
    engine.replace(V2)
    assert engine.case_deadlines(BEFORE).value.rating_deadline == at("2026-12-04")
    assert engine.case_deadlines(AFTER).value.rating_deadline == at("2026-12-16")
    engine.replace(V1)  # the rollback: V1 has no effective date, so it governs every case
    assert engine.case_deadlines(AFTER).value.rating_deadline == at("2026-12-09")
    assert [s.version for s in engine.timeline] == [V1.version]


def test_sections_declared_for_open_cases_apply_to_them() -> None:
    v3 = parse(
        version(
            "v3",
            within="10 working days",
            head="\neffective_from: 2026-12-01\napplies_to_open_cases: [late_rating]",
        )
    )
    engine = Engine(v3, [V1])
    assert engine.case_deadlines(BEFORE).value.rating_deadline == at("2026-12-11")
    # The default rating was not declared: it stays the old version's (7 natural days).
    assert engine.case_deadlines(BEFORE).value.default_at == BEFORE + dt.timedelta(days=7)


def test_the_sweep_cutoffs_come_era_by_era() -> None:
    engine = Engine(V2, [V1])
    now = dt.datetime(2026, 12, 20, 12, tzinfo=BEIJING)
    newest, oldest = engine.era_cutoffs(now)
    assert (newest.start, newest.end) == (
        dt.datetime(2026, 12, 1, tzinfo=newest.start.tzinfo),
        None,
    )
    assert (oldest.start, oldest.end) == (None, newest.start)
    # 5 working days back from 20 December (a Sunday) reaches further than 10 do.
    assert oldest.cutoffs.value.window_closed_before is not None
    assert newest.cutoffs.value.window_closed_before is not None
    assert oldest.cutoffs.value.window_closed_before > newest.cutoffs.value.window_closed_before
    assert oldest.cutoffs.version == V1.version


def test_a_later_version_effective_earlier_supersedes_the_one_between() -> None:
    v3 = parse(version("v3", within="3 working days", head="\neffective_from: 2026-11-01"))
    engine = Engine(v3, [V1, V2])
    assert engine.case_deadlines(AFTER).version == v3.version
    assert len(engine.era_cutoffs(AFTER)) == 2
