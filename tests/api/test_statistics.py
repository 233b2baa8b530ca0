"""The policies' figures (rules.yaml `metrics`), once per policy, over one October of one
window: eleven cases, rated by the citizen on the app, three left to the policy's default,
one bad rating worked through the loop to closed, one whose appeal is upheld, one left at
the callback; a case completed at 23:30 on 31 October counts in October, one completed in
November does not. The expected figures are worked out by hand from each policy's text.

    K1 K2 K12  非常满意 (5)          K3 满意 (4)        K4 基本满意 (3)
    K5 非常不满意 (1): called back, fixed, reviewed or rated again 非常满意 (追评), closed
    K6 不满意 (2): the unit appeals, the admin upholds it (恶意差评)
    K7 非常不满意 (1): left at the callback, overdue by the sweep
    K8 K9 K10 not rated: the policy's default 满意 where it has one
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from models.db import connection, execute, fetch
from rules import Engine
from services import stats_refresh
from services.stats_refresh import rebuild, refresh_all
from services.sweep_deadlines import sweep
from tests.api.test_work_item_loop import (
    ADMIN,
    DECIDE,
    FAR_HANDLER,
    HANDLER,
    REVIEW,
    SPOT,
    WINDOW,
    act,
    appeal,
    callback,
    done,
    items,
    rate,
    rectify,
    use,
)
from tests.conftest import Api, citizen, token
from tests.factories import WANG, case_input

STATISTICS = """
query($m: [String!], $s: StatScope, $p: StatPeriod!, $g: Granularity, $by: [Dimension!]) {
  statistics(metrics: $m, scope: $s, period: $p, granularity: $g, groupBy: $by) {
    metrics { code title }
    rows { period periodStart group { dimension code name }
           figures { metric numerator denominator value } }
    asOf lagSeconds
  }
}
"""
RANKING = """
query($m: String!, $by: Dimension!, $p: StatPeriod!, $min: Int) {
  ranking(metric: $m, by: $by, period: $p, minSample: $min) {
    metric { code } entries { rank group { code name } figure { numerator denominator value } }
  }
}
"""
FUNNEL = """query($p: StatPeriod!) {
  statisticsFunnel(period: $p) { stages { key count } others { key count } }
}"""
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
COMPLETED = "2026-10-12T10:00:00+08:00"  # a Monday

# metric -> (numerator, denominator), worked out from the scenario above and the policy.
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    # Template: default 满意 after 7 days counts as a rating; good = 5, 4, 3; the upheld
    # appeal takes K6 out of every figure (not_counted): 10 cases, 7 rated + 3 defaults.
    "rules": {
        "satisfaction": (3 + 1 + 1 + 3, 10),
        "participation": (7, 10),
        "bad_rate": (2, 10),
        "rectification": (1, 2),  # K5 fixed; K6 upheld is no bad rating; K7 not yet
    },
    # 第二十条: 满意率, 参评率, 差评整改率; no default rating; 误评 not counted (第二十三条).
    "haiyang": {
        "satisfaction": (5, 7),
        "participation": (7, 10),
        "rectification": (1, 2),
    },
    # 好评率 = (非常满意 + 满意) / 年度办件总量: K1 K2 K12, K5's 追评 5, K3, 3 defaults 满意
    # over all 11 cases (the upheld appeal revokes K6's rating: the case stays, unrated).
    "min_an": {
        "good_rate": (4 + 1 + 3, 11),
        "participation": (7, 11),
        "closed_in_time": (1, 2),
        "follow_up_good": (1, 1),
    },
    # 基本满意 is 中评 (neutral): good = 5, 4 (K1 K2 K12 K3 + 3 defaults) of 10 ratings.
    "inner_mongolia": {
        "good_rate": (4 + 3, 10),
        "bad_rate": (2, 10),
        # spot_check depends on the draw; checked below
    },
    # 满意率 (5, 4, 3): K5's 追评 5 counts; 申诉率 = appeals decided / filed; 整改率.
    "fenghua": {
        "satisfaction": (6, 7),
        "rectification": (1, 2),
        "appeal": (1, 1),
    },
    # The upheld appeal records K6 as 未评: 11 cases, 7 rated.
    "binhai": {
        "satisfaction": (5, 7),
        "participation": (7, 11),
        "rectification": (1, 2),
    },
}


async def statistics(api: Api, bearer: str = ADMIN, **variables: Any) -> dict[str, Any]:
    body = await api.gql(STATISTICS, {"p": OCTOBER, **variables}, bearer)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["statistics"]
    return result


async def refused(api: Api, query: str, variables: dict[str, Any], bearer: str) -> str:
    body = await api.gql(query, variables, bearer)
    assert body["data"] is None or not any(body["data"].values()), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def figures(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {f["metric"]: (f["numerator"], f["denominator"]) for f in row["figures"]}


def served(case_no: str, completed: str = COMPLETED, **overrides: Any) -> dict[str, Any]:
    """A case accepted half an hour before it was completed."""
    accepted = datetime.fromisoformat(completed) - timedelta(minutes=30)
    return case_input(case_no, acceptedAt=accepted.isoformat(), completedAt=completed, **overrides)


async def october(api: Api, engine: Engine) -> dict[str, Any]:
    """The scenario; returns K5's item as it ended."""
    cases = [served(f"K{n}") for n in range(1, 11)]
    cases.append(served("K11", "2026-11-02T10:00:00+08:00"))
    cases.append(served("K12", "2026-10-31T23:30:00+08:00"))
    await api.ingest(*cases)
    api.clock.now = datetime.fromisoformat("2026-10-12T11:00:00+08:00")
    for case_no, level in (("K1", 5), ("K2", 5), ("K3", 4), ("K4", 3), ("K5", 1), ("K6", 2)):
        await rate(api, engine, case_no, level)
        api.clock.advance(minutes=5)
    await rate(api, engine, "K7", 1)
    by_case = {i["caseNo"]: i for i in await items(api, ADMIN)}
    # K5 through the loop to closed.
    item = await rectify(api, await callback(api, by_case["K5"]))
    if item["step"] == "rectification_review":
        item = done(await act(api, REVIEW, ADMIN, id=item["id"], a=True))
    if item["step"] == "follow_up_rating":
        api.clock.advance(minutes=30)
        await rate(api, engine, "K5", 5)
        [item] = [i for i in await items(api, ADMIN, caseNo="K5")]
    elif item["step"] == "spot_check":
        item = done(await act(api, SPOT, ADMIN, id=item["id"], p=True))
    assert item["status"] == "CLOSED", item
    # K6: appealed, upheld as malicious.
    k6 = await appeal(api, await callback(api, by_case["K6"]), engine)
    done(await act(api, DECIDE, ADMIN, id=k6["id"], d="UPHELD", f="MALICIOUS", n="核实"))
    # K12 rated just after midnight; K11 in November.
    api.clock.now = datetime.fromisoformat("2026-11-01T00:10:00+08:00")
    await rate(api, engine, "K12", 5)
    api.clock.now = datetime.fromisoformat("2026-11-02T11:00:00+08:00")
    await rate(api, engine, "K11", 1)
    api.clock.now = datetime.fromisoformat("2026-11-03T09:00:00+08:00")
    report = await sweep(engine=engine, now=api.clock.now)  # defaults, overdue, recount
    assert report.statistics_cells_recounted > 0
    return item


@pytest.mark.parametrize("name", list(EXPECTED))
async def test_each_policy_gives_the_figures_its_text_defines(api: Api, name: str) -> None:
    engine = await use(api, name)
    k5 = await october(api, engine)
    result = await statistics(api)
    assert [m["code"] for m in result["metrics"]] == [m.code for m in engine.metrics().metrics]
    [row] = result["rows"]
    assert (row["period"], row["periodStart"], row["group"]) == ("2026-10", "2026-10-01", [])
    found = figures(row)
    expected = dict(EXPECTED[name])
    if name == "inner_mongolia":  # ≥ 50 % of fixes drawn for the spot check: was K5's?
        drawn = any(e["action"] == "spot_checked" for e in k5["timeline"])
        expected["spot_check"] = (1 if drawn else 0, 1)
    assert found == expected
    for f in row["figures"]:
        assert f["value"] == pytest.approx(f["numerator"] / f["denominator"])
    assert result["lagSeconds"] == 0


async def test_the_counters_equal_a_recount_from_the_raw_rows(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = await use(api, "min_an")
    await october(api, engine)
    # One more change after the sweep: a rating that only the refresh has not seen yet.
    await api.ingest(served("K13", "2026-11-03T08:00:00+08:00"))
    await rate(api, engine, "K13", 2)
    lagging = await statistics(api, g="DAY", p={"from": "2026-11-03", "to": "2026-11-03"})
    assert lagging["rows"] == [] and lagging["lagSeconds"] >= 0
    # Every case again, recounted by two refreshes at once a cell at a time (the sweep's
    # parallel loops): they share months, which they re-sum one after the other.
    await execute(
        connection(), "UPDATE case_record SET updated_at = updated_at, window_id = window_id"
    )
    await asyncio.gather(refresh_all(limit=1), refresh_all(limit=1))
    kept = await _counters()
    report = await rebuild(progress=lambda *_: None)
    assert report.first is not None and report.first.isoformat() == "2026-10-12"
    assert await _counters() == kept
    assert len(kept) >= 6  # cells of 10-12, 10-31, 11-02, 11-03; October's, November's
    # A day with many marked cells is recounted whole: the same counters.
    monkeypatch.setattr(stats_refresh, "WHOLE_DAY", 1)
    await api.ingest(served("K14", "2026-11-03T08:30:00+08:00"))
    await rate(api, engine, "K14", 5)
    await refresh_all()
    recounted = await _counters()
    await rebuild(progress=lambda *_: None)
    assert await _counters() == recounted != kept
    # A month with many marks (a bulk import, the migration) is recounted whole.
    monkeypatch.setattr(stats_refresh, "BULK_MONTH", 1)
    await api.ingest(served("K15", "2026-11-03T08:40:00+08:00"))
    await rate(api, engine, "K15", 4)
    await execute(connection(), "UPDATE case_record SET window_id = window_id")
    assert await refresh_all() >= 4  # every cell of October and November, two batches
    bulk = await _counters()
    await rebuild(progress=lambda *_: None)
    assert await _counters() == bulk != recounted


async def _counters() -> list[tuple[Any, ...]]:
    rows = [
        {"table": table, **row}
        for table in ("stat_daily", "stat_monthly", "stat_daily_window", "stat_monthly_window")
        for row in await fetch(connection(), f"SELECT * FROM {table}")
    ]
    return sorted(tuple(str(v) for k, v in sorted(r.items()) if k != "id") for r in rows)


async def test_figures_by_day_group_and_channel_and_the_funnel(api: Api) -> None:
    engine = await use(api, "rules")
    await october(api, engine)
    by_day = await statistics(api, g="DAY", m=["participation"])
    assert [(r["period"], figures(r)["participation"]) for r in by_day["rows"]] == [
        ("2026-10-12", (6, 9)),  # K1–K10 but the excluded K6; K12 on the 31st
        ("2026-10-31", (1, 1)),
    ]
    # A span that cuts both months: October's days and November's read from the daily rows.
    cut = await statistics(api, m=["participation"], p={"from": "2026-10-10", "to": "2026-11-05"})
    assert [(r["period"], figures(r)["participation"]) for r in cut["rows"]] == [
        ("2026-10", (7, 10)),
        ("2026-11", (1, 1)),  # K11
    ]
    by_channel = await statistics(api, m=["satisfaction"], by=["CHANNEL"])
    assert {r["group"][0]["code"]: figures(r)["satisfaction"] for r in by_channel["rows"]} == {
        "APP": (5, 7),
        "DEFAULT": (3, 3),
        "": (0, 0),  # K6, out of the figures
    }
    by_staff = await statistics(api, m=["bad_rate"], by=["DEPARTMENT", "STAFF"])
    [row] = by_staff["rows"]
    assert [(g["dimension"], g["code"], g["name"]) for g in row["group"]] == [
        ("DEPARTMENT", "D-SCJG", "区市场监管局"),
        ("STAFF", "S-01", "李晓燕"),
    ]
    body = await api.gql(FUNNEL, {"p": OCTOBER}, ADMIN)
    stages = {s["key"]: s["count"] for s in body["data"]["statisticsFunnel"]["stages"]}
    others = {s["key"]: s["count"] for s in body["data"]["statisticsFunnel"]["others"]}
    assert stages == {"any": 3, "called_back": 2, "rectified": 1, "follow_up_good": 0}
    assert others == {"appealed": 1, "appeal_upheld": 1, "open": 1, "overdue": 1, "closed": 2}


async def test_ranking_orders_by_the_metric_and_leaves_out_small_samples(api: Api) -> None:
    engine = await use(api, "rules")
    other = {"windowCode": "W-02", "windowName": "综合受理2号窗口", "staffCode": "S-02"}
    await api.ingest(
        *[served(f"R{n}", **other) for n in range(1, 4)],
        *[served(f"Q{n}") for n in range(1, 3)],
    )
    api.clock.now = datetime.fromisoformat("2026-10-12T11:00:00+08:00")
    for case_no, level in (("R1", 5), ("R2", 5), ("R3", 1), ("Q1", 5), ("Q2", 4)):
        await rate(api, engine, case_no, level)
        api.clock.advance(minutes=5)
    await refresh_all()
    body = await api.gql(RANKING, {"m": "satisfaction", "by": "WINDOW", "p": OCTOBER}, ADMIN)
    entries = body["data"]["ranking"]["entries"]
    assert [(e["rank"], e["group"]["code"], e["figure"]["numerator"]) for e in entries] == [
        (1, "W-01", 2),
        (2, "W-02", 2),
    ]
    body = await api.gql(RANKING, {"m": "bad_rate", "by": "WINDOW", "p": OCTOBER, "min": 3}, ADMIN)
    assert [e["group"]["code"] for e in body["data"]["ranking"]["entries"]] == ["W-02"]


async def test_each_role_sees_its_own_and_bad_requests_get_a_code(api: Api) -> None:
    engine = await use(api, "rules")
    await october(api, engine)
    rsb = {"departmentCode": "D-RSB", "departmentName": "区人社保局", "staffCode": "S-02"}
    await api.ingest(served("C-1", windowCode="W-05", regionCode="330283100", **rsb))
    await refresh_all()
    assert (await statistics(api, HANDLER))["rows"] != []
    [theirs] = (await statistics(api, FAR_HANDLER))["rows"]  # 区人社保局: its one case
    assert figures(theirs)["participation"] == (0, 1)
    mine = await statistics(api, WINDOW, m=["satisfaction"])
    assert figures(mine["rows"][0])["satisfaction"] == (8, 10)  # S-01 served them all
    other_staff = token("window_staff", department_code="D-RSB", staff_code="S-02")
    [own] = (await statistics(api, other_staff))["rows"]  # C-1 only
    assert figures(own)["participation"] == (0, 1)
    far_admin = token("area_admin", region_code="330302")
    assert (await statistics(api, far_admin))["rows"] == []
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"p": OCTOBER, "s": {"regionCode": "330200"}}, ADMIN, "OUT_OF_SCOPE"),
        ({"p": OCTOBER, "s": {"departmentCode": "D-RSB"}}, HANDLER, "OUT_OF_SCOPE"),
        ({"p": OCTOBER, "s": {"staffCode": "S-02"}}, WINDOW, "OUT_OF_SCOPE"),
        ({"p": OCTOBER, "s": {"windowCode": "W-404"}}, ADMIN, "NOT_FOUND"),
        ({"p": OCTOBER, "m": ["happiness"]}, ADMIN, "UNKNOWN_METRIC"),
        ({"p": {"from": "2026-10-31", "to": "2026-10-01"}}, ADMIN, "BAD_PERIOD"),
        ({"p": {"from": "2020-01-01", "to": "2026-10-01"}}, ADMIN, "BAD_PERIOD"),
        ({"p": {"from": "2025-01-01", "to": "2026-10-01"}, "g": "DAY"}, ADMIN, "BAD_PERIOD"),
        ({"p": OCTOBER, "by": ["STAFF", "STAFF"]}, ADMIN, "BAD_INPUT"),
        ({"p": OCTOBER}, citizen(WANG), "FORBIDDEN"),
        ({"p": OCTOBER}, token("policy_staff"), "FORBIDDEN"),
    ]
    for variables, bearer, code in cases:
        assert await refused(api, STATISTICS, variables, bearer) == code, variables
    assert await refused(api, STATISTICS, {"p": OCTOBER}, "") == "UNAUTHENTICATED"
