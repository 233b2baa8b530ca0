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
