"""The run-wide log search (tests/privacy_guard.py) finds personal data when it is there."""

from __future__ import annotations

import logging

from tests.factories import CHEN, WANG
from tests.privacy_guard import PROBE_LOGGER, PersonalDataCapture


def test_the_capture_finds_names_id_numbers_and_phones_and_names_no_value() -> None:
    capture = PersonalDataCapture()
    probe = logging.getLogger(PROBE_LOGGER)
    probe.addHandler(capture)
    try:
        probe.warning("refused rating from %s", WANG["phone"])
        probe.error("lookup failed for %s", CHEN["idNumber"].lower())
        try:
            raise ValueError(f"bad name {WANG['name']}")
        except ValueError:
            probe.exception("unexpected")
        probe.info("case 330283-001 rated 5 on APP")
    finally:
        probe.removeHandler(capture)
    assert capture.hits == [
        f"{PROBE_LOGGER} (WARNING): phone of person 1",
        f"{PROBE_LOGGER} (ERROR): idNumber of person 2",
        f"{PROBE_LOGGER} (ERROR): name of person 1",
    ]
    assert not any(WANG["phone"] in hit or WANG["name"] in hit for hit in capture.hits)
