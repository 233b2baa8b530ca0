"""schema.graphql is the published contract: it must match the code."""

from __future__ import annotations

from pathlib import Path

from schema.export import sdl


def test_committed_sdl_matches_the_code() -> None:
    committed = (Path(__file__).parents[1] / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "schema.graphql is stale: run `make schema` and commit it"
