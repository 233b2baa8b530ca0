"""Every regional policy's scenarios (rules/profiles/), driven through the GraphQL API.

Each profile is published to the running service (publishRules), then every scenario the
API can express is replayed as a rater would meet it: a case is ingested with the
scenario's completion time, the clock is set to the rating time, and the rating is
submitted on the scenario's channel. The verdict must match the scenario's expectation.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml

from models.db import connection, execute
from tests.api.test_ratings import FORM, SUBMIT
from tests.conftest import SMS_SECRET, Api, token
from tests.factories import INGEST, WANG, case_input
from tests.profiles import AT_LEAST, PROFILES_DIR, profile_names, scenarios_text

PROFILES = profile_names()
PUBLISH = (
    "mutation($y: String!, $s: String) { publishRules(yaml: $y, scenarios: $s) { __typename } }"
)
CITIZEN_CHANNELS = {"APP", "WEB", "QR", "KIOSK"}
OPERATOR_CHANNELS = {"HOTLINE", "PAPER"}
_serial = itertools.count(1)
PROFILE_TEXT = {p: (PROFILES_DIR / f"{p}.yaml").read_text("utf-8") for p in PROFILES}


def scenarios(profile: str) -> list[dict[str, Any]]:
    path = PROFILES_DIR / f"{profile}_test.yaml"
    found: list[dict[str, Any]] = yaml.safe_load(path.read_text("utf-8"))["scenarios"]
    return found


def bearer_for(channel: str) -> str | None:
    if channel in CITIZEN_CHANNELS:
        return token("citizen", id_number=WANG["idNumber"], name=WANG["name"])
    if channel in OPERATOR_CHANNELS:
        return token("dept_handler", staff_code="S-OPERATOR", department_code="D-SCJG")
    return None


async def completed_case(api: Api, completed_at: str) -> str:
    case_no = f"P-{next(_serial):05d}"
    done = datetime.fromisoformat(completed_at)
    accepted = (done - timedelta(hours=1)).isoformat()
    api.clock.now = done + timedelta(minutes=1)
    body = await api.gql(
        INGEST,
        {"cases": [case_input(case_no, acceptedAt=accepted, completedAt=completed_at)]},
        token("system"),
    )
    assert body["data"]["ingestCases"]["acceptedCount"] == 1, body
    return case_no


async def replay_rating(api: Api, given: dict[str, Any]) -> dict[str, Any] | None:
    channel = given.get("channel", "APP")
    if given.get("prior") == "default":
        return None
    if channel == "PAD":
        return await replay_pad(api, given)
    if channel == "SMS":
        return await replay_sms(api, given)
    bearer = bearer_for(channel)
    if bearer is None:
        return None
    completed = given.get("completed_at", "2026-11-16T10:00:00+08:00")
    case_no = await completed_case(api, completed)
    if given.get("prior") == "rating":
        first = await api.gql(
            SUBMIT, {"input": {"caseNo": case_no, "level": 5, "channel": channel}}, bearer
        )
        assert first["data"]["submitRating"]["__typename"] == "RatingAccepted", first
    if given.get("rated_at"):
        api.clock.now = datetime.fromisoformat(given["rated_at"])
    data = {
        "caseNo": case_no,
        "level": given["level"],
        "channel": channel,
        "tags": given.get("tags") or [],
        "comment": given.get("comment"),
    }
    body = await api.gql(SUBMIT, {"input": data}, bearer)
    return _verdict(body["data"]["submitRating"])


async def replay_pad(api: Api, given: dict[str, Any]) -> dict[str, Any] | None:
    completed = given.get("completed_at", "2026-11-16T10:00:00+08:00")
    rated = (
        given.get("rated_at")
        or (datetime.fromisoformat(completed) + timedelta(minutes=1)).isoformat()
    )
    if given.get("prior") == "rating":
        return None
    case_no = await completed_case(api, completed)
    staff = token("window_staff", staff_code="S-02", department_code="D-SCJG")
    pairing = await api.gql('mutation { pairPad(windowCode: "W-01") { token } }', token=staff)
    api.clock.now = datetime.fromisoformat(rated)
    data = {
        "caseNo": case_no,
        "level": given["level"],
        "channel": "PAD",
        "tags": given.get("tags") or [],
        "comment": given.get("comment"),
    }
    response = await api.client.post(
        "/graphql",
        json={"query": SUBMIT, "variables": {"input": data}},
        headers={"Authorization": f"Pad {pairing['data']['pairPad']['token']}"},
    )
    return _verdict(response.json()["data"]["submitRating"])


async def replay_sms(api: Api, given: dict[str, Any]) -> dict[str, Any] | None:
    if given.get("tags") or given.get("prior") == "rating":
        return None  # a text reply carries no tags
    case_no = await completed_case(api, given.get("completed_at", "2026-11-16T10:00:00+08:00"))
    await execute(
        connection(),
        "INSERT INTO sms_outbox (case_id, purpose, phone_enc, key_id, body, status, attempts, "
        "next_attempt_at, created_at, sent_at) SELECT c.id, 'rating_reminder', a.phone_enc, "
        "a.key_id, 'x', 'SENT', 1, ?, ?, ? FROM case_record c "
        "JOIN applicant a ON a.id = c.applicant_id WHERE c.case_no = ?",
        [api.clock.now, api.clock.now, api.clock.now, case_no],
    )
    if given.get("rated_at"):
        api.clock.now = datetime.fromisoformat(given["rated_at"])
    text = f"{given['level']} {given.get('comment') or ''}".strip()
    response = await api.client.post(
        "/sms/inbound",
        json={"from": WANG["phone"], "text": text},
        headers={"X-HCP-SMS-Secret": SMS_SECRET},
    )
    body = response.json()
    if body["status"] == "accepted":
        return {"accepted": True, "code": None}
    return {"accepted": False, "code": body["code"]}


def _verdict(result: dict[str, Any]) -> dict[str, Any]:
    if result["__typename"] == "RatingAccepted":
        return {"accepted": True, "code": None, "category": result["rating"]["category"]}
    return {"accepted": False, "code": result["code"]}  # a refusal shows no category


async def replay_level(api: Api, given: dict[str, Any]) -> dict[str, Any] | None:
    case_no = await completed_case(api, "2026-11-16T10:00:00+08:00")
    bearer = token("citizen", id_number=WANG["idNumber"])
    body = await api.gql(FORM, {"n": case_no, "c": given.get("channel", "APP")}, bearer)
    levels = {lv["level"]: lv for lv in body["data"]["ratingForm"]["levels"]}
    level = levels.get(given.get("level"))
    if level is None:
        return {}
    return {
        "level": level["level"],
        "label": level["label"],
        "category": level["category"],
        "reason_required": level["reasonRequired"],
        "tag_codes": [t["code"] for t in level["tags"]],
    }


async def replay_deadline(api: Api, given: dict[str, Any]) -> dict[str, Any] | None:
    case_no = await completed_case(api, given["completed_at"])
    bearer = token("citizen", id_number=WANG["idNumber"])
    body = await api.gql(FORM, {"n": case_no, "c": "APP"}, bearer)
    deadline = body["data"]["ratingForm"]["deadline"]
    return {"rating_deadline": deadline} if deadline else {}


REPLAYS = {"rating": replay_rating, "level": replay_level, "case_deadlines": replay_deadline}


def matches(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in expected.items():
        if key not in actual:
            continue  # a decision detail the API does not show (e.g. default_at)
        got = actual[key]
        if key.endswith(("deadline", "_at")) and isinstance(value, str) and isinstance(got, str):
            equal = datetime.fromisoformat(value) == datetime.fromisoformat(got)
        else:
            equal = value == got
        if not equal:
            problems.append(f"{key}: expected {value!r}, got {got!r}")
    return problems


def test_the_shipped_profiles_are_found() -> None:
    assert len(PROFILES) >= AT_LEAST, PROFILES


@pytest.mark.parametrize("profile", PROFILES)
async def test_profile_scenarios_hold_through_the_api(api: Api, profile: str) -> None:
    staff = token("policy_staff")
    published = await api.gql(
        PUBLISH, {"y": PROFILE_TEXT[profile], "s": scenarios_text(profile)}, staff
    )
    assert published["data"]["publishRules"]["__typename"] == "RulesPublished"
    replayed, failures = 0, []
    for scenario in scenarios(profile):
        replay = REPLAYS.get(scenario["decide"])
        if replay is None:
            continue
        actual = await replay(api, scenario["given"])
        if actual is None:
            continue
        replayed += 1
        failures += [
            f"{scenario['name']}: {p}" for p in matches(scenario.get("expect") or {}, actual)
        ]
    assert not failures, "\n".join(failures)
    assert replayed >= 8, f"only {replayed} scenarios could be replayed"
