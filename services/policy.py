"""Publishing a new policy from the API: validate, persist, switch, tell the other workers."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rules import Engine, PolicyError, Problem, parse_bounded


@dataclass(frozen=True)
class Published:
    version: str
    changed: bool


@dataclass(frozen=True)
class RulesRefusal:
    problems: list[Problem]


async def publish_rules(
    text: str,
    *,
    engine: Engine,
    path: Path,
    announce: Callable[[str], Awaitable[None]] | None,
) -> Published | RulesRefusal:
    """Validate (off the event loop, size- and time-bound, like every policy read while
    serving: the text is the caller's), persist, switch, tell the other workers."""
    try:
        source = await parse_bounded(text, path.name)
    except PolicyError as exc:
        return RulesRefusal(exc.problems)
    _write_atomically(path, text)
    changed = engine.replace(source)
    if announce is not None and changed:
        await announce(text)
    return Published(version=engine.version, changed=changed)


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
