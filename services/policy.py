"""Publishing a policy: through the gate (services.policy_gate), stored as a version with
who, when, why and how (models.policy_versions), written to the rules file, switched to,
and told to the other workers. Rolling back is publishing a stored version again. Every
process builds its engine's history (rules.eras) from the stored activations."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from models.db import connection
from models.stores import policy_versions as store
from rules import PARSE_SECONDS, Engine, PolicyError, Problem, Source, parse_bounded
from rules.engine import HISTORY_LIMIT
from rules.eras import effective_start
from rules.loader import MAX_POLICY_BYTES, digest_of
from rules.scenarios import read_scenarios_file, scenarios_path
from services.policy_gate import RulesRefusal, gate

Announce = Callable[[str], Awaitable[object]]


@dataclass(frozen=True)
class Published:
    version: str
    changed: bool
    id: int | None = None  # the stored version (None: not stored, see adopt)


@dataclass(frozen=True)
class Publisher:
    """Who publishes, into what: the engine, its rules file, the other workers."""

    engine: Engine
    path: Path
    announce: Announce | None
    now: datetime
    lang: str = "zh"


async def publish_rules(
    text: str,
    *,
    to: Publisher,
    scenarios: str | None = None,
    by: str = "",
    note: str = "",
    via: str = "API",
) -> Published | RulesRefusal:
    """Gate, store, write, switch, tell. `scenarios` None: the scenarios file beside the
    rules file (those of the active policy)."""
    if scenarios is None:
        scenarios = _beside(to.path)
    admitted = await gate(
        text, scenarios, name=to.path.name, lang=to.lang, history=to.engine.timeline
    )
    if isinstance(admitted, RulesRefusal):
        return admitted
    assert scenarios is not None  # the gate refuses a policy without scenarios
    version_id, _recorded = await _record(admitted, scenarios, to.now, by, note, via)
    # Switched first, written after: the file watcher, finding what the engine serves,
    # has nothing to do (it would otherwise gate the file again meanwhile).
    changed = await switch_to_stored(to.engine, admitted)
    _write_atomically(scenarios_path(to.path), scenarios)
    _write_atomically(to.path, text)
    if to.announce is not None and changed:
        await to.announce(text)
    return Published(version=to.engine.version, changed=changed, id=version_id)


async def activate_version(
    version_id: int, *, to: Publisher, by: str, note: str
) -> Published | RulesRefusal | None:
    """Roll back (or forward) to a stored version, through the same gate; None: no such
    version."""
    stored = await store.find(connection(), version_id)
    if stored is None:
        return None
    return await publish_rules(
        stored.content, to=to, scenarios=stored.scenarios, by=by, note=note, via="ROLLBACK"
    )


async def adopt_file(
    engine: Engine,
    path: Path,
    *,
    now: datetime,
    lang: str,
    seconds: float = PARSE_SECONDS,
    unchanged: Callable[[], bool] = lambda: True,
) -> bool | RulesRefusal:
    """The watched rules file changed: gate it with the scenarios beside it, store it and
    switch to it. False when nothing changed, or when the file was rewritten while it was
    read (`unchanged()` is false: a publish wrote it, and what was read may be older than
    what now serves; the watcher reads the new file); the refusal when it may not serve."""
    try:
        text = await asyncio.to_thread(_read_bounded, path)
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(
            str(path),
            1,
            1,
            f"读不到规则文件（{type(exc).__name__}）",
            message_en=f"cannot read the file ({type(exc).__name__})",
        )
        return RulesRefusal("INVALID_RULES", [problem])
    if digest_of(text) == engine.source.digest:
        return False  # written by a publish of this process, or touched
    scenarios = _beside(path)
    admitted = await gate(
        text, scenarios, name=str(path), lang=lang, history=engine.timeline, seconds=seconds
    )
    if isinstance(admitted, RulesRefusal):
        return admitted
    assert scenarios is not None
    if not unchanged():
        return False
    try:
        await _record(admitted, scenarios, now, "file", "", "FILE")
    except OperationalError:
        # A database not migrated yet keeps no versions: the file serves alone, as at
        # start-up (server.rules_runtime.adopt_rules_at_start).
        return engine.replace(admitted)
    return await switch_to_stored(engine, admitted)


def _read_bounded(path: Path) -> str:
    """At most a byte more than a policy may hold (the gate refuses it by its size)."""
    with path.open(encoding="utf-8") as handle:
        return handle.read(MAX_POLICY_BYTES + 1)


async def switch_to_stored(engine: Engine, known: Source | None = None) -> bool:
    """Make the engine serve the stored active version with the history its cases are
    judged by; False when it already does. `known`: a policy the caller has just read (the
    one it stored, or was told of), so that it is not read again."""
    stored = await store.history(connection(), HISTORY_LIMIT)
    if not stored:
        return False
    needed = []
    for version in stored:  # newest first; stop at one that governs every case before it
        needed.append(version)
        if version.effective_from is None:
            break
    read = (*engine.timeline, *([] if known is None else [known]))
    sources = [await _source(read, v.digest, v.content) for v in reversed(needed)]
    if engine.source.digest == sources[-1].digest and _same(engine.timeline, sources):
        return False
    return engine.replace(sources[-1], history=sources[:-1])


async def stored_active_digest() -> str | None:
    """The digest of the stored active version (what every worker should serve)."""
    stored = await store.history(connection(), 1)
    return stored[0].digest if stored else None


async def adopt_at_start(
    engine: Engine, path: Path, *, now: datetime, lang: str
) -> RulesRefusal | None:
    """At start-up, the engine loaded from the rules file: with nothing stored, the file is
    the first version (it served before versions were kept). A file edited after the stored
    active version was made active (while the service was down) goes through the gate, and
    when refused the stored version serves. A file older than that is not news: another
    worker has just published and is about to write it. Then the engine takes the stored
    history."""
    stored = await stored_active_digest()
    scenarios = _beside(path)
    refusal = None
    if stored is None:
        await _record(engine.source, scenarios or "", now, "file", "", "START")
    elif stored != engine.source.digest and await _edited_since_active(path):
        admitted = await gate(
            engine.source.text, scenarios, name=str(path), lang=lang, history=engine.timeline
        )
        if isinstance(admitted, RulesRefusal):
            refusal = admitted
        else:
            await _record(admitted, scenarios or "", now, "file", "", "FILE")
    await switch_to_stored(engine)
    return refusal


async def _edited_since_active(path: Path) -> bool:
    since = await store.active_since(connection())
    try:
        stat = await asyncio.to_thread(path.stat)
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    except OSError:
        return False
    return since is None or modified > since


async def _record(
    source: Source, scenarios: str, now: datetime, by: str, note: str, via: str
) -> tuple[int, bool]:
    new = store.NewActivation(
        digest=source.digest,
        label=source.policy.version or "",
        content=source.text,
        scenarios=scenarios,
        effective_from=effective_start(source.policy),
        at=now,
        by=by,
        note=note,
        via=via,
    )
    async with in_transaction() as conn:
        return await store.record_activation(conn, new)


async def _source(read: tuple[Source, ...], digest: str, content: str) -> Source:
    for known in read:
        if known.digest == digest:
            return known
    return await parse_bounded(content, f"<stored {digest}>")


def _same(timeline: tuple[Source, ...], sources: list[Source]) -> bool:
    return [s.digest for s in timeline] == [s.digest for s in sources]


def _beside(path: Path) -> str | None:
    try:
        return read_scenarios_file(path)
    except PolicyError:
        return None


def _write_atomically(path: Path, text: str) -> None:
    """Readers (the file watcher, a restart) see the old file or the new one, never half."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
