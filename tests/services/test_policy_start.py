"""What a worker serves when it starts (services.policy.adopt_at_start): the stored active
version, unless the rules file was edited after it was made active (while the service was
down), in which case the file goes through the publishing gate."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rules import Engine
from services.policy import Publisher, adopt_at_start, publish_rules
from tests.conftest import ROOT, Api
from tests.profiles import ten_working_days

TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
SCENARIOS = (ROOT / "rules_test.yaml").read_text(encoding="utf-8")


def rules_file(tmp_path: Path, text: str, *, age: timedelta) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    path.with_name("rules_test.yaml").write_text(SCENARIOS, encoding="utf-8")
    stamp = (datetime.now(UTC) - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


async def publish_longer(tmp_path: Path) -> str:
    """Another worker publishes a version now (stored, active)."""
    other = tmp_path / "other"
    other.mkdir()
    path = rules_file(other, TEXT, age=timedelta(0))
    longer, scenarios = ten_working_days("longer")
    engine = Engine.from_path(path)
    to = Publisher(engine, path, None, datetime.now(UTC))
    assert (await publish_rules(TEXT, to=to, scenarios=SCENARIOS)).__class__.__name__ == "Published"
    await publish_rules(longer, to=to, scenarios=scenarios)
    return engine.version


async def test_the_first_start_stores_the_file_as_the_first_version(
    api: Api, tmp_path: Path
) -> None:
    path = rules_file(tmp_path, TEXT, age=timedelta(days=1))
    engine = Engine.from_path(path)
    assert await adopt_at_start(engine, path, now=datetime.now(UTC), lang="zh") is None
    later = Engine.from_path(path)
    await adopt_at_start(later, path, now=datetime.now(UTC), lang="zh")
    assert later.version == engine.version


async def test_a_file_older_than_the_stored_version_does_not_undo_it(
    api: Api, tmp_path: Path
) -> None:
    published = await publish_longer(tmp_path)
    # A worker that read the file just before the publisher wrote it.
    path = rules_file(tmp_path, TEXT, age=timedelta(hours=1))
    engine = Engine.from_path(path)
    assert await adopt_at_start(engine, path, now=datetime.now(UTC), lang="zh") is None
    assert engine.version == published


async def test_a_file_edited_while_down_is_gated(api: Api, tmp_path: Path) -> None:
    published = await publish_longer(tmp_path)
    edited = TEXT.replace("version: template-2026.1", "version: edited")
    path = rules_file(tmp_path, edited, age=timedelta(hours=-1))  # edited after the publish
    engine = Engine.from_path(path)
    assert await adopt_at_start(engine, path, now=datetime.now(UTC), lang="zh") is None
    assert engine.policy.version == "edited"
    failing = edited.replace(
        "level: 4\n    after: 7 natural days", "level: 3\n    after: 7 natural days"
    )
    path = rules_file(tmp_path, failing, age=timedelta(hours=-2))
    engine = Engine.from_path(path)
    refusal = await adopt_at_start(engine, path, now=datetime.now(UTC), lang="zh")
    assert refusal is not None and refusal.code == "SCENARIOS_FAILED"
    assert engine.policy.version == "edited" and published != engine.version
