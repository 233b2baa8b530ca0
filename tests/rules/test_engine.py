"""The engine behind `evaluate`: edits take effect without code, reloads are atomic and
safe under load, failures are raised, and nothing leaks."""

from __future__ import annotations

import resource
import threading
from pathlib import Path

import pytest

from rules import Engine, PolicyError, parse
from rules.compiler import RuleActionError

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
COMPLETED = {"completed_at": "2026-11-16T10:00:00+08:00"}


def edited(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_editing_the_default_delay_changes_the_decision_with_no_code_change(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    engine = Engine.from_path(path)
    before = engine.evaluate("case_deadlines", COMPLETED)
    assert before.outcome["default_at"].isoformat() == "2026-11-23T10:00:00+08:00"
    path.write_text(edited("after: 7 natural days", "after: 10 natural days"), encoding="utf-8")
    assert engine.reload(path) is True
    after = engine.evaluate("case_deadlines", COMPLETED)
    assert after.outcome["default_at"].isoformat() == "2026-11-26T10:00:00+08:00"
    assert after.version != before.version
    assert "default-satisfied-after-7-days" in after.fired


def test_making_basically_satisfied_neutral_is_one_line(tmp_path: Path) -> None:
    engine = Engine(parse(TEXT))
    assert engine.evaluate("level", {"level": 3, "channel": "PAD"}).outcome["category"] == "good"
    engine.publish(
        edited(
            "    label: 基本满意\n    category: good", "    label: 基本满意\n    category: neutral"
        )
    )
    assert engine.evaluate("level", {"level": 3, "channel": "PAD"}).outcome["category"] == "neutral"


def test_an_invalid_reload_leaves_the_old_version_serving(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    engine = Engine.from_path(path)
    version = engine.version
    path.write_text(edited("after: 7 natural days", "after: 7 weekdays"), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        engine.reload(path)
    assert "7 weekdays" in str(refused.value)
    assert engine.version == version
    assert engine.evaluate("case_deadlines", COMPLETED).outcome["default_level"] == 4


def test_reloading_the_same_text_is_a_no_op() -> None:
    engine = Engine(parse(TEXT))
    assert engine.publish(TEXT) is False


def test_a_reload_under_concurrent_evaluation_never_errors_or_mixes_versions() -> None:
    four = parse(TEXT)
    three = parse(
        edited("    level: 4\n    after: 7 natural days", "    level: 3\n    after: 7 natural days")
    )
    expected = {four.version: 4, three.version: 3}
    engine = Engine(four)
    errors: list[BaseException] = []
    mixed: list[str] = []
    stop = threading.Event()

    def evaluate() -> None:
        while not stop.is_set():
            try:
                decision = engine.evaluate("case_deadlines", COMPLETED)
            except BaseException as exc:
                errors.append(exc)
                return
            if expected[decision.version] != decision.outcome["default_level"]:
                mixed.append(decision.version)

    workers = [threading.Thread(target=evaluate) for _ in range(4)]
    for worker in workers:
        worker.start()
    for index in range(300):
        engine.replace(three if index % 2 == 0 else four)
    stop.set()
    for worker in workers:
        worker.join()
    assert errors == [] and mixed == []


def test_decisions_that_read_no_clock_are_made_once_per_policy() -> None:
    engine = Engine(parse(TEXT))
    facts = {"role": "dept_handler", "field": "phone"}
    first = engine.evaluate("mask", facts)
    assert engine.evaluate("mask", dict(facts)) is first
    assert engine.evaluate("mask", {**facts, "field": "name"}) is not first
    # Time-dependent kinds are decided every time.
    deadline = {"step": "callback", "from": "2026-11-20T10:00:00+08:00"}
    assert engine.evaluate("deadline", deadline) is not engine.evaluate("deadline", deadline)
    # Facts no rule matches (a client's level 7) are decided every time, never kept.
    invalid = {"level": 7, "channel": "APP"}
    assert engine.evaluate("level", invalid).outcome == {}
    assert engine.evaluate("level", invalid) is not engine.evaluate("level", invalid)
    valid = {"level": 2, "channel": "APP"}
    assert engine.evaluate("level", valid) is engine.evaluate("level", valid)
    # A policy without anti-abuse limits answers `abuse` with nothing, once.
    unlimited = Engine(parse((ROOT / "rules" / "profiles" / "binhai.yaml").read_text("utf-8")))
    assert unlimited.evaluate("abuse", {}).outcome == {}
    assert unlimited.evaluate("abuse", {}) is unlimited.evaluate("abuse", {})
    engine.replace(parse(edited("after: 7 natural days", "after: 8 natural days")))
    again = engine.evaluate("mask", facts)
    assert again is not first and again.version != first.version
    assert again.outcome == first.outcome


def test_a_rating_reuses_its_clock_free_steps_only_within_one_policy() -> None:
    engine = Engine(parse(TEXT))
    rating = {
        "level": 3,
        "channel": "APP",
        "tags": [],
        "comment": "",
        **COMPLETED,
        "rated_at": "2026-11-17T10:00:00+08:00",
        "prior": "rating",
    }
    first = engine.evaluate("rating", rating)
    assert first.outcome["category"] == "good" and first.outcome["accepted"]
    assert engine.evaluate("rating", rating).outcome == first.outcome
    engine.publish(
        edited(
            "    label: 基本满意\n    category: good", "    label: 基本满意\n    category: neutral"
        )
    )
    after = engine.evaluate("rating", rating)
    assert after.outcome["category"] == "neutral" and after.version != first.version
    # The clock-dependent step is still asked every time: a day past the window is refused.
    late = engine.evaluate("rating", {**rating, "rated_at": "2027-11-17T10:00:00+08:00"})
    assert late.outcome["code"] == "RATING_WINDOW_CLOSED"


def test_failing_actions_are_raised_and_leave_no_live_sid() -> None:
    engine = Engine(parse(TEXT))
    compiled = engine._active.compiled
    failures = 0
    for index in range(100_000):
        if index % 10 == 0:
            with pytest.raises(RuleActionError):
                engine.evaluate("deadline", {"step": "callback"})  # no `from`: the action fails
            failures += 1
        else:
            # A decision the engine makes every time (mask and form are kept per policy).
            engine.evaluate("deadline", {"step": "callback", "from": "2026-11-20T10:00:00+08:00"})
    assert failures == 10_000
    assert compiled._inflight == {}
    # durable allows 1,024 live sids per ruleset: a single leak per failure would be 10x that.
    assert engine.evaluate("deadline", {"step": "callback", "from": "2026-11-20T10:00:00+08:00"})


def _rss_mib() -> float:
    with Path("/proc/self/statm").open() as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def test_memory_stays_bounded_over_1000_reloads() -> None:
    sources = [parse(TEXT), parse(edited("after: 7 natural days", "after: 8 natural days"))]
    engine = Engine(sources[0])
    for index in range(100):
        engine.replace(sources[index % 2 == 0])
    before = _rss_mib()
    for index in range(1000):
        engine.replace(sources[index % 2 == 0])
        engine.evaluate("form", {"channel": "APP"})
    # An unfreed compiled policy costs ~0.5 MiB of native rulesets: 1,000 would be ~500 MiB.
    assert _rss_mib() - before < 40


def test_unknown_kinds_and_naive_times_are_refused() -> None:
    engine = Engine(parse(TEXT))
    with pytest.raises(ValueError, match="kind"):
        engine.evaluate("bogus", {})
    with pytest.raises(ValueError, match="offset"):
        engine.evaluate("case_deadlines", {"completed_at": "2026-11-16T10:00:00"})


def test_facts_no_rule_can_test_are_decided_by_none_and_leave_no_live_sid() -> None:
    """A null or missing fact matched neither a rule nor the catch-all: durable raised an
    error quoting every fact's value (a comment may be personal), and deleting that state
    crashed the process. The catch-all now matches a missing fact too (null is absent)."""
    engine = Engine(parse(TEXT))
    for _ in range(2_000):  # more than durable's 1,024 live sids, were one leaked per call
        for facts in ({"level": None, "comment": "王小明 13800138000"}, {}):
            decision = engine.evaluate("level", facts)
            assert (decision.outcome, decision.fired) == ({}, ())
    assert engine._active.compiled._inflight == {}
    assert engine.evaluate("level", {"level": 5}).outcome
