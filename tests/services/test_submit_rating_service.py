"""services.submit_rating called directly, with the real rules engine (rules.yaml and the
regional profiles) and a real database: an accepted rating becomes its cases' rating, the
latest wins where the policy says so, each refusal code of RATING_REFUSALS is given with
nothing stored, request ids replay the stored answer, batch and one-thing targets reach the
cases the policy names, and a device rating for many people is held."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from models.enums import Channel
from rules import Engine, parse
from server.counters import LocalCounters
from services.ingest_cases import phone_lookup
from services.raters import Rater
from services.rating_results import (
    EFFECTIVE,
    HELD,
    RATING_REFUSALS,
    RECORDED,
    STATUS_MESSAGES,
    Accepted,
    RatingRefusal,
    Result,
    Submission,
)
from services.submit_rating import submit_rating
from services.vault import Vault
from tests.api.test_abuse import TEMPLATE, with_limits
from tests.conftest import DATA_KEY, NOW, ROOT, Clock
from tests.factories import CHEN, COMPANY, WANG, case_input, other_department_case, person
from tests.services.conftest import StoreCases, rows

VAULT = Vault.from_ring(DATA_KEY)


@functools.cache
def policy(name: str = "template") -> Engine:
    """rules.yaml ("template") or a regional profile of rules/profiles/."""
    if name == "template":
        return Engine.from_path(ROOT / "rules.yaml")
    return Engine.from_path(ROOT / "rules" / "profiles" / f"{name}.yaml")


@functools.cache
def policy_text(text: str) -> Engine:
    return Engine(parse(text, "test.yaml"))


def citizen(who: dict[str, Any]) -> Rater:
    applicant = VAULT.lookup_hash(who["idNumber"])
    return Rater(role="citizen", key=f"citizen:{applicant}", applicant_hash=applicant)


def staff(code: str | None = "S-02", role: str = "window_staff", **scope: str) -> Rater:
    return Rater(
        role=role,
        key=f"staff:{code}",
        staff_code=code,
        department_code=scope.get("department", "D-SCJG"),
        region_code=scope.get("region"),
    )


def pad(window: str = "W-01", minutes: int = 30) -> Rater:
    return Rater(
        role="pad",
        key=f"pad:{window}",
        pad_window_code=window,
        pad_rating_window=timedelta(minutes=minutes),
    )


def sms(phone: str) -> Rater:
    found = phone_lookup(VAULT, phone)
    return Rater(role="sms", key=f"sms:{found}", phone_hash=found)


@dataclass
class Desk:
    """submit_rating with its collaborators: a policy, a test clock, in-process counters."""

    engine: Engine = field(default_factory=policy)
    clock: Clock = field(default_factory=Clock)
    counters: LocalCounters = field(default_factory=LocalCounters)

    async def __call__(
        self,
        rater: Rater,
        number: str,
        level: int = 5,
        *,
        target: str = "case",
        channel: Channel = Channel.APP,
        tags: tuple[str, ...] = (),
        comment: str | None = None,
        request_id: str | None = None,
        device: str | None = None,
    ) -> Result:
        return await submit_rating(
            Submission(target, number, level, channel, tags, comment, request_id),
            rater,
            engine=self.engine,
            clock=self.clock,
            counters=self.counters,
            device=device,
        )

    async def accepted(self, rater: Rater, number: str, level: int = 5, **kw: Any) -> Accepted:
        result = await self(rater, number, level, **kw)
        assert isinstance(result, Accepted), result
        return result


@pytest.fixture
def desk(store_cases: StoreCases) -> Desk:
    """A fresh desk on rules.yaml at the suite's NOW, over emptied tables (store_cases)."""
    return Desk()


async def ratings(case_no: str) -> list[dict[str, Any]]:
    return await rows(
        "SELECT r.id, r.level, r.effective, r.held_for_review, r.target, r.channel, "
        "r.rater_role, r.rater_key, r.act_id, r.rated_at FROM rating r "
        "JOIN case_record c ON c.id = r.case_id WHERE c.case_no = ? ORDER BY r.id",
        case_no,
    )


async def case_state(case_no: str) -> tuple[str, int | None]:
    [found] = await rows(
        "SELECT rating_status, effective_rating_id FROM case_record WHERE case_no = ?", case_no
    )
    rating_id = found["effective_rating_id"]
    return found["rating_status"], None if rating_id is None else int(rating_id)


async def effective_level(case_no: str) -> int | None:
    found = [r for r in await ratings(case_no) if r["effective"]]
    assert len(found) <= 1, found
    return int(found[0]["level"]) if found else None


def refused(code: str) -> RatingRefusal:
    return RatingRefusal(code, RATING_REFUSALS[code])


# --- accepted ratings -----------------------------------------------------------------


async def test_an_accepted_rating_becomes_the_cases_rating(
    desk: Desk, store_cases: StoreCases
) -> None:
    await store_cases(case_input("A-1"), case_input("A-2"))
    result = await desk.accepted(
        citizen(WANG), "A-1", 4, tags=("good-attitude",), comment="办得快", channel=Channel.WEB
    )
    assert (result.status, result.message) == (EFFECTIVE, STATUS_MESSAGES[EFFECTIVE])
    assert result.applies_to == ["A-1"]
    stored = result.rating
    assert (stored.level, stored.category, stored.tags, stored.comment, stored.channel) == (
        4,
        "good",
        ["good-attitude"],
        "办得快",
        "WEB",
    )
    assert datetime.fromisoformat(stored.rated_at) == NOW
    assert result.rules_version.startswith("template-2026.1@")
    assert "level-satisfied" in result.fired_rules
    [row] = await ratings("A-1")
    assert row["id"] == stored.id
    assert (row["effective"], row["held_for_review"], row["target"]) == (True, False, "case")
    assert (row["rater_role"], row["rater_key"]) == ("citizen", citizen(WANG).key)
    assert await case_state("A-1") == ("RATED", stored.id)
    assert await case_state("A-2") == ("UNRATED", None)
    assert await rows("SELECT id FROM work_item") == []  # a good rating opens no callback


async def test_the_latest_rating_wins_and_closes_the_callback_of_a_bad_one(
    desk: Desk, store_cases: StoreCases
) -> None:
    await store_cases(case_input("W-1"))
    bad = await desk.accepted(citizen(WANG), "W-1", 2, tags=("overdue",))
    assert bad.rating.category == "bad"
    [callback] = await rows("SELECT rating_id, status FROM work_item")
    assert (callback["rating_id"], callback["status"]) == (bad.rating.id, "OPEN")
    desk.clock.advance(minutes=5)
    good = await desk.accepted(citizen(WANG), "W-1", 5)
    history = await ratings("W-1")
    assert [(r["level"], r["effective"]) for r in history] == [(2, False), (5, True)]
    assert await case_state("W-1") == ("RATED", good.rating.id)
    [callback] = await rows("SELECT status, close_reason FROM work_item")
    assert (callback["status"], callback["close_reason"]) == ("CLOSED", "RATING_CHANGED")


async def test_two_ratings_at_the_same_moment_are_ordered_by_the_lock(
    desk: Desk, store_cases: StoreCases
) -> None:
    await store_cases(case_input("T-1"))
    first = await desk.accepted(citizen(WANG), "T-1", 3)
    second = await desk.accepted(citizen(WANG), "T-1", 4)  # the clock has not moved
    gap = datetime.fromisoformat(second.rating.rated_at) - datetime.fromisoformat(
        first.rating.rated_at
    )
    assert gap == timedelta(microseconds=1)
    assert await case_state("T-1") == ("RATED", second.rating.id)


async def test_an_entry_on_the_applicants_behalf_leaves_their_own_rating_effective(
    desk: Desk, store_cases: StoreCases
) -> None:
    await store_cases(case_input("O-1"), case_input("O-2"))
    own = await desk.accepted(citizen(WANG), "O-1", 5)
    desk.clock.advance(minutes=1)
    entered = await desk.accepted(staff(), "O-1", 1, tags=("poor-attitude",), channel=Channel.PAPER)
    assert (entered.status, entered.message) == (RECORDED, STATUS_MESSAGES[RECORDED])
    assert await case_state("O-1") == ("RATED", own.rating.id)
    assert [r["rater_role"] for r in await ratings("O-1")] == ["citizen", "window_staff"]
    # On a case the applicant has not rated, the entry counts.
    on_unrated = await desk.accepted(staff(), "O-2", 4, channel=Channel.PAPER)
    assert on_unrated.status == EFFECTIVE
    assert await case_state("O-2") == ("RATED", on_unrated.rating.id)


# Each way in: the rater, the channel it rates on, the case it may rate.
NOW_DONE = {"acceptedAt": "2026-11-20T19:00:00+08:00", "completedAt": "2026-11-20T19:50:00+08:00"}
WAYS_IN = {
    "sms-reply": (sms(WANG["phone"]), Channel.SMS, case_input("V-1")),
    "pad-at-its-window": (pad(), Channel.PAD, case_input("V-1", **NOW_DONE)),
    "hotline-operator-of-the-district": (
        staff("H-9", role="hotline_operator", region="330283"),
        Channel.HOTLINE,
        other_department_case("V-1"),  # in a town below the district
    ),
    "department-handler": (staff("S-77", role="dept_handler"), Channel.KIOSK, case_input("V-1")),
}


@pytest.mark.parametrize("way", sorted(WAYS_IN))
async def test_each_kind_of_rater_rates_on_its_own_channel(
    desk: Desk, store_cases: StoreCases, way: str
) -> None:
    rater, channel, case = WAYS_IN[way]
    await store_cases(case)
    result = await desk.accepted(rater, "V-1", 4, channel=channel)
    assert (result.status, result.rating.channel) == (EFFECTIVE, channel.value)
    [row] = await ratings("V-1")
    assert (row["rater_role"], row["rater_key"], row["effective"]) == (rater.role, rater.key, True)


# --- refusals -------------------------------------------------------------------------

Attempt = Callable[[], Awaitable[Result]]
Scenario = Callable[[Desk], Awaitable[Attempt]]


def attempt(rater: Rater, number: str, level: int = 5, **kw: Any) -> Scenario:
    """A refusal that needs no more than the seeded cases and, optionally, a policy."""
    name = kw.pop("policy", None)

    async def prepare(desk: Desk) -> Attempt:
        if name:
            desk.engine = policy(name)
        return lambda: desk(rater, number, level, **kw)

    return prepare


async def rated_twice_under_refuse(desk: Desk) -> Attempt:
    desk.engine = policy("binhai")  # when_rated_again: refuse
    await desk.accepted(citizen(WANG), "X-1", 4)
    desk.clock.advance(minutes=5)
    return lambda: desk(citizen(WANG), "X-1", 5)


async def rated_after_the_late_window(desk: Desk) -> Attempt:
    # haiyang: 5 working days and no default rating that would come first. X-1 was
    # completed Wed 2026-11-18, so the window closed at the end of Wed 2026-11-25.
    desk.engine = policy("haiyang")
    desk.clock.now = datetime.fromisoformat("2026-11-26T00:00:01+08:00")
    return lambda: desk(citizen(WANG), "X-1", 5)


async def over_the_rater_limit(desk: Desk) -> Attempt:
    desk.engine = policy_text(with_limits("  per_rater: {max: 1, within: 1 hour}\n"))
    await desk.accepted(citizen(WANG), "X-1", 4)
    return lambda: desk(citizen(WANG), "X-3", 5)


async def probing_case_numbers(desk: Desk) -> Attempt:
    probes = "  not_found: {max: 2, within: 1 hour}\n"
    desk.engine = policy_text(TEMPLATE.replace("  not_found: {max: 20, within: 1 hour}\n", probes))
    for number in ("NOPE-1", "NOPE-2"):
        assert await desk(citizen(WANG), number) == refused("NOT_FOUND")
    return lambda: desk(citizen(WANG), "NOPE-3")


REFUSALS: dict[str, tuple[str, Scenario]] = {
    "unknown-case": ("NOT_FOUND", attempt(citizen(WANG), "NOPE")),
    "someone-elses-case": ("NOT_FOUND", attempt(citizen(CHEN), "X-1")),
    "operator-of-another-region": (
        "NOT_FOUND",
        attempt(
            staff("H-9", role="hotline_operator", region="330300"), "X-1", channel=Channel.HOTLINE
        ),
    ),
    "citizen-on-the-pad-channel": ("NOT_RATER", attempt(citizen(WANG), "X-1", channel=Channel.PAD)),
    "staff-on-a-citizen-channel": ("NOT_RATER", attempt(staff(), "X-1", channel=Channel.APP)),
    "staff-who-handled-the-case": (
        "NOT_RATER",
        attempt(staff("S-01"), "X-1", channel=Channel.PAPER),
    ),
    "pad-after-its-rating-window": ("NOT_RATER", attempt(pad(), "X-1", channel=Channel.PAD)),
    "staff-without-staff-code": (
        "STAFF_CODE_REQUIRED",
        attempt(staff(None), "X-1", channel=Channel.PAPER),
    ),
    "case-not-completed": ("CASE_NOT_COMPLETED", attempt(citizen(WANG), "X-2")),
    "level-6": ("INVALID_LEVEL", attempt(citizen(WANG), "X-1", 6)),
    "level-0": ("INVALID_LEVEL", attempt(citizen(WANG), "X-1", 0)),
    "unknown-tag": ("INVALID_TAG", attempt(citizen(WANG), "X-1", 1, tags=("no-such-tag",))),
    "tag-of-another-level": ("INVALID_TAG", attempt(citizen(WANG), "X-1", 5, tags=("overdue",))),
    "online-tag-at-a-kiosk": (
        "INVALID_TAG",
        attempt(citizen(WANG), "X-1", 2, tags=("online-not-working",), channel=Channel.KIOSK),
    ),
    "bad-without-reason": ("REASON_REQUIRED", attempt(citizen(WANG), "X-1", 2)),
    "late-rating": ("RATING_WINDOW_CLOSED", rated_after_the_late_window),
    "second-rating-under-refuse": ("ALREADY_RATED", rated_twice_under_refuse),
    "one-thing-as-a-whole": (
        "RATE_EACH_MEMBER",
        attempt(citizen(COMPANY), "YJS-1", target="integrated_service", policy="binhai"),
    ),
    "comment-too-long": ("TOO_LONG", attempt(citizen(WANG), "X-1", 5, comment="好" * 501)),
    "over-the-rater-limit": ("RATE_LIMITED", over_the_rater_limit),
    "probing-case-numbers": ("RATE_LIMITED", probing_case_numbers),
}


def test_every_refusal_code_of_the_service_is_exercised() -> None:
    assert {code for code, _ in REFUSALS.values()} == set(RATING_REFUSALS)


@pytest.mark.parametrize("name", list(REFUSALS))
async def test_each_refusal_has_its_code_and_stores_nothing(
    desk: Desk, store_cases: StoreCases, name: str
) -> None:
    one_thing = {"integratedServiceNo": "YJS-1", "integratedServiceName": "开办企业一件事"}
    await store_cases(
        case_input("X-1"),
        case_input("X-2", completedAt=None),
        case_input("X-3"),
        case_input("Y-1", COMPANY, **one_thing),
        case_input("Y-2", COMPANY, **one_thing),
    )
    code, scenario = REFUSALS[name]
    attempt_it = await scenario(desk)
    before = await rows("SELECT id, case_id, effective FROM rating ORDER BY id")
    cases_before = await rows("SELECT case_no, rating_status, effective_rating_id FROM case_record")
    assert await attempt_it() == refused(code)
    assert await rows("SELECT id, case_id, effective FROM rating ORDER BY id") == before
    assert (
        await rows("SELECT case_no, rating_status, effective_rating_id FROM case_record")
        == cases_before
    )


async def test_a_refused_attempt_uses_up_no_allowance(desk: Desk, store_cases: StoreCases) -> None:
    await store_cases(case_input("Q-1"), case_input("Q-2"))
    desk.engine = policy_text(with_limits("  per_rater: {max: 1, within: 1 hour}\n"))
    assert await desk(citizen(WANG), "Q-1", 2) == refused("REASON_REQUIRED")
    await desk.accepted(citizen(WANG), "Q-1", 2, comment="材料被要求提交了两次")
    assert await desk(citizen(WANG), "Q-2", 5) == refused("RATE_LIMITED")


# --- request ids ----------------------------------------------------------------------


async def test_a_retried_request_id_gets_the_stored_answer(
    desk: Desk, store_cases: StoreCases
) -> None:
    await store_cases(case_input("I-1"), case_input("I-2", CHEN))
    first = await desk.accepted(citizen(WANG), "I-1", 5, request_id="req-1")
    desk.clock.advance(minutes=1)
    again = await desk(citizen(WANG), "I-1", 1, tags=("poor-attitude",), request_id="req-1")
    assert again == first
    assert [r["id"] for r in await ratings("I-1")] == [first.rating.id]
    # The id is the rater's own: another rater's request with the same id is a new one.
    other = await desk.accepted(citizen(CHEN), "I-2", 4, request_id="req-1")
    assert other.rating.id != first.rating.id
    kept = await rows("SELECT rater_key FROM rating_request WHERE client_request_id = 'req-1'")
    assert sorted(r["rater_key"] for r in kept) == sorted([citizen(WANG).key, citizen(CHEN).key])


async def test_a_final_refusal_is_replayed_to_a_retry(desk: Desk, store_cases: StoreCases) -> None:
    await store_cases(case_input("J-1"))
    assert await desk(citizen(WANG), "J-1", 2, request_id="r-2") == refused("REASON_REQUIRED")
    retry = await desk(citizen(WANG), "J-1", 2, tags=("overdue",), request_id="r-2")
    assert retry == refused("REASON_REQUIRED")
    assert await ratings("J-1") == []
    fresh = await desk.accepted(citizen(WANG), "J-1", 2, tags=("overdue",), request_id="r-3")
    assert await case_state("J-1") == ("RATED", fresh.rating.id)


async def test_an_answer_that_can_change_is_asked_again(
    desk: Desk, store_cases: StoreCases
) -> None:
    await store_cases(case_input("K-1", completedAt=None))
    not_yet = await desk(citizen(WANG), "K-1", 5, request_id="r-9")
    assert not_yet == refused("CASE_NOT_COMPLETED")
    assert await rows("SELECT id FROM rating_request") == []
    await store_cases(case_input("K-1"))  # the business system reports it completed
    done = await desk.accepted(citizen(WANG), "K-1", 5, request_id="r-9")
    assert await case_state("K-1") == ("RATED", done.rating.id)


# --- batches and one-thing services ---------------------------------------------------


async def test_a_rating_of_one_case_of_a_batch_applies_to_the_whole_batch(
    desk: Desk, store_cases: StoreCases
) -> None:
    await store_cases(*[case_input(f"B-{i}", batchNo="BATCH-1") for i in range(3)])
    await store_cases(case_input("B-other"))
    result = await desk.accepted(citizen(WANG), "B-1", 4)
    assert sorted(result.applies_to) == ["B-0", "B-1", "B-2"]
    assert "batch-one-rating" in result.fired_rules
    rows_of = [await ratings(f"B-{i}") for i in range(3)]
    assert {r[0]["act_id"] for r in rows_of} == {rows_of[0][0]["act_id"]}
    assert [await effective_level(f"B-{i}") for i in range(3)] == [4, 4, 4]
    assert await case_state("B-other") == ("UNRATED", None)
    desk.clock.advance(minutes=1)
    by_batch = await desk.accepted(citizen(WANG), "BATCH-1", 5, target="batch")
    assert sorted(by_batch.applies_to) == ["B-0", "B-1", "B-2"]
    assert [await effective_level(f"B-{i}") for i in range(3)] == [5, 5, 5]


async def test_a_policy_without_one_rating_per_batch_rates_the_case_alone(
    desk: Desk, store_cases: StoreCases
) -> None:
    desk.engine = policy("fenghua")  # one_rating_for_whole_batch: false
    await store_cases(*[case_input(f"B-{i}", batchNo="BATCH-1") for i in range(2)])
    result = await desk.accepted(citizen(WANG), "B-1", 4)
    assert result.applies_to == ["B-1"]
    assert await case_state("B-0") == ("UNRATED", None)


async def test_a_one_thing_rating_yields_to_a_members_own_rating(
    desk: Desk, store_cases: StoreCases
) -> None:
    one_thing = {"integratedServiceNo": "YJS-1", "integratedServiceName": "开办企业一件事"}
    await store_cases(*[case_input(f"Y-{i}", COMPANY, **one_thing) for i in range(3)])
    member = await desk.accepted(citizen(COMPANY), "Y-1", 2, tags=("overdue",))
    assert member.applies_to == ["Y-1"]
    desk.clock.advance(minutes=1)
    overall = await desk.accepted(citizen(COMPANY), "YJS-1", 5, target="integrated_service")
    assert sorted(overall.applies_to) == ["Y-0", "Y-1", "Y-2"]
    assert overall.status == EFFECTIVE
    assert "one-thing-overall-or-each" in overall.fired_rules
    # member_wins (rules.yaml): Y-1 keeps its own rating; the others take the overall one.
    assert [await effective_level(f"Y-{i}") for i in range(3)] == [5, 2, 5]
    assert await case_state("Y-1") == ("RATED", member.rating.id)
    assert [(r["target"], r["effective"]) for r in await ratings("Y-1")] == [
        ("case", True),
        ("integrated_service", False),
    ]
    # A member's own rating after the overall one replaces it on that member alone.
    desk.clock.advance(minutes=1)
    await desk.accepted(citizen(COMPANY), "Y-0", 3)
    assert [await effective_level(f"Y-{i}") for i in range(3)] == [3, 2, 5]


# --- anti-abuse -----------------------------------------------------------------------


async def test_a_device_rating_for_many_people_has_them_held_not_counted(
    desk: Desk, store_cases: StoreCases
) -> None:
    people = [person(i) for i in range(3)]
    await store_cases(*[case_input(f"H-{i}", people[i]) for i in range(3)])
    desk.engine = policy_text(with_limits("  hold_device_burst: {raters: 2, within: 10 minutes}\n"))
    first = await desk.accepted(citizen(people[0]), "H-0", device="kiosk-1")
    second = await desk.accepted(citizen(people[1]), "H-1", device="kiosk-1")
    elsewhere = await desk.accepted(citizen(people[2]), "H-2", device="phone-2")
    assert (first.status, second.status, elsewhere.status) == (EFFECTIVE, HELD, EFFECTIVE)
    assert second.message == STATUS_MESSAGES[HELD]
    assert "limit-rating-bursts" not in first.fired_rules
    assert "limit-rating-bursts" in second.fired_rules
    [held] = await ratings("H-1")
    assert (held["effective"], held["held_for_review"]) == (False, True)
    assert await case_state("H-1") == ("UNRATED", None)
    assert await case_state("H-0") == ("RATED", first.rating.id)
