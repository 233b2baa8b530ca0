"""The rules workbench's dry runs (issue 16): check a draft as it is typed, run its
scenarios, try one decision, read the active policy. None of them changes what is served."""

from __future__ import annotations

import json

from server.state import app_state
from tests.conftest import ROOT, Api, token
from tests.profiles import scenarios_text, ten_working_days

TEMPLATE = (ROOT / "rules.yaml").read_text(encoding="utf-8")
STAFF = token("policy_staff")
CHECK = """
query($y: String!) {
  checkRules(yaml: $y) {
    ok version problems { line column message warning }
    changes { section ruleId kind summary details }
  }
}"""
RUN = """
query($y: String!, $s: String) {
  runScenarios(yaml: $y, scenarios: $s) {
    passed failed code problems { line message } results { name passed fired failures }
  }
}"""
TRY = """
query($y: String!, $d: String!, $g: String!) {
  tryRules(yaml: $y, decide: $d, given: $g) {
    __typename ... on RulesTrial { outcome fired version } ... on RulesRejected { code }
  }
}"""
ACTIVE = "{ activeRules { id version yaml scenarios } }"


async def test_check_shows_what_a_draft_changes_and_every_problem_by_line(api: Api) -> None:
    longer, _ = ten_working_days("draft")
    body = (await api.gql(CHECK, {"y": longer}, STAFF))["data"]["checkRules"]
    assert body["ok"] and body["version"].startswith("draft@")
    late = [c for c in body["changes"] if c["ruleId"] == "late-rating-within-5-working-days"]
    assert late[0]["details"] == [
        "rating.late_rating.within：由 5 working days 改为 10 working days"
    ]
    lines = TEMPLATE.splitlines()
    level_line = lines.index("    level: 4") + 1
    broken = TEMPLATE.replace("    level: 4\n", "    level: 9\n", 1)
    found = (await api.gql(CHECK, {"y": broken}, STAFF))["data"]["checkRules"]
    assert not found["ok"] and found["changes"] == []
    assert [p["line"] for p in found["problems"]] == [level_line]
    engine = app_state(api.app).collaborators.engine
    assert engine.policy.version == "template-2026.1"  # nothing was published


async def test_run_scenarios_reports_each_scenario(api: Api) -> None:
    ran = (await api.gql(RUN, {"y": TEMPLATE}, STAFF))["data"]["runScenarios"]
    assert ran["failed"] == 0 and ran["passed"] == len(ran["results"]) > 10
    longer, scenarios = ten_working_days("draft")
    failing = (await api.gql(RUN, {"y": longer}, STAFF))["data"]["runScenarios"]
    assert failing["failed"] == 3
    bad = [r for r in failing["results"] if not r["passed"]]
    assert any("应为" in f for r in bad for f in r["failures"])
    fixed = (await api.gql(RUN, {"y": longer, "s": scenarios}, STAFF))["data"]["runScenarios"]
    assert fixed["failed"] == 0
    none = (await api.gql(RUN, {"y": TEMPLATE, "s": ""}, STAFF))["data"]["runScenarios"]
    assert none["code"] == "NO_SCENARIOS" and none["results"] == []
    invalid = (await api.gql(RUN, {"y": "levels: [", "s": None}, STAFF))["data"]["runScenarios"]
    assert invalid["code"] == "INVALID_RULES" and invalid["problems"]


async def test_try_rules_decides_a_sample_case_and_names_the_rules_that_fired(api: Api) -> None:
    given = {
        "level": 1,
        "channel": "APP",
        "tags": [],
        "comment": "",
        "completed_at": "2026-11-16T10:00:00+08:00",
        "rated_at": "2026-11-16T11:00:00+08:00",
    }
    body = await api.gql(TRY, {"y": TEMPLATE, "d": "rating", "g": json.dumps(given)}, STAFF)
    trial = body["data"]["tryRules"]
    assert trial["__typename"] == "RulesTrial"
    assert json.loads(trial["outcome"])["code"] == "REASON_REQUIRED"
    assert "level-very-dissatisfied" in trial["fired"]
    for kind, facts in (("rating", "not json"), ("rating", "[1]"), ("nonsense", "{}")):
        wrong = await api.gql(TRY, {"y": TEMPLATE, "d": kind, "g": facts}, STAFF)
        assert wrong["data"]["tryRules"]["code"] == "BAD_FACTS"
    naive = json.dumps({"completed_at": "2026-11-16T10:00:00"})
    unzoned = await api.gql(TRY, {"y": TEMPLATE, "d": "case_deadlines", "g": naive}, STAFF)
    assert unzoned["data"]["tryRules"]["code"] == "BAD_FACTS"


async def test_the_active_policy_comes_with_its_scenarios(api: Api) -> None:
    body = (await api.gql(ACTIVE, {}, STAFF))["data"]["activeRules"]
    assert body["yaml"] == TEMPLATE
    assert body["scenarios"] == scenarios_text("rules")
    assert body["version"].startswith("template-2026.1@")
