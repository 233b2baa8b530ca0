"""A log capture for the whole test run that looks for the fixtures' personal data.

Every log record of every test (all loggers, DEBUG and up, with exception text) is
formatted and searched for the fictional people's names, ID numbers and phones; a hit fails
the run, naming the logger and which kind of value leaked (never the value). Records of the
probe logger are left out: tests/test_privacy_guard.py logs a value there on purpose to
show the search finds it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tests.factories import PEOPLE

PROBE_LOGGER = "hcp.privacy-probe"


def needles() -> dict[str, str]:
    """value -> what it is (e.g. 'phone of person 1')."""
    found: dict[str, str] = {}
    for index, person in enumerate(PEOPLE, start=1):
        for key in ("name", "idNumber", "phone"):
            found[str(person[key])] = f"{key} of person {index}"
            found[str(person[key]).lower()] = f"{key} of person {index}"
    return found


@dataclass
class PersonalDataCapture(logging.Handler):
    skip: tuple[str, ...] = ()
    hits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self._needles = needles()

    def __hash__(self) -> int:
        return id(self)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(self.skip):
            return
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is searched raw
            text = f"{record.msg!r} {record.args!r}"
        for value, kind in self._needles.items():
            if value in text:
                self.hits.append(f"{record.name} ({record.levelname}): {kind}")
