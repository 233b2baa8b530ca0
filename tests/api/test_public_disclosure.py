"""The public disclosure (/public/, no login): the policy's disclosed metrics of a month per
department and per window, equal to the statistics of the same month, a figure under the
policy's `min_sample` withheld without its numbers; the comments that passed moderation and
nothing else (held for a listed word or by the burst rule, rejected, replaced by a later
rating, taken out by an upheld appeal); nobody's identity anywhere; answers cached with a
strong ETag; a crowd asking for one month computes it once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from models.stores import public_comments, stat_reads
from server.state import app_state
from services.stats_refresh import refresh_all
from tests.api.test_abuse import new_device, policy, with_limits
from tests.api.test_held_ratings import HELD, REVIEW
from tests.api.test_statistics import STATISTICS, figures, october, served
from tests.api.test_work_item_loop import (
    ADMIN,
    DECIDE,
    act,
    appeal,
    callback,
    done,
    items,
    policy_text,
    use,
)
from tests.conftest import ROOT, Api, citizen
from tests.factories import CHEN, PEOPLE, WANG, case_input, person

FIGURES = "/public/figures.json"
COMMENTS = "/public/comments.json"
SUBMIT = """mutation($input: RatingInput!) { submitRating(input: $input) {
  __typename ... on RatingRejected { code message } } }"""
TEMPLATE = (ROOT / "rules.yaml").read_text("utf-8")
# 区人社保局 in a town of the district: three cases completed late in October, two rated.
RSB = {
    "departmentCode": "D-RSB",
    "departmentName": "区人社保局",
    "windowCode": "W-05",
    "windowName": "社保医保窗口",
    "staffCode": "S-05",
    "staffName": "周海燕",
    "regionCode": "330283100",
}
LATE_OCTOBER = "2026-10-30T10:00:00+08:00"


async def get(api: Api, path: str, **params: str) -> httpx.Response:
    return await api.client.get(path, params=params)


async def answer(api: Api, path: str, **params: str) -> dict[str, Any]:
    response = await get(api, path, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def submit(
    api: Api,
    who: dict[str, Any],
    case_no: str,
    level: int,
    comment: str,
    device: str | None = None,
) -> dict[str, Any]:
    data = {"caseNo": case_no, "level": level, "channel": "APP", "comment": comment}
    headers = {"authorization": f"Bearer {citizen(who)}"}
    if device is not None:
        headers["x-hcp-device"] = device
    response = await api.client.post(
        "/graphql", json={"query": SUBMIT, "variables": {"input": data}}, headers=headers
    )
    result: dict[str, Any] = response.json()["data"]["submitRating"]
    assert result["__typename"] == "RatingAccepted", result
    return result


def published(figure: dict[str, Any]) -> tuple[int, int] | None:
    """(numerator, denominator) of a public figure; None when it is withheld."""
    if figure.get("withheld"):
        assert set(figure) == {"metric", "withheld"}  # no numbers at all
        return None
    return figure["numerator"], figure["denominator"]


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, tuple[int, int] | None]]:
    return {r["code"]: {f["metric"]: published(f) for f in r["figures"]} for r in rows}


async def everything_public(api: Api, month: str) -> str:
    """The page, its assets and every answer of the month (all comment pages), as text."""
    texts = [(await get(api, "/public/")).text]
    texts += [(await get(api, f"/public/assets/{n}")).text for n in ("public.js", "public.css")]
    texts.append((await get(api, FIGURES, month=month)).text)
    after = ""
    while True:
        page = await answer(api, COMMENTS, month=month, **({"after": after} if after else {}))
        texts.append(json.dumps(page, ensure_ascii=False))
        if not page["nextCursor"]:
            return "\n".join(texts)
        after = page["nextCursor"]


def assert_nobody_named(text: str, *more: str) -> None:
    for who in PEOPLE:
        for key in ("name", "idNumber", "phone"):
            assert str(who[key]) not in text, f"{key} of {who['kind']} in a public answer"
    for value in more:
        assert value not in text, value


async def october_with_a_small_department(api: Api) -> None:
    engine = await use(api, "rules")
    await october(api, engine)  # ends at 2026-11-03 09:00 (Beijing), swept
    await api.ingest(*[served(f"P{n}", LATE_OCTOBER, applicant=CHEN, **RSB) for n in range(1, 4)])
    await submit(api, CHEN, "P1", 5, "社保窗口办理很快")
    await submit(api, CHEN, "P2", 4, "材料一次说清楚了")
    await refresh_all()


async def test_the_figures_are_the_month_s_statistics_per_department_and_window(
    api: Api,
) -> None:
    await october_with_a_small_department(api)
    body = await answer(api, FIGURES, month="2026-10")
    assert body["month"] == "2026-10" and body["published"] is True
    assert body["months"][0] == "2026-11" and body["months"][-1] == "2025-11"
    assert len(body["months"]) == 13
    assert body["computedAt"] == "2026-11-03T09:00:00+08:00"
    assert [m["code"] for m in body["metrics"]] == ["satisfaction", "participation", "bad_rate"]
    assert body["policy"]["minSample"] == 5 and body["policy"]["comments"] is True
    assert body["policy"]["title"] == "按月公开评价结果"
    departments = by_code(body["departments"])
    # rules.yaml over the October scenario (tests/api/test_statistics.py), and 区人社保局's
    # three cases, two ratings: under the policy's sample of 5, so withheld.
    assert departments == {
        "D-RSB": {"satisfaction": None, "participation": None, "bad_rate": None},
        "D-SCJG": {"satisfaction": (8, 10), "participation": (7, 10), "bad_rate": (2, 10)},
    }
    windows = {w["code"]: (w["name"], w["department"]["code"]) for w in body["windows"]}
    assert windows == {"W-01": ("综合受理1号窗口", "D-SCJG"), "W-05": ("社保医保窗口", "D-RSB")}
    codes = [m["code"] for m in body["metrics"]]
    for group_by, rows, at in (
        (["DEPARTMENT"], body["departments"], 0),
        (["DEPARTMENT", "WINDOW"], body["windows"], 1),
    ):
        stats = await api.gql(
            STATISTICS,
            {"p": {"from": "2026-10-01", "to": "2026-10-31"}, "m": codes, "by": group_by},
            ADMIN,
        )
        expected = {
            row["group"][at]["code"]: {
                metric: (pair if pair[1] >= 5 else None) for metric, pair in figures(row).items()
            }
            for row in stats["data"]["statistics"]["rows"]
        }
        assert by_code(rows) == expected
    assert by_code(
        (await answer(api, FIGURES, month="2026-10", region="330283100"))["departments"]
    ) == {"D-RSB": {"satisfaction": None, "participation": None, "bad_rate": None}}
    far = await answer(api, FIGURES, month="2026-10", region="330302")
    assert far["region"] == {"code": "330302", "name": "鹿城区"} and far["departments"] == []
    assert (await answer(api, FIGURES))["month"] == "2026-10"  # the last complete month
    assert_nobody_named(await everything_public(api, "2026-10"), "李晓燕", "周海燕", "S-01")


async def test_the_policy_s_min_sample_decides_what_is_withheld(api: Api) -> None:
    smaller = TEMPLATE.replace("  min_sample: 5\n", "  min_sample: 3\n")
    await api.ingest(*[served(f"P{n}", LATE_OCTOBER, applicant=CHEN, **RSB) for n in range(1, 4)])
    api.clock.now = datetime.fromisoformat("2026-11-03T09:00:00+08:00")
    await submit(api, CHEN, "P1", 5, "社保窗口办理很快")
    await submit(api, CHEN, "P2", 2, "排队时间太长")
    await refresh_all()
    five = by_code((await answer(api, FIGURES, month="2026-10"))["departments"])
    assert five == {"D-RSB": {"satisfaction": None, "participation": None, "bad_rate": None}}
    async with policy(api, smaller):
        three = by_code((await answer(api, FIGURES, month="2026-10"))["departments"])
    # participation counts the 3 cases; satisfaction and bad_rate the 2 ratings.
    assert three == {"D-RSB": {"satisfaction": None, "participation": (2, 3), "bad_rate": None}}


async def comments(api: Api, month: str = "2026-11") -> list[str]:
    api.clock.advance(minutes=6)  # past what the public answers are kept for
    page = await answer(api, COMMENTS, month=month)
    return [c["comment"] for c in page["comments"]]


async def held(api: Api) -> dict[str, str]:
    body = await api.gql(HELD, None, ADMIN)
    return {n["caseNo"]: n["id"] for n in body["data"]["heldRatings"]["nodes"]}


async def review(api: Api, rating_id: str, approve: bool) -> None:
    body = await api.gql(REVIEW, {"id": rating_id, "a": approve}, ADMIN)
    assert body["data"]["reviewHeldRating"]["__typename"] == "HeldRatingReviewed", body


async def test_only_comments_that_passed_moderation_are_published(api: Api) -> None:
    raters = [person(n) for n in range(3)]
    await api.ingest(
        *[case_input(f"C-{n}") for n in range(1, 6)],
        *[case_input(f"B-{n}", raters[n]) for n in range(3)],
    )
    said = [
        ("C-1", 5, "办事效率很高，一次办结。有事请打13912345678"),
        ("C-2", 4, "工作人员是骗子吗"),  # a listed word: held
        ("C-3", 3, "全是垃圾"),  # a listed word: held, then rejected
        ("C-4", 4, "第一次评价的文字"),
        ("C-4", 5, "再次评价的文字"),  # the latest wins
        ("C-5", 1, "这条差评经申诉认定为恶意差评"),
    ]
    for case_no, level, text in said:
        await submit(api, WANG, case_no, level, text)
        api.clock.advance(seconds=1)
    item = (await items(api, ADMIN, caseNo="C-5"))[0]
    upheld = await appeal(api, await callback(api, item), await use(api, "rules"))
    done(await act(api, DECIDE, ADMIN, id=upheld["id"], d="UPHELD", f="MALICIOUS", n="核实"))
    device = await new_device(api)
    async with policy(api, with_limits("  hold_device_burst: {raters: 3, within: 10 minutes}\n")):
        for n in range(3):
            await submit(api, raters[n], f"B-{n}", 5, f"评价器上的第{n + 1}条评价", device)
            api.clock.advance(seconds=1)
    first = await comments(api)
    blanked = "办事效率很高，一次办结。有事请打" + "*" * 11
    assert first == ["评价器上的第2条评价", "评价器上的第1条评价", "再次评价的文字", blanked]
    queue = await held(api)
    assert set(queue) == {"C-2", "C-3", "B-2"}  # B-2: the device's third rater in a burst
    await review(api, queue["C-2"], True)
    await review(api, queue["C-3"], False)
    await review(api, queue["B-2"], True)
    assert await comments(api) == ["评价器上的第3条评价", *first[:3], "工作人员是骗子吗", first[3]]
    [shown] = [
        c
        for c in (await answer(api, COMMENTS, month="2026-11"))["comments"]
        if c["comment"] == "再次评价的文字"
    ]
    assert shown == {
        "date": "2026-11-20",
        "department": "区市场监管局",
        "window": "综合受理1号窗口",
        "matter": "营业执照设立登记",
        "level": 5,
        "levelLabel": "非常满意",
        "comment": "再次评价的文字",
    }
    assert await comments(api, "2026-10") == []  # the cases were completed in November
    assert_nobody_named(await everything_public(api, "2026-11"), "李晓燕", "C-1", "B-2")


async def test_comments_page_newest_first_by_a_cursor_of_their_month(api: Api) -> None:
    raters = [person(n) for n in range(25)]
    await api.ingest(*[case_input(f"N-{n:02d}", raters[n]) for n in range(25)])
    for n in range(25):
        await submit(api, raters[n], f"N-{n:02d}", 5, f"第{n:02d}条")
        api.clock.advance(seconds=1)
    first = await answer(api, COMMENTS, month="2026-11")
    assert [c["comment"] for c in first["comments"]] == [f"第{n:02d}条" for n in range(24, 4, -1)]
    second = await answer(api, COMMENTS, month="2026-11", after=first["nextCursor"])
    assert [c["comment"] for c in second["comments"]] == [f"第{n:02d}条" for n in range(4, -1, -1)]
    assert second["nextCursor"] is None
    elsewhere = await get(api, COMMENTS, month="2026-10", after=first["nextCursor"])
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (400, "BAD_CURSOR")


async def test_a_policy_without_comments_or_without_disclosure_publishes_accordingly(
    api: Api,
) -> None:
    await api.ingest(case_input("D-1"))
    await submit(api, WANG, "D-1", 5, "很好")
    await refresh_all()
    await use(api, "binhai")  # disclosure: satisfaction and participation, comments: false
    page = await answer(api, COMMENTS, month="2026-11")
    assert (page["published"], page["comments"], page["nextCursor"]) == (False, [], None)
    body = await answer(api, FIGURES, month="2026-11")
    assert [m["code"] for m in body["metrics"]] == ["satisfaction", "participation"]
    assert body["policy"]["comments"] is False
    text = policy_text("rules")
    start = text.index("\ndisclosure:\n")
    silent = text[:start] + text[text.index("\n\n", start + 1) :]
    async with policy(api, silent):
        figures_now = await answer(api, FIGURES, month="2026-11")
        comments_now = await answer(api, COMMENTS, month="2026-11")
    assert figures_now["published"] is False and "departments" not in figures_now
    assert comments_now["published"] is False and comments_now["comments"] == []


async def test_answers_are_cacheable_with_a_strong_etag_and_no_cookie(api: Api) -> None:
    response = await get(api, FIGURES, month="2026-11")
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["content-type"] == "application/json"
    assert "set-cookie" not in response.headers
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await api.client.get(
            FIGURES, params={"month": "2026-11"}, headers={"if-none-match": sent}
        )
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    signed_in = await api.client.get(
        FIGURES, params={"month": "2026-11"}, headers={"authorization": f"Bearer {ADMIN}"}
    )
    assert signed_in.headers["etag"] == etag  # a token changes nothing
    other = await api.client.get(
        FIGURES, params={"month": "2026-11"}, headers={"if-none-match": '"x"'}
    )
    assert other.status_code == 200 and other.content == response.content
    page = await get(api, "/public/")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    policy_header = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy_header and "unsafe-inline" not in policy_header
    assert "frame-ancestors 'none'" in policy_header
    assert (await get(api, "/public/assets/public.js")).status_code == 200
    assert (await get(api, "/public/assets/..%2Fsettings.py")).status_code == 404
    assert (await api.client.get("/public", follow_redirects=False)).status_code == 308


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        (FIGURES, {"month": "2026-13"}, "BAD_MONTH"),
        (FIGURES, {"month": "2026-1"}, "BAD_MONTH"),
        (FIGURES, {"month": "十月"}, "BAD_MONTH"),
        (FIGURES, {"month": "2025-10"}, "MONTH_NOT_OFFERED"),  # 13 months back
        (FIGURES, {"month": "2026-12"}, "MONTH_NOT_OFFERED"),  # not yet
        (FIGURES, {"month": "2026-11", "region": "33-02"}, "BAD_REGION"),
        (FIGURES, {"month": "2026-11", "region": "999999"}, "UNKNOWN_REGION"),
        (COMMENTS, {"month": "2026-11", "region": "999999"}, "UNKNOWN_REGION"),
        (COMMENTS, {"month": "2026-11", "after": "not-a-cursor"}, "BAD_CURSOR"),
        (COMMENTS, {"month": "2026-11", "after": "aGVsZHwx"}, "BAD_CURSOR"),  # heldRatings'
        (COMMENTS, {"month": "2026-11", "after": "x" * 5000}, "BAD_CURSOR"),
    ],
)
async def test_a_bad_month_region_or_cursor_is_400_with_a_code(
    api: Api, path: str, params: dict[str, str], code: str
) -> None:
    response = await get(api, path, **params)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"} and response.json()["code"] == code
    assert response.headers["cache-control"] == "no-store"


Wrapped = Callable[..., Awaitable[Any]]


@pytest.mark.parametrize(
    ("path", "store", "name"),
    [
        (FIGURES, stat_reads, "sum_counters"),  # twice a computation: departments, windows
        (COMMENTS, public_comments, "published_comments"),
    ],
)
async def test_a_crowd_asking_for_one_month_computes_it_once(
    api: Api, monkeypatch: pytest.MonkeyPatch, path: str, store: Any, name: str
) -> None:
    await api.ingest(case_input("Q-1"))
    await submit(api, WANG, "Q-1", 5, "很满意")
    await refresh_all()
    cache = app_state(api.app).public
    gate, calls = asyncio.Event(), []
    original: Wrapped = getattr(store, name)

    async def held_back(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        await gate.wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, name, held_back)
    crowd = 40
    started, joined = cache.computations, cache.joined
    requests = [asyncio.create_task(get(api, path, month="2026-11")) for _ in range(crowd)]
    async with asyncio.timeout(20):  # every request but the first waits for its computation
        while cache.joined - joined < crowd - 1:
            await asyncio.sleep(0)
    gate.set()
    responses = await asyncio.gather(*requests)
    assert {r.status_code for r in responses} == {200}
    assert len({r.headers["etag"] for r in responses}) == 1
    assert cache.computations - started == 1
    assert len(calls) == (2 if path == FIGURES else 1)
    api.clock.advance(minutes=4)
    await get(api, path, month="2026-11")
    assert cache.computations - started == 1  # still kept
    api.clock.advance(minutes=2)
    await get(api, path, month="2026-11")
    assert cache.computations - started == 2  # five minutes on: computed again
