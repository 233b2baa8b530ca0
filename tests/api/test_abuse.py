"""Anti-abuse limits from rules.yaml `abuse`: per rater, per device, per window, and a
device rating for many different people is held for review instead of counted."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from rules import PolicyError, parse
from server.counters import LocalCounters, RedisCounters
from tests.conftest import REDIS_URL, ROOT, Api, require, token
from tests.factories import CHEN, WANG, case_input, person
from tests.profiles import MINIMAL_SCENARIOS

TEMPLATE = (ROOT / "rules.yaml").read_text("utf-8")
LIMITS = """  per_rater: {max: 20, within: 1 hour}
  per_device: {max: 60, within: 1 hour}
  per_window: {max: 300, within: 1 hour}
  hold_device_burst: {raters: 10, within: 10 minutes}
"""
SUBMIT = """
mutation($input: RatingInput!) {
  submitRating(input: $input) {
    __typename
    ... on RatingRejected { code message }
    ... on RatingAccepted { status message decision { firedRules } }
  }
}
"""
HISTORY = """
query($n: String!) {
  case(caseNo: $n) { ratingStatus effectiveRating { level } ratings { level effective } }
}
"""


def with_limits(limits: str) -> str:
    assert LIMITS in TEMPLATE
    return TEMPLATE.replace(LIMITS, limits)


@contextlib.asynccontextmanager
async def policy(api: Api, text: str) -> AsyncIterator[None]:
    publish = (
        "mutation($y: String!, $s: String) { publishRules(yaml: $y, scenarios: $s) { __typename } }"
    )
    variables = {"y": text, "s": MINIMAL_SCENARIOS}
    body = await api.gql(publish, variables, token("policy_staff"))
    assert body["data"]["publishRules"]["__typename"] == "RulesPublished", body
    yield  # the api fixture puts rules.yaml back for the next test


async def new_device(api: Api) -> str:
    """A device id as the pages get one: issued and signed by the server (POST /device)."""
    response = await api.client.post("/device")
    assert response.status_code == 200, response.text
    device: str = response.json()["device"]
    return device


async def rate(api: Api, who: dict[str, Any], case_no: str, device: str | None = None) -> Any:
    bearer = token("citizen", id_number=who["idNumber"], name=who["name"])
    headers = {"authorization": f"Bearer {bearer}"}
    if device is not None:
        headers["x-hcp-device"] = device
    response = await api.client.post(
        "/graphql",
        json={
            "query": SUBMIT,
            "variables": {"input": {"caseNo": case_no, "level": 5, "channel": "APP"}},
        },
        headers=headers,
    )
    return response.json()["data"]["submitRating"]


def outcome(result: dict[str, Any]) -> str:
    return "ok" if result["__typename"] == "RatingAccepted" else str(result["code"])


async def test_a_rater_over_the_limit_is_refused_and_nothing_is_stored(api: Api) -> None:
    await api.ingest(*[case_input(f"R-{i}") for i in range(4)])
    async with policy(api, with_limits("  per_rater: {max: 3, within: 1 hour}\n")):
        results = [await rate(api, WANG, f"R-{i}") for i in range(4)]
    assert [outcome(r) for r in results] == ["ok", "ok", "ok", "RATE_LIMITED"]
    assert results[3]["message"] == "评价过于频繁，请稍后再试"
    last = await api.gql(HISTORY, {"n": "R-3"}, token("system"))
    assert last["data"]["case"] == {
        "ratingStatus": "UNRATED",
        "effectiveRating": None,
        "ratings": [],
    }


async def test_a_device_and_a_window_have_their_own_limits(api: Api) -> None:
    people = [person(i) for i in range(4)]
    await api.ingest(
        *[case_input(f"D-{i}", people[i]) for i in range(4)],
        case_input("O-1", people[3], windowCode="W-02", windowName="综合受理2号窗口"),
    )
    limits = "  per_device: {max: 2, within: 1 hour}\n  per_window: {max: 3, within: 1 hour}\n"
    tablet, phone_22, phone_33 = [await new_device(api) for _ in range(3)]
    async with policy(api, with_limits(limits)):
        same_device = [await rate(api, people[i], f"D-{i}", tablet) for i in range(3)]
        assert [outcome(r) for r in same_device] == ["ok", "ok", "RATE_LIMITED"]
        # Another device: its own count; the window W-01 has now counted 3 of its 3.
        assert outcome(await rate(api, people[2], "D-2", phone_22)) == "ok"
        assert outcome(await rate(api, people[3], "D-3", phone_33)) == "RATE_LIMITED"
        assert outcome(await rate(api, people[3], "O-1", phone_33)) == "ok"  # W-02


async def test_a_device_rating_for_many_people_has_them_held_not_counted(api: Api) -> None:
    people = [person(i) for i in range(3)]
    await api.ingest(*[case_input(f"H-{i}", people[i]) for i in range(3)])
    kiosk, phone = await new_device(api), await new_device(api)
    async with policy(api, with_limits("  hold_device_burst: {raters: 2, within: 10 minutes}\n")):
        first = await rate(api, people[0], "H-0", kiosk)
        second = await rate(api, people[1], "H-1", kiosk)
        elsewhere = await rate(api, people[2], "H-2", phone)
    assert "limit-rating-bursts" not in first["decision"]["firedRules"]
    assert "limit-rating-bursts" in second["decision"]["firedRules"]
    # The rater is told the rating is held, never that it counted.
    assert (first["status"], second["status"]) == ("EFFECTIVE", "HELD")
    assert "人工核实" in second["message"]
    counted = await api.gql(HISTORY, {"n": "H-0"}, token("system"))
    assert counted["data"]["case"]["ratingStatus"] == "RATED"
    held = await api.gql(HISTORY, {"n": "H-1"}, token("system"))
    assert held["data"]["case"] == {
        "ratingStatus": "UNRATED",
        "effectiveRating": None,
        "ratings": [{"level": 5, "effective": False}],
    }
    assert outcome(elsewhere) == "ok"


def test_counting_windows_run_on_the_clock() -> None:
    with pytest.raises(PolicyError, match="minutes, hours or natural days"):
        parse(with_limits("  per_rater: {max: 3, within: 2 working days}\n"), "bad.yaml")
    with pytest.raises(PolicyError, match="max"):
        parse(with_limits("  per_rater: {max: 0, within: 1 hour}\n"), "bad.yaml")


async def test_local_counters_forget_when_the_window_ends() -> None:
    now = [1000.0]
    counters = LocalCounters(clock=lambda: now[0])
    assert [await counters.count([("k", 60)]) for _ in range(3)] == [([1], 0), ([2], 0), ([3], 0)]
    assert await counters.count([], ("s", "a", 60)) == ([], 1)
    assert await counters.count([("k", 60)], ("s", "a", 60)) == ([4], 1)
    assert await counters.count([], ("s", "b", 60)) == ([], 2)
    await counters.release(["k"])
    assert await counters.count([("k", 60)]) == ([4], 0)
    now[0] += 61
    assert await counters.count([("k", 60)], ("s", "c", 60)) == ([1], 1)


@pytest.mark.redis
async def test_redis_counters_are_shared_by_every_worker_and_expire() -> None:
    url = require(REDIS_URL, "HCP_TEST_REDIS_URL")
    first, second = Redis.from_url(url), Redis.from_url(url)
    key = f"hcp:test:{uuid.uuid4().hex}"
    try:
        one, two = RedisCounters(first), RedisCounters(second)
        assert await one.count([(key, 30), (f"{key}:2", 30)]) == ([1, 1], 0)
        assert await two.count([(key, 30)], (f"{key}:s", WANG["idNumber"][-4:], 30)) == ([2], 1)
        assert await one.count([(key, 30)], (f"{key}:s", CHEN["idNumber"][-4:], 30)) == ([3], 2)
        await two.release([key])
        assert await one.count([(key, 30)]) == ([3], 0)
        assert 0 < await first.ttl(key) <= 30
        assert 0 < await first.ttl(f"{key}:s") <= 30
    finally:
        await first.delete(key, f"{key}:2", f"{key}:s")
        await first.aclose()
        await second.aclose()


async def test_the_scan_page_has_the_same_device_and_window_limits(api: Api) -> None:
    limits = "  per_device: {max: 2, within: 1 hour}\n  per_window: {max: 3, within: 1 hour}\n"
    phone_a, phone_b, phone_c = [await new_device(api) for _ in range(3)]
    async with policy(api, with_limits(limits)):
        mine = [
            (await api.client.get("/w/W-01", headers={"x-hcp-device": phone_a})).status_code
            for _ in range(3)
        ]
        other = await api.client.get("/w/W-01", headers={"x-hcp-device": phone_b})
        third = await api.client.get("/w/W-01", headers={"x-hcp-device": phone_c})
        elsewhere = await api.client.get("/w/W-02", headers={"x-hcp-device": phone_c})
    assert mine == [200, 200, 429]
    assert other.status_code == 200  # the window's third scan
    assert third.status_code == 429  # the window's fourth
    assert third.text == "访问过于频繁，请稍后再试"
    assert elsewhere.status_code == 200
