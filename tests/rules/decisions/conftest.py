"""Each section's decision, asked through the typed API of an engine compiled from the
current rules.yaml or a one-line edit of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rules import Engine, parse

TEXT = (Path(__file__).resolve().parents[3] / "rules.yaml").read_text(encoding="utf-8")
Edited = Callable[..., Engine]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(parse(TEXT))


@pytest.fixture
def edited() -> Edited:
    def build(*edits: tuple[str, str]) -> Engine:
        text = TEXT
        for old, new in edits:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        return Engine(parse(text))

    return build
