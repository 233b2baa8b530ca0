"""Devices are what the server can recognise: a browser's id is one the server issued and
signed (`POST /device`), never the client address and never a string the client made up."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from models.db import connection, fetch
from tests.api.test_abuse import TEMPLATE, new_device, outcome, policy, rate, with_limits
from tests.conftest import Api
from tests.factories import case_input, person

WINDOWS = 4  # the default policy allows 300 ratings a window an hour
FORGED = "a" * 22 + "." + "b" * 22  # the shape of an issued id, not signed by the server


async def issue(client: httpx.AsyncClient, kept: str | None = None) -> httpx.Response:
    return await client.post("/device", headers={"x-hcp-device": kept} if kept else {})


@contextlib.asynccontextmanager
async def from_address(api: Api, host: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same running app whose requests come from `host`."""
    transport = httpx.ASGITransport(app=api.app, client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hcp.test") as client:
        yield client


def made_up(signed: str) -> list[str]:
    """Ids the server did not issue: one altered character, and ids of the issued shape."""
    flipped = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    return [flipped, FORGED, "0123456789abcdef0123456789abcdef"]


async def test_an_issued_device_id_is_kept_until_the_server_no_longer_knows_it(api: Api) -> None:
    first = await issue(api.client)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    signed = first.json()["device"]
    again = await issue(api.client, signed)
    assert again.json() == {"device": signed}
    for forged in made_up(signed):
        replaced = (await issue(api.client, forged)).json()["device"]
        assert replaced not in (forged, signed)


async def test_device_limits_count_an_issued_id_and_ignore_made_up_ones(api: Api) -> None:
    people = [person(i) for i in range(7)]
    await api.ingest(*[case_input(f"D-{i}", people[i]) for i in range(7)])
    signed = await new_device(api)
    async with policy(api, with_limits("  per_device: {max: 2, within: 1 hour}\n")):
        counted = [await rate(api, people[i], f"D-{i}", signed) for i in range(3)]
        # A new made-up id per request is no device at all: only the per-rater limits apply.
        ignored = [
            await rate(api, people[3 + i], f"D-{3 + i}", forged)
            for i, forged in enumerate(made_up(signed))
        ]
        without = await rate(api, people[6], "D-6", None)
    assert [outcome(r) for r in counted] == ["ok", "ok", "RATE_LIMITED"]
    assert [outcome(r) for r in ignored] == ["ok", "ok", "ok"]
    assert outcome(without) == "ok"


async def test_the_burst_hold_follows_an_issued_id_not_made_up_ones(api: Api) -> None:
    people = [person(i) for i in range(5)]
    await api.ingest(*[case_input(f"H-{i}", people[i]) for i in range(5)])
    signed = await new_device(api)
    async with policy(api, with_limits("  hold_device_burst: {raters: 2, within: 10 minutes}\n")):
        kiosk = [await rate(api, people[i], f"H-{i}", signed) for i in range(2)]
        forged = [
            await rate(api, people[2 + i], f"H-{2 + i}", f) for i, f in enumerate(made_up(signed))
        ]
    held = ["limit-rating-bursts" in r["decision"]["firedRules"] for r in kiosk + forged]
    assert held == [False, True, False, False, False]


async def test_issuing_device_ids_is_limited_per_client_address(api: Api) -> None:
    default = "  device_ids: {max: 1000, within: 1 hour}\n"
    assert default in TEMPLATE
    text = TEMPLATE.replace(default, "  device_ids: {max: 2, within: 1 hour}\n")
    async with policy(api, text), from_address(api, "198.51.100.20") as other:
        issued = [await issue(api.client) for _ in range(3)]
        elsewhere = await issue(other)
        kept = await issue(api.client, issued[0].json()["device"])
    assert [r.status_code for r in issued] == [200, 200, 429]
    assert issued[2].json() == {"error": "RATE_LIMITED"}
    assert elsewhere.status_code == 200
    # Confirming an id already held issues nothing, so it is never refused.
    assert kept.json() == issued[0].json()


async def test_four_hundred_citizens_behind_one_address_are_each_counted(api: Api) -> None:
    """One NAT or load balancer in front of a hall: every citizen shares an address and
    sends no device id. None of them is refused or held for the others."""
    people = [person(i) for i in range(400)]
    await api.ingest(
        *[
            case_input(
                f"N-{i:03d}",
                people[i],
                windowCode=f"W-{i % WINDOWS + 1:02d}",
                windowName=f"综合受理{i % WINDOWS + 1}号窗口",
            )
            for i in range(400)
        ]
    )
    results = [await rate(api, people[i], f"N-{i:03d}", None) for i in range(400)]
    assert [outcome(r) for r in results] == ["ok"] * 400
    assert not any("limit-rating-bursts" in r["decision"]["firedRules"] for r in results)
    counted = await fetch(
        connection(), "SELECT count(*) AS n FROM rating WHERE effective AND NOT held_for_review"
    )
    assert counted[0]["n"] == 400


async def test_scans_from_one_shared_address_are_counted_per_window_only(api: Api) -> None:
    limits = "  per_device: {max: 2, within: 1 hour}\n  per_window: {max: 5, within: 1 hour}\n"
    async with policy(api, with_limits(limits)):
        scans = [(await api.client.get("/w/W-01")).status_code for _ in range(6)]
        forged = await api.client.get("/w/W-02", headers={"x-hcp-device": FORGED})
    assert scans == [200] * 5 + [429]
    assert forged.status_code == 200
