"""A hostile policy reaching a running service (the watched file, publishRules, a
broadcast) is refused with a located problem, the previous policy keeps serving, and the
service keeps answering while the policy is read."""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from pathlib import Path

import pytest

from rules import Engine
from rules import loader as policy_loader
from server.rules_runtime import RulesFileWatch
from server.state import app_state
from services.policy import Published, Publisher, publish_rules
from tests.conftest import ROOT, Api, token
from tests.rules.test_hostile_policy import REASON, laughs
from tests.server.test_rules_broadcast import until, worker

TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
ALIASED = (
    TEXT.replace("version: template-2026.1", "version: aliased", 1)
    .replace(REASON, REASON.replace("description: ", "description: &bad-reason "), 1)
    .replace(REASON, "    description: *bad-reason\n")
)
PUBLISH = """
mutation($yaml: String!) {
  publishRules(yaml: $yaml) {
    __typename
    ... on RulesPublished { version }
    ... on RulesRejected { code problems { line column message } }
  }
}
"""


class SlowReading:
    """Stands in for a policy that takes long to read: parsing waits until released (at
    most 10 s, so that a reader stuck on the event loop ends the test instead of hanging)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        real_parse = policy_loader.parse

        def parse(text: str, name: str = "<rules>") -> policy_loader.Source:
            if self.started.is_set():  # only the first read is slow
                return real_parse(text, name)
            self.started.set()
            try:
                self.release.wait(10)
                return real_parse(text, name)
            finally:
                self.done.set()

        monkeypatch.setattr(policy_loader, "parse", parse)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]


async def test_the_service_answers_while_a_hostile_file_is_read_and_keeps_its_policy(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    engine: Engine = app_state(api.app).collaborators.engine
    before = engine.version
    reading = SlowReading(monkeypatch)
    caplog.set_level(logging.WARNING, logger="hcp.rules")
    try:
        api.settings.rules_path.write_text(laughs(5), encoding="utf-8")
        await until(reading.started.is_set, seconds=10)
        health = await api.client.get("/healthz")
        assert health.status_code == 200
        assert not reading.done.is_set(), "the service did not answer while the file was read"
        reading.release.set()
        await until(lambda: refusals(caplog), seconds=10)
        assert "锚点 &a" in refusals(caplog)[0]
        assert engine.version == before
    finally:
        reading.release.set()
        api.settings.rules_path.write_text(TEXT, encoding="utf-8")


async def test_a_file_that_takes_too_long_to_read_is_refused_and_the_old_policy_stays(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    engine = Engine.from_path(path)
    before = engine.version
    watch = RulesFileWatch(engine, path, seconds=0.1)
    reading = SlowReading(monkeypatch)
    caplog.set_level(logging.WARNING, logger="hcp.rules")
    try:
        path.write_text(TEXT.replace("version: template-2026.1", "version: slow"), "utf-8")
        await watch.poll()
        assert engine.version == before
        (refusal,) = refusals(caplog)
        assert f"{path}:1:1:" in refusal and "超过 0.1 秒" in refusal
    finally:
        reading.release.set()


async def test_a_policy_published_while_the_file_is_read_is_not_undone_by_that_read(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    shutil.copyfile(ROOT / "rules_test.yaml", tmp_path / "rules_test.yaml")
    engine = Engine.from_path(path)
    watch = RulesFileWatch(engine, path)
    reading = SlowReading(monkeypatch)
    try:
        path.write_text(TEXT.replace("version: template-2026.1", "version: edited"), "utf-8")
        polling = asyncio.create_task(watch.poll())
        await until(reading.started.is_set, seconds=10)
        published = TEXT.replace("version: template-2026.1", "version: published")
        to = Publisher(engine, path, None, api.clock.now)
        result = await publish_rules(published, to=to)
        assert isinstance(result, Published)
    finally:
        reading.release.set()
    await polling
    assert engine.policy.version == "published"
    await watch.poll()  # the watcher now reads what the publish wrote
    assert engine.policy.version == "published"


async def test_publish_rules_refuses_anchors_and_aliases_where_they_are(api: Api) -> None:
    before = (await api.gql("{ rulesVersion { version } }"))["data"]["rulesVersion"]
    body = await api.gql(PUBLISH, {"yaml": ALIASED}, token("policy_staff"))
    result = body["data"]["publishRules"]
    assert result["__typename"] == "RulesRejected" and result["code"] == "INVALID_RULES"
    (problem,) = result["problems"]
    line = next(i for i, text in enumerate(ALIASED.splitlines(), 1) if "&bad-reason" in text)
    assert problem["line"] == line and "锚点 &bad-reason" in problem["message"]
    after = (await api.gql("{ rulesVersion { version } }"))["data"]["rulesVersion"]
    assert after == before
    assert api.settings.rules_path.read_text(encoding="utf-8") == TEXT


async def test_publish_rules_refuses_a_billion_laughs_where_it_starts(api: Api) -> None:
    # five levels: enough to show the refusal; unrefused, each further level costs 10x
    body = await api.gql(PUBLISH, {"yaml": laughs(5)}, token("policy_staff"))
    result = body["data"]["publishRules"]
    assert result["__typename"] == "RulesRejected"
    assert [(p["line"], p["column"]) for p in result["problems"]] == [(1, 4)]


async def test_publish_rules_refuses_an_oversized_policy_naming_the_limit(api: Api) -> None:
    oversized = TEXT + "#" * (1024 * 1024) + "\n"
    body = await api.gql(PUBLISH, {"yaml": oversized}, token("policy_staff"))
    result = body["data"]["publishRules"]
    assert result["__typename"] == "RulesRejected", body
    (problem,) = result["problems"]
    assert (problem["line"], problem["column"]) == (1, 1)
    assert "规则文件最大 256 KiB" in problem["message"]
    assert api.settings.rules_path.read_text(encoding="utf-8") == TEXT


@pytest.mark.redis
async def test_a_broadcast_policy_with_aliases_is_refused_by_the_other_workers(
    api: Api, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    caplog.set_level(logging.WARNING, logger="hcp.rules")
    async with worker(path) as first, worker(path) as second:
        await first.announce_publish(ALIASED)
        await first.announce_publish(TEXT.replace("version: template-2026.1", "version: after"))
        await until(lambda: second.engine.policy.version == "after", seconds=10)
    (refusal,) = refusals(caplog)
    assert "broadcast rules refused" in refusal and "锚点 &bad-reason" in refusal
