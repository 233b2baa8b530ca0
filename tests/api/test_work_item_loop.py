"""The bad-rating loop (差评处理闭环) driven end to end through the API, once per policy
(rules.yaml and the five regional profiles), over the 2026 National Day holiday (10-01 to
10-07 off; Saturday 10-10 a working day): a citizen's 非常不满意 on Wednesday 09-30 opens a
work item for the department; its handler records the callback; the unit appeals or fixes;
the area admin decides and reviews; the rater rates the fix where the policy asks; the
sweep marks what is overdue. Due times are written out by hand from each policy's text."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.client import connect

from models.db import connection, fetch
from rules import Engine, parse
from services.identity import Principal, Role
from services.sweep_deadlines import sweep
from services.work_item_events import follow
from tests.api.test_ratings import SUBMIT
from tests.conftest import ROOT, Api, citizen, token
from tests.factories import PEOPLE, WANG, case_input
from tests.profiles import PROFILES_DIR, scenarios_text

PUBLISH = (
    "mutation($y: String!, $s: String) { publishRules(yaml: $y, scenarios: $s) "
    "{ __typename ... on RulesRejected { code failedScenarios { name failures } } } }"
)
RATED_AT = "2026-09-30T09:00:00+08:00"  # the Wednesday before the holiday
HANDLER = token("dept_handler", department_code="D-SCJG", staff_code="S-09", sub="handler-9")
OTHER_HANDLER = token("dept_handler", department_code="D-SCJG", staff_code="S-10", sub="h-10")
RATED_STAFF = token("dept_handler", department_code="D-SCJG", staff_code="S-01", sub="s-01")
WINDOW = token("window_staff", department_code="D-SCJG", staff_code="S-01", sub="window-1")
ADMIN = token("area_admin", region_code="330283", sub="admin-1")
FAR_HANDLER = token("dept_handler", department_code="D-RSB", sub="handler-rsb")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Per policy: the callback's due time (hand-computed from the text over the holiday), the
# steps in order, and what an upheld appeal makes of the rating.
POLICIES: dict[str, dict[str, Any]] = {
    "rules": {
        "callback_due": "2026-10-09T23:59:59+08:00",  # 2 working days: 10-08, 10-09
        "upheld": "not_counted",
    },
    "binhai": {"callback_due": "2026-10-08T23:59:59+08:00", "upheld": "recorded_unrated"},
    "fenghua": {"callback_due": "2026-10-08T23:59:59+08:00", "upheld": "not_counted"},
    "haiyang": {"callback_due": None, "upheld": "not_counted"},  # 100 %, no time limit
    "inner_mongolia": {"callback_due": "2026-10-09T23:59:59+08:00", "upheld": "not_counted"},
    "min_an": {"callback_due": "2026-10-09T23:59:59+08:00", "upheld": "revoked"},
}

ITEM_FIELDS = """
  id caseNo status step actor evidenceRequired dueAt overdue escalated closeReason
  level levelLabel tagLabels comment appealUpheld ratedStaff { code }
  timeline { actorRole actor action step outcome note evidenceIds }
"""
ITEMS = f"""
query($f: WorkItemFilter, $first: Int, $after: String) {{
  workItems(filter: $f, first: $first, after: $after) {{
    nodes {{ {ITEM_FIELDS} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
ITEM = f"query($id: ID!) {{ workItem(id: $id) {{ {ITEM_FIELDS} }} }}"
RESULT = f"""
  __typename
  ... on WorkItemUpdated {{ item {{ {ITEM_FIELDS} }} }}
  ... on WorkItemActionRefused {{ code message }}
"""
CALLBACK = f"""mutation($id: ID!, $o: CallbackOutcome!, $n: String) {{
  recordCallback(id: $id, outcome: $o, note: $n) {{ {RESULT} }} }}"""
APPEAL = f"""mutation($id: ID!, $r: String!, $e: [ID!]) {{
  fileAppeal(id: $id, reason: $r, evidence: $e) {{ {RESULT} }} }}"""
DECIDE = f"""mutation($id: ID!, $d: AppealDecision!, $f: AppealFinding, $n: String) {{
  decideAppeal(id: $id, decision: $d, finding: $f, note: $n) {{ {RESULT} }} }}"""
RECTIFY = f"""mutation($id: ID!, $m: String!, $e: [ID!]) {{
  submitRectification(id: $id, measures: $m, evidence: $e) {{ {RESULT} }} }}"""
REVIEW = f"""mutation($id: ID!, $a: Boolean!, $n: String) {{
  reviewRectification(id: $id, accepted: $a, note: $n) {{ {RESULT} }} }}"""
SPOT = f"""mutation($id: ID!, $p: Boolean!, $n: String) {{
  spotCheck(id: $id, passed: $p, note: $n) {{ {RESULT} }} }}"""

PROFILE_NAMES = list(POLICIES)
AWAITED = """query($n: String!) {
  case(caseNo: $n) { followUpAwaited }
  ratingForm(caseNo: $n, channel: APP) { alreadyRated }
}"""


def policy_text(name: str) -> str:
    path = ROOT / "rules.yaml" if name == "rules" else PROFILES_DIR / f"{name}.yaml"
    return path.read_text("utf-8")


async def use(api: Api, name: str) -> Engine:
    variables = {"y": policy_text(name), "s": scenarios_text(name)}
    body = await api.gql(PUBLISH, variables, token("policy_staff"))
    assert body["data"]["publishRules"]["__typename"] == "RulesPublished", body
    return Engine(parse(policy_text(name)))


async def rate_bad(api: Api, engine: Engine, case_no: str = "L-1") -> None:
    """The case, completed the day before, rated 非常不满意 with the policy's first reason."""
    await api.ingest(
        case_input(
            case_no, acceptedAt="2026-09-29T09:00:00+08:00", completedAt="2026-09-29T10:00:00+08:00"
        )
    )
    api.clock.now = datetime.fromisoformat(RATED_AT)
    await rate(api, engine, case_no, 1)


async def rate(api: Api, engine: Engine, case_no: str, level: int) -> dict[str, Any]:
    [meaning] = [lv for lv in engine.form("APP").value.levels if lv.level == level]
    data = {
        "caseNo": case_no,
        "level": level,
        "channel": "APP",
        "tags": [meaning.tags[0].code] if meaning.tags else [],
        "comment": "窗口让我来回跑了三趟，材料要求前后不一致",
    }
    body = await api.gql(SUBMIT, {"input": data}, citizen(WANG))
    result: dict[str, Any] = body["data"]["submitRating"]
    assert result["__typename"] == "RatingAccepted", result
    return result


async def items(api: Api, bearer: str, **f: Any) -> list[dict[str, Any]]:
    body = await api.gql(ITEMS, {"f": f or None}, bearer)
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["workItems"]["nodes"]
    return nodes


async def the_item(api: Api, bearer: str = ADMIN) -> dict[str, Any]:
    [item] = await items(api, bearer)
    return item


async def act(api: Api, query: str, bearer: str, **variables: Any) -> dict[str, Any]:
    body = await api.gql(query, variables, bearer)
    assert "errors" not in body, body
    result: dict[str, Any] = next(iter(body["data"].values()))
    return result


def done(result: dict[str, Any]) -> dict[str, Any]:
    assert result["__typename"] == "WorkItemUpdated", result
    item: dict[str, Any] = result["item"]
    return item


async def evidence(api: Api, bearer: str = HANDLER) -> list[str]:
    response = await api.client.post(
        "/evidence",
        content=PNG,
        headers={"Authorization": f"Bearer {bearer}", "X-File-Name": "ledger.png"},
    )
    assert response.status_code == 201, response.text
    return [response.json()["id"]]


async def callback(api: Api, item: dict[str, Any]) -> dict[str, Any]:
    return done(await act(api, CALLBACK, HANDLER, id=item["id"], o="REACHED", n="已电话回访"))


async def rectify(api: Api, item: dict[str, Any]) -> dict[str, Any]:
    ids = await evidence(api)  # every fix comes with its ledger, asked for or not
    return done(
        await act(api, RECTIFY, HANDLER, id=item["id"], m="已统一材料清单并培训窗口", e=ids)
    )


async def appeal(api: Api, item: dict[str, Any], engine: Engine) -> dict[str, Any]:
    rule = engine.loop().rule("appeal")
    assert rule is not None
    bearer = WINDOW if rule.actor == "window_staff" else HANDLER
    ids = await evidence(api, bearer)
    return done(
        await act(api, APPEAL, bearer, id=item["id"], r="评价与事实不符，有录像为证", e=ids)
    )


async def rating_row(case_no: str) -> dict[str, Any]:
    [row] = await fetch(
        connection(),
        "SELECT r.level, r.appeal_upheld FROM rating r JOIN case_record c "
        "ON c.effective_rating_id = r.id WHERE c.case_no = ?",
        [case_no],
    )
    return row


def actions(item: dict[str, Any]) -> list[str]:
    return [entry["action"] for entry in item["timeline"]]


@pytest.mark.parametrize("name", PROFILE_NAMES)
async def test_a_bad_rating_opens_an_item_due_by_the_policy_over_the_holiday(
    api: Api, name: str
) -> None:
    engine = await use(api, name)
    await rate_bad(api, engine)
    item = await the_item(api, HANDLER)
    assert (item["status"], item["step"], item["actor"]) == ("OPEN", "callback", "dept_handler")
    assert item["dueAt"] == POLICIES[name]["callback_due"]
    assert (item["level"], item["ratedStaff"], item["overdue"]) == (1, {"code": "S-01"}, False)
    assert all(not label.isascii() for label in item["tagLabels"])  # labels, never codes
    assert actions(item) == ["opened"]
    assert await items(api, FAR_HANDLER) == []  # another department's handler sees nothing
    body = await api.gql(ITEM, {"id": item["id"]}, FAR_HANDLER)
    assert body["data"]["workItem"] is None
    # No rater identity anywhere in what staff are shown.
    text = str(await the_item(api, WINDOW))
    assert not any(person[key] in text for person in PEOPLE for key in ("name", "idNumber"))


@pytest.mark.parametrize("name", PROFILE_NAMES)
async def test_the_loop_runs_from_callback_through_a_rejected_appeal_to_closed(
    api: Api, name: str
) -> None:
    engine = await use(api, name)
    loop = engine.loop()
    await rate_bad(api, engine)
    item = await callback(api, await the_item(api, HANDLER))
    assert item["step"] == "appeal"  # every profile lets the unit appeal
    item = await appeal(api, item, engine)
    assert item["step"] == "appeal_review"
    item = done(await act(api, DECIDE, ADMIN, id=item["id"], d="REJECTED", n="录像不能证明"))
    assert item["step"] == "rectification"
    item = await rectify(api, item)
    if loop.rule("rectification_review"):
        assert item["step"] == "rectification_review"
        item = done(await act(api, REVIEW, ADMIN, id=item["id"], a=True))
    if loop.rule("follow_up_rating"):
        assert (item["step"], item["actor"]) == ("follow_up_rating", "rater")
        api.clock.advance(days=1)
        await rate(api, engine, "L-1", 5)  # the rater is satisfied with the fix
        item = await the_item(api)
        assert (item["status"], item["closeReason"]) == ("CLOSED", "FOLLOW_UP_GOOD")
    elif item["status"] == "OPEN":
        assert item["step"] == "spot_check"  # drawn for the admin's spot check
        item = done(await act(api, SPOT, ADMIN, id=item["id"], p=True))
    if not loop.rule("follow_up_rating"):
        assert (item["status"], item["closeReason"]) == ("CLOSED", "RESOLVED")
    assert actions(item)[:5] == [
        "opened",
        "callback_recorded",
        "appeal_filed",
        "appeal_decided",
        "rectification_submitted",
    ]
    assert (await rating_row("L-1"))["appeal_upheld"] is None


@pytest.mark.parametrize("name", PROFILE_NAMES)
async def test_an_upheld_appeal_closes_the_item_and_takes_the_rating_out_as_the_policy_says(
    api: Api, name: str
) -> None:
    engine = await use(api, name)
    await rate_bad(api, engine)
    item = await appeal(api, await callback(api, await the_item(api, HANDLER)), engine)
    refused = await act(api, DECIDE, HANDLER, id=item["id"], d="UPHELD", f="MALICIOUS")
    assert refused["code"] == "NOT_YOURS"  # the admin decides, not the unit
    item = done(await act(api, DECIDE, ADMIN, id=item["id"], d="UPHELD", f="MALICIOUS", n="核实"))
    assert (item["status"], item["closeReason"]) == ("CLOSED", "APPEAL_UPHELD")
    assert item["appealUpheld"] == POLICIES[name]["upheld"]
    assert item["timeline"][-1]["outcome"] == "MALICIOUS"
    assert (await rating_row("L-1"))["appeal_upheld"] == POLICIES[name]["upheld"]


@pytest.mark.parametrize("name", ["fenghua", "min_an"])
async def test_a_bad_follow_up_goes_to_the_admins_review_or_closes_as_the_policy_says(
    api: Api, name: str
) -> None:
    engine = await use(api, name)
    await rate_bad(api, engine)
    item = await rectify(api, await callback(api, await the_item(api, HANDLER)))
    assert item["step"] == "follow_up_rating"  # a fix without appealing passes the appeal
    api.clock.advance(days=1)
    # "My cases" tells the rater a follow-up is awaited, and the form takes it.
    body = await api.gql(AWAITED, {"n": "L-1"}, citizen(WANG))
    assert body["data"]["case"]["followUpAwaited"] is True, body
    assert body["data"]["ratingForm"]["alreadyRated"] is False
    await rate(api, engine, "L-1", 1)
    item = await the_item(api)
    if name == "fenghua":  # 三（三）: a bad follow-up is reviewed in full by the area admin
        assert (item["status"], item["step"]) == ("OPEN", "follow_up_review")
        returned = done(await act(api, REVIEW, ADMIN, id=item["id"], a=False, n="重新整改"))
        assert returned["step"] == "rectification"
    else:
        assert (item["status"], item["closeReason"]) == ("CLOSED", "FOLLOW_UP_BAD")
    assert actions(item)[-1] == "follow_up_rated"


@pytest.mark.parametrize("name", ["rules", "fenghua", "inner_mongolia", "min_an", "binhai"])
async def test_the_sweep_escalates_a_callback_not_made_in_time_once(api: Api, name: str) -> None:
    engine = await use(api, name)
    await rate_bad(api, engine)
    due = datetime.fromisoformat(POLICIES[name]["callback_due"])
    report = await sweep(engine=engine, now=due)
    assert report.work_items_overdue == 0  # due, not yet past
    again = await sweep(engine=engine, now=due + timedelta(seconds=2))
    assert again.work_items_overdue == 1
    assert (await sweep(engine=engine, now=due + timedelta(days=3))).work_items_overdue == 0
    item = await the_item(api)
    assert (item["step"], item["overdue"], item["escalated"]) == ("callback", True, True)
    assert actions(item) == ["opened", "deadline_passed"]
    [first] = await items(api, ADMIN, overdue=True)
    assert first["id"] == item["id"]
    # A late callback is still recorded; the next step gets its own due time.
    api.clock.now = due + timedelta(days=1)
    later = await callback(api, item)
    assert (later["step"], later["overdue"]) == ("appeal", False)


async def test_an_appeal_not_filed_in_time_is_deemed_confirmed_in_fenghua(api: Api) -> None:
    engine = await use(api, "fenghua")
    await rate_bad(api, engine)
    item = await callback(api, await the_item(api, HANDLER))
    assert item["dueAt"] == "2026-10-13T23:59:59+08:00"  # 5 working days from 09-30
    api.clock.now = datetime.fromisoformat("2026-10-14T09:00:00+08:00")
    refused = await act(api, APPEAL, HANDLER, id=item["id"], r="评价与事实不符", e=[])
    assert refused["code"] == "DEADLINE_PASSED"
    report = await sweep(engine=engine, now=api.clock.now)
    assert report.work_items_moved_on == 1
    item = await the_item(api)
    assert item["step"] == "rectification"
    assert item["dueAt"] == "2026-11-04T23:59:59+08:00"  # 15 working days from 10-14
    assert item["timeline"][-1]["outcome"] == "DEEM_CONFIRMED"


async def test_two_handlers_acting_at_once_one_wins_and_the_timeline_has_one_entry(
    api: Api,
) -> None:
    engine = await use(api, "rules")
    await rate_bad(api, engine)
    item = await the_item(api, HANDLER)
    results = await asyncio.gather(
        act(api, CALLBACK, HANDLER, id=item["id"], o="REACHED"),
        act(api, CALLBACK, OTHER_HANDLER, id=item["id"], o="DECLINED"),
    )
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["WorkItemActionRefused", "WorkItemUpdated"]
    assert next(r for r in results if "code" in r)["code"] == "WRONG_STEP"
    assert actions(await the_item(api)) == ["opened", "callback_recorded"]


async def test_the_rated_staff_member_never_records_the_callback_in_inner_mongolia(
    api: Api,
) -> None:
    engine = await use(api, "inner_mongolia")
    await rate_bad(api, engine)
    item = await the_item(api, RATED_STAFF)
    refused = await act(api, CALLBACK, RATED_STAFF, id=item["id"], o="REACHED")
    assert refused["code"] == "NOT_YOURS"
    assert (await callback(api, item))["step"] == "appeal"


async def test_evidence_is_required_checked_and_served_only_to_those_who_see_the_item(
    api: Api,
) -> None:
    engine = await use(api, "rules")  # appeal and rectification with evidence
    await rate_bad(api, engine)
    item = await callback(api, await the_item(api, HANDLER))
    refused = await act(api, APPEAL, HANDLER, id=item["id"], r="评价与事实不符", e=[])
    assert refused["code"] == "EVIDENCE_REQUIRED"
    others = await evidence(api, OTHER_HANDLER)
    refused = await act(api, APPEAL, HANDLER, id=item["id"], r="评价与事实不符", e=others)
    assert refused["code"] == "EVIDENCE_NOT_FOUND"  # not theirs to cite
    fake = await api.client.post(
        "/evidence",
        content=b"MZ\x90\x00 not an image",
        headers={"Authorization": f"Bearer {HANDLER}", "X-File-Name": "a.png"},
    )
    assert (fake.status_code, fake.json()["code"]) == (400, "UNSUPPORTED_TYPE")
    ids = await evidence(api)
    filed = done(await act(api, APPEAL, HANDLER, id=item["id"], r="评价与事实不符", e=ids))
    assert filed["timeline"][-1]["evidenceIds"] == ids
    mine = await api.client.get(f"/evidence/{ids[0]}", headers={"Authorization": f"Bearer {ADMIN}"})
    assert (mine.status_code, mine.content) == (200, PNG)
    assert mine.headers["content-type"] == "image/png"
    far = await api.client.get(
        f"/evidence/{ids[0]}", headers={"Authorization": f"Bearer {FAR_HANDLER}"}
    )
    assert far.status_code == 404
    anonymous = await api.client.get(f"/evidence/{ids[0]}")
    assert anonymous.status_code == 401


async def test_steps_out_of_turn_are_refused_with_nothing_written(api: Api) -> None:
    engine = await use(api, "rules")
    await rate_bad(api, engine)
    item = await the_item(api, HANDLER)
    for query, bearer, variables in (
        (DECIDE, ADMIN, {"d": "REJECTED"}),
        (REVIEW, ADMIN, {"a": True}),
        (SPOT, ADMIN, {"p": True}),
    ):
        refused = await act(api, query, bearer, id=item["id"], **variables)
        assert refused["code"] == "WRONG_STEP", (query, refused)
    refused = await act(api, CALLBACK, ADMIN, id=item["id"], o="REACHED")
    assert refused["code"] == "NOT_YOURS"
    missing = await act(api, CALLBACK, HANDLER, id="999999", o="REACHED")
    assert missing["code"] == "NOT_FOUND"
    assert actions(await the_item(api)) == ["opened"]


async def test_a_rating_that_stops_being_bad_closes_its_item(api: Api) -> None:
    engine = await use(api, "rules")
    await rate_bad(api, engine)
    api.clock.advance(minutes=5)
    await rate(api, engine, "L-1", 5)
    item = await the_item(api)
    assert (item["status"], item["closeReason"]) == ("CLOSED", "RATING_CHANGED")
    assert await items(api, ADMIN, status="OPEN") == []


async def test_the_department_hears_of_a_new_item_and_of_its_escalation(
    api: Api, live_url: str
) -> None:
    engine = await use(api, "rules")
    query = "subscription { workItemEvents { caseNo departmentCode action step outcome } }"
    async with connect(f"ws://{live_url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {HANDLER}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await asyncio.sleep(0.2)  # readiness, not timing: the subscribe is not acknowledged
        await rate_bad(api, engine)
        opened = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        await sweep(engine=engine, now=datetime.fromisoformat("2026-10-10T09:00:00+08:00"))
        escalated = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    assert opened["payload"]["data"]["workItemEvents"] == {
        "caseNo": "L-1",
        "departmentCode": "D-SCJG",
        "action": "opened",
        "step": "callback",
        "outcome": None,
    }
    assert escalated["payload"]["data"]["workItemEvents"]["outcome"] == "ESCALATE"
    # Another department's staff hear nothing of it.
    far = Principal("h", Role.DEPT_HANDLER, department_code="D-RSB")
    events = follow(far, poll=0.01, after_id=0)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(events), timeout=0.3)
    await events.aclose()


TALLY = """query { staffTally { threshold ruleId rows { staff { code } department { code }
  confirmed flagged } } }"""


async def test_fenghua_flags_staff_with_two_confirmed_bad_ratings_in_a_year(api: Api) -> None:
    engine = await use(api, "fenghua")
    for n in (1, 2, 3):
        await rate_bad(api, engine, f"L-{n}")
    work = {item["caseNo"]: item for item in await items(api, HANDLER)}
    # L-1: the unit fixes without appealing (confirmed); L-2: the appeal is rejected
    # (confirmed); L-3: the appeal is upheld (not confirmed).
    await rectify(api, await callback(api, work["L-1"]))
    for case_no, decision in (("L-2", "REJECTED"), ("L-3", "UPHELD")):
        filed = await appeal(api, await callback(api, work[case_no]), engine)
        done(await act(api, DECIDE, ADMIN, id=filed["id"], d=decision, f="MISTAKEN", n="核实"))
    body = await api.gql(TALLY, None, ADMIN)
    assert body["data"]["staffTally"] == {
        "threshold": 2,
        "ruleId": "flag-staff-with-two-confirmed-bad-ratings-a-year",
        "rows": [
            {
                "staff": {"code": "S-01"},
                "department": {"code": "D-SCJG"},
                "confirmed": 2,
                "flagged": True,
            }
        ],
    }
    # rules.yaml flags nobody; the tally is still there, since the start of the year.
    await use(api, "rules")
    body = await api.gql(TALLY, None, HANDLER)
    assert body["data"]["staffTally"]["threshold"] is None
    assert [r["flagged"] for r in body["data"]["staffTally"]["rows"]] == [False]


async def test_the_worklist_pages_soonest_due_first_and_items_with_no_deadline_last(
    api: Api,
) -> None:
    engine = await use(api, "rules")
    await rate_bad(api, engine, "L-1")  # due 10-09
    engine = await use(api, "haiyang")  # the callback has no time limit
    await rate_bad(api, engine, "L-2")
    await rate_bad(api, engine, "L-3")
    seen, after = [], None
    while True:
        body = await api.gql(ITEMS, {"f": {"status": "OPEN"}, "first": 1, "after": after}, ADMIN)
        page = body["data"]["workItems"]
        seen += [(n["caseNo"], n["dueAt"]) for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [("L-1", "2026-10-09T23:59:59+08:00"), ("L-2", None), ("L-3", None)]


async def test_haiyang_passes_a_lapsed_appeal_then_escalates_a_fix_not_made_in_time(
    api: Api,
) -> None:
    """第十八条: the callback has no time limit; the appeal (3 working days) lapses quietly;
    the rectification (10 working days) is escalated to the office when late."""
    engine = await use(api, "haiyang")
    await rate_bad(api, engine)
    item = await callback(api, await the_item(api, HANDLER))
    assert (item["step"], item["dueAt"]) == ("appeal", "2026-10-10T23:59:59+08:00")
    lapsed = await sweep(engine=engine, now=datetime.fromisoformat("2026-10-11T09:00:00+08:00"))
    assert (lapsed.work_items_moved_on, lapsed.work_items_overdue) == (1, 0)
    item = await the_item(api)
    # 10 working days from Sunday 10-11: 10-12 .. 10-23.
    assert (item["step"], item["dueAt"]) == ("rectification", "2026-10-23T23:59:59+08:00")
    late = await sweep(engine=engine, now=datetime.fromisoformat("2026-10-24T09:00:00+08:00"))
    assert late.work_items_overdue == 1
    item = await the_item(api)
    assert (item["step"], item["overdue"], item["escalated"]) == ("rectification", True, True)
    assert [e["outcome"] for e in item["timeline"] if e["action"] == "deadline_passed"] == [
        "NOTHING",
        "ESCALATE",
    ]


async def test_the_worklist_finds_an_item_by_its_case_number(api: Api) -> None:
    engine = await use(api, "rules")
    await rate_bad(api, engine, "L-1")
    await rate_bad(api, engine, "L-2")
    assert [i["caseNo"] for i in await items(api, HANDLER, caseNo=" L-2 ")] == ["L-2"]
    assert await items(api, HANDLER, caseNo="NO-SUCH") == []
