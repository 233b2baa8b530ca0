"""Ratings as the read side sees them: every rating of some cases, oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.db import connection, fetch


async def ratings_of(case_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every rating of the cases, oldest first, in one query."""
    if not case_ids:
        return []
    marks = ", ".join("?" * len(case_ids))
    return await fetch(
        connection(),
        "SELECT id, case_id, level, category, tags, comment, channel, rated_at, effective, "  # noqa: S608
        f"target, rules_version, fired_rules FROM rating WHERE case_id IN ({marks}) "
        "ORDER BY rated_at, id",
        list(case_ids),
    )
