"""A publish or a rollback returns only once every worker listening has switched: the next
request anywhere is served by the policy just made active (issue 16)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rules import Engine
from services.policy import Published, Publisher, activate_version, publish_rules
from tests.conftest import ROOT, Api
from tests.profiles import ten_working_days
from tests.server.test_rules_broadcast import worker

pytestmark = pytest.mark.redis
TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
SCENARIOS = (ROOT / "rules_test.yaml").read_text(encoding="utf-8")
NOW = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
COMPLETED = dt.datetime.fromisoformat("2026-09-30T15:00:00+08:00")


def deadline(engine: Engine) -> dt.datetime | None:
    return engine.rating_window(COMPLETED, None).value.deadline


async def test_a_rollback_is_served_by_every_worker_on_its_next_request(
    api: Api, tmp_path: Path
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    (tmp_path / "rules_test.yaml").write_text(SCENARIOS, encoding="utf-8")
    async with worker(path) as first, worker(path) as second, worker(path) as third:
        to = Publisher(first.engine, path, first.announce_publish, NOW)
        v1 = await publish_rules(TEXT, to=to, scenarios=SCENARIOS, note="起步")
        assert isinstance(v1, Published) and v1.id is not None
        before = deadline(first.engine)
        longer, scenarios = ten_working_days("longer")
        v2 = await publish_rules(longer, to=to, scenarios=scenarios, note="延长")
        assert isinstance(v2, Published) and v2.changed
        # No waiting: the publish returned after every worker acknowledged.
        assert {deadline(w.engine) for w in (first, second, third)} == {
            dt.datetime.fromisoformat("2026-10-20T23:59:59+08:00")
        }
        back = await activate_version(v1.id, to=to, by="钱立", note="撤回")
        assert isinstance(back, Published) and back.changed
        assert {deadline(w.engine) for w in (first, second, third)} == {before}
        assert {w.engine.version for w in (first, second, third)} == {first.engine.version}
