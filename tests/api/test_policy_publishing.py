"""The publishing gate, versions and rollback (issue 16): a policy serves only when it is
valid and every scenario of its scenarios file passes, whether it arrives through
publishRules, as a rollback, or by the watched file; every version is kept with who, when
and why; a rollback brings the earlier behaviour back."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from rules import Engine
from server.rules_runtime import RulesFileWatch
from server.state import app_state
from tests.conftest import ROOT, Api, token
from tests.factories import WANG, case_input
from tests.profiles import scenarios_text, ten_working_days

TEMPLATE = (ROOT / "rules.yaml").read_text(encoding="utf-8")
SCENARIOS = scenarios_text("rules")
STAFF = token("policy_staff", name="钱立")
PUBLISH = """
mutation($y: String!, $s: String, $n: String) {
  publishRules(yaml: $y, scenarios: $s, note: $n) {
    __typename
    ... on RulesPublished { id version changed }
    ... on RulesRejected { code problems { line message } failedScenarios { name failures } }
  }
}"""
ACTIVATE = """
mutation($id: ID!, $n: String) {
  activateRulesVersion(id: $id, note: $n) {
    __typename
    ... on RulesPublished { id version changed }
    ... on RulesRejected { code failedScenarios { name } }
  }
}"""
VERSIONS = """{ rulesVersions { id label version effectiveFrom publishedBy note via active } }"""
DIFF = """
query($a: ID!, $b: ID!) {
  rulesDiff(from: $a, to: $b) {
    from { id } to { id } changes { section ruleId kind summary details }
  }
}"""
CASE = "query($n: String!) { case(caseNo: $n) { ratingDeadline } }"
# The template's default level is 满意 (4); the scenario "7个自然日未评价默认满意" says so.
DEFAULT_4 = "    level: 4\n    after: 7 natural days"
DEFAULT_3 = "    level: 3\n    after: 7 natural days"


async def publish(api: Api, text: str, scenarios: str | None = None, note: str = "") -> Any:
    body = await api.gql(PUBLISH, {"y": text, "s": scenarios, "n": note}, STAFF)
    assert "errors" not in body, body
    return body["data"]["publishRules"]


def labelled(label: str, text: str = TEMPLATE) -> str:
    assert "version: template-2026.1" in text
    return text.replace("version: template-2026.1", f"version: {label}")


async def test_publish_refuses_a_policy_whose_scenarios_fail_and_names_them(api: Api) -> None:
    engine = app_state(api.app).collaborators.engine
    before = engine.version
    assert DEFAULT_4 in TEMPLATE
    result = await publish(api, labelled("default-3", TEMPLATE.replace(DEFAULT_4, DEFAULT_3)))
    assert result["__typename"] == "RulesRejected"
    assert result["code"] == "SCENARIOS_FAILED"
    failed = {f["name"]: f["failures"] for f in result["failedScenarios"]}
    assert "7个自然日未评价默认满意，24小时后短信提醒" in failed
    assert any(
        "default_level" in line and "4" in line and "3" in line
        for line in failed["7个自然日未评价默认满意，24小时后短信提醒"]
    )
    assert engine.version == before
    assert api.settings.rules_path.read_text(encoding="utf-8") == TEMPLATE
    assert (await api.gql(VERSIONS, {}, STAFF))["data"]["rulesVersions"] == []


async def test_publish_with_its_own_scenarios_passes_the_gate(api: Api) -> None:
    changed = TEMPLATE.replace(DEFAULT_4, DEFAULT_3)
    scenarios = SCENARIOS.replace(
        "expect: {default_level: 4,", "expect: {default_level: 3,"
    ).replace("default_level: 4, remind_due_before", "default_level: 3, remind_due_before")
    assert scenarios.count("default_level: 3") == 2
    result = await publish(api, labelled("default-3", changed), scenarios, note="默认改为基本满意")
    assert result["__typename"] == "RulesPublished", result
    assert result["version"].startswith("default-3@")
    # The scenarios it passed are kept beside the file: the next edit is gated by them.
    beside = api.settings.rules_path.with_name("rules_test.yaml")
    assert beside.read_text(encoding="utf-8") == scenarios


async def test_a_policy_without_scenarios_is_refused(api: Api) -> None:
    result = await publish(api, labelled("bare"), scenarios="  \n")
    assert result["code"] == "NO_SCENARIOS"
    broken = await publish(api, labelled("bare"), scenarios="scenarios: [oops")
    assert broken["code"] == "INVALID_SCENARIOS" and broken["problems"]


async def test_an_invalid_policy_is_refused_with_its_problems(api: Api) -> None:
    result = await publish(api, TEMPLATE.replace("level: 4\n", "level: 9\n", 1))
    assert result["code"] == "INVALID_RULES"
    assert result["problems"][0]["line"] > 1


async def test_the_watched_file_is_gated_by_the_scenarios_beside_it(
    api: Api, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A worker of its own on a rules file of its own (the app's watcher would log too).
    path = tmp_path / "rules.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    path.with_name("rules_test.yaml").write_text(SCENARIOS, encoding="utf-8")
    engine = Engine.from_path(path)
    watch = RulesFileWatch(engine, path)
    caplog.set_level(logging.WARNING, logger="hcp.rules")
    before = engine.version
    path.write_text(labelled("edited-bad", TEMPLATE.replace(DEFAULT_4, DEFAULT_3)), "utf-8")
    await watch.poll()
    assert engine.version == before
    [refusal] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert "SCENARIOS_FAILED" in refusal and "7个自然日未评价默认满意" in refusal
    path.write_text(labelled("edited-good"), "utf-8")
    await watch.poll()
    assert engine.policy.version == "edited-good"
    versions = (await api.gql(VERSIONS, {}, STAFF))["data"]["rulesVersions"]
    assert [(v["label"], v["via"], v["active"]) for v in versions] == [
        ("edited-good", "FILE", True)
    ]


async def test_versions_keep_who_when_why_and_a_rollback_restores_the_behaviour(
    api: Api,
) -> None:
    first = await publish(api, labelled("v1"), note="起步")
    longer, scenarios = ten_working_days("v2")
    second = await publish(api, longer, scenarios, note="补充评价延长到10个工作日")
    assert second["__typename"] == "RulesPublished", second
    versions = (await api.gql(VERSIONS, {}, STAFF))["data"]["rulesVersions"]
    assert [(v["label"], v["note"], v["via"], v["active"]) for v in versions] == [
        ("v2", "补充评价延长到10个工作日", "API", True),
        ("v1", "起步", "API", False),
    ]
    assert {v["publishedBy"] for v in versions} == {"钱立"}
    diff = (await api.gql(DIFF, {"a": first["id"], "b": second["id"]}, STAFF))["data"]
    changes = diff["rulesDiff"]["changes"]
    rule = [c for c in changes if c["ruleId"] == "late-rating-within-5-working-days"]
    assert rule and rule[0]["kind"] == "CHANGED"
    assert rule[0]["details"] == [
        "rating.late_rating.within：由 5 working days 改为 10 working days"
    ]
    # Under v2 a case of 30 September may be rated until 20 October ...
    await api.ingest(
        case_input(
            "R-1",
            acceptedAt="2026-09-30T09:00:00+08:00",
            completedAt="2026-09-30T15:00:00+08:00",
        )
    )
    citizen = token("citizen", id_number=WANG["idNumber"], name=WANG["name"])
    deadline = await api.gql(CASE, {"n": "R-1"}, citizen)
    assert deadline["data"]["case"]["ratingDeadline"] == "2026-10-20T23:59:59+08:00"
    # ... and after the rollback to v1, on the next request, until 13 October again.
    back = (await api.gql(ACTIVATE, {"id": first["id"], "n": "撤回"}, STAFF))["data"]
    assert back["activateRulesVersion"]["__typename"] == "RulesPublished"
    again = await api.gql(CASE, {"n": "R-1"}, citizen)
    assert again["data"]["case"]["ratingDeadline"] == "2026-10-13T23:59:59+08:00"
    versions = (await api.gql(VERSIONS, {}, STAFF))["data"]["rulesVersions"]
    assert [(v["label"], v["active"]) for v in versions] == [("v1", True), ("v2", False)]
    assert api.settings.rules_path.read_text(encoding="utf-8") == labelled("v1")


async def test_an_unknown_version_is_not_found(api: Api) -> None:
    missing = await api.gql(ACTIVATE, {"id": "999999"}, STAFF)
    assert missing["data"]["activateRulesVersion"]["code"] == "NOT_FOUND"
    nowhere = await api.gql(DIFF, {"a": "999999", "b": "1"}, STAFF)
    assert nowhere["errors"][0]["extensions"]["code"] == "NOT_FOUND"
