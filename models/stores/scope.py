"""Whose data a viewer may read, as the stores take it: the services decide the reach from
the viewer's role, the stores turn it into each table's condition."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reach(StrEnum):
    """Which rows a viewer may see; `Scope.value` says whose."""

    ALL = "all"
    APPLICANT = "applicant"  # value: the applicant's ID-number lookup hash
    DEPARTMENT = "department"  # value: the department's code
    REGION = "region"  # value: the region's code; its sub-regions included
    NONE = "none"


@dataclass(frozen=True)
class Scope:
    reach: Reach
    value: str | None = None


# The ids of a region (its code the one parameter) and of every region below it, for
# `<column> IN SUB_REGIONS`.
SUB_REGIONS = (
    "(WITH RECURSIVE sub(id) AS (SELECT id FROM region WHERE code = ? UNION "
    "SELECT r2.id FROM region r2 JOIN sub ON r2.parent_id = sub.id) SELECT id FROM sub)"
)
