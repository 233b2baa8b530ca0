"""Policy staff change the running policy: by editing the file, or through publishRules."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import ROOT, Api, token

VERSION = "{ rulesVersion { version label digest title } }"
PUBLISH = """
mutation($yaml: String!) {
  publishRules(yaml: $yaml) {
    __typename
    ... on RulesPublished { version changed }
    ... on RulesRejected { code problems { line column message } }
  }
}
"""
TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")


async def version(api: Api) -> dict[str, Any]:
    body = await api.gql(VERSION)
    found: dict[str, Any] = body["data"]["rulesVersion"]
    return found


async def publish(api: Api, text: str, bearer: str | None = None) -> dict[str, Any]:
    return await api.gql(PUBLISH, {"yaml": text}, bearer or token("policy_staff"))


async def restore(api: Api) -> None:
    await publish(api, TEXT)


async def test_the_active_version_is_visible(api: Api) -> None:
    active = await version(api)
    assert active["label"] == "template-2026.1"
    assert active["version"] == f"template-2026.1@{active['digest']}"


async def test_policy_staff_publish_a_new_policy(api: Api) -> None:
    before = await version(api)
    new_text = TEXT.replace("version: template-2026.1", "version: district-2026.2")
    try:
        body = await publish(api, new_text)
        result = body["data"]["publishRules"]
        assert result["__typename"] == "RulesPublished" and result["changed"] is True
        assert result["version"].startswith("district-2026.2@")
        assert (await version(api))["version"] == result["version"] != before["version"]
        assert api.settings.rules_path.read_text(encoding="utf-8") == new_text
        again = (await publish(api, new_text))["data"]["publishRules"]
        assert again["changed"] is False
    finally:
        await restore(api)


async def test_an_invalid_policy_is_refused_with_located_problems(api: Api) -> None:
    before = await version(api)
    broken = TEXT.replace("  default_rating:\n", "  defualt_rating:\n")
    result = (await publish(api, broken))["data"]["publishRules"]
    assert result["__typename"] == "RulesRejected" and result["code"] == "INVALID_RULES"
    problem = result["problems"][0]
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "defualt_rating" in text)
    assert problem["line"] == line
    assert "是不是想写“default_rating”" in problem["message"]
    assert await version(api) == before
    assert api.settings.rules_path.read_text(encoding="utf-8") == TEXT


async def test_a_policy_with_a_control_character_is_refused_where_it_is(api: Api) -> None:
    before = await version(api)
    broken = TEXT.replace("version: template-2026.1", "version: template-2026.1\x01")
    result = (await publish(api, broken))["data"]["publishRules"]
    assert result["__typename"] == "RulesRejected" and result["code"] == "INVALID_RULES"
    problem = result["problems"][0]
    line = next(i for i, text in enumerate(broken.split("\n"), 1) if "\x01" in text)
    assert (problem["line"], "U+0001" in problem["message"]) == (line, True), problem
    assert await version(api) == before


async def test_only_policy_staff_may_publish(api: Api) -> None:
    for role, claims in [
        ("citizen", {"id_number": "11010519491231002X"}),
        ("area_admin", {"region_code": "330283"}),
        ("system", {}),
    ]:
        body = await publish(api, TEXT, token(role, **claims))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    body = await api.gql(PUBLISH, {"yaml": TEXT})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_editing_the_file_switches_the_running_service(api: Api) -> None:
    before = await version(api)
    path = api.settings.rules_path
    try:
        path.write_text(
            TEXT.replace("version: template-2026.1", "version: edited-by-hand"), encoding="utf-8"
        )
        for _ in range(100):
            if (await version(api))["label"] == "edited-by-hand":
                break
            await asyncio.sleep(0.05)
        assert (await version(api))["label"] == "edited-by-hand"
        path.write_text("levels: [oops", encoding="utf-8")
        await asyncio.sleep(0.3)
        assert (await version(api))["label"] == "edited-by-hand"
    finally:
        path.write_text(TEXT, encoding="utf-8")
        for _ in range(100):
            if (await version(api))["version"] == before["version"]:
                break
            await asyncio.sleep(0.05)
