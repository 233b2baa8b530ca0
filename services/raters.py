"""Who rates, and on which channel: the one place that says so for every way in (GraphQL,
the SMS reply, the pad; docs/access.md).

An applicant rates their own case on the citizen channels, by replying to the reminder SMS,
or by tapping the evaluator pad at the window that served them. Hall and department staff
enter a rating on the applicant's behalf from a paper form, at the self-service kiosk or on
the department's phone; hotline (12345) operators take calls for their region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models.enums import Channel
from services.identity import Principal, Role

# Who gives a rating of their own and who enters one on the applicant's behalf.
OWN_ROLES = frozenset({"citizen", "sms", "pad"})
ON_BEHALF_ROLES = frozenset(
    {Role.WINDOW_STAFF.value, Role.DEPT_HANDLER.value, Role.HOTLINE_OPERATOR.value}
)
CHANNELS = {
    "citizen": frozenset({Channel.APP, Channel.WEB, Channel.QR, Channel.KIOSK}),
    "sms": frozenset({Channel.SMS}),
    "pad": frozenset({Channel.PAD}),
    Role.WINDOW_STAFF.value: frozenset({Channel.HOTLINE, Channel.PAPER, Channel.KIOSK}),
    Role.DEPT_HANDLER.value: frozenset({Channel.HOTLINE, Channel.PAPER, Channel.KIOSK}),
    Role.HOTLINE_OPERATOR.value: frozenset({Channel.HOTLINE}),
}


def normalise_staff_code(code: str | None) -> str | None:
    """Staff codes as business systems and identity providers write them differ in case and
    surrounding space; one form for every comparison."""
    cleaned = (code or "").strip().upper()
    return cleaned or None


@dataclass(frozen=True)
class Rater:
    """Who submits: `key` identifies them for idempotency (a hash, never an ID number).
    Staff entering a rating for the applicant carry the scope of their token."""

    role: str
    key: str
    applicant_hash: str | None = None
    staff_code: str | None = None
    department_code: str | None = None
    region_code: str | None = None
    hall_code: str | None = None
    pad_window_code: str | None = None
    pad_rating_window: timedelta | None = None
    phone_hash: str | None = None

    @property
    def on_behalf(self) -> bool:
        return self.role in ON_BEHALF_ROLES

    def may_rate_on(self, channel: Channel) -> bool:
        return channel in CHANNELS.get(self.role, ())


def principal_rater(principal: Principal, applicant_lookup: str | None) -> Rater | None:
    """The rater a signed-in principal is: a citizen (`applicant_lookup`: the lookup hash of
    their ID number) or staff who enter ratings for applicants; None for anyone else."""
    if principal.role is Role.CITIZEN:
        lookup = applicant_lookup or ""
        return Rater(role="citizen", key=f"citizen:{lookup}", applicant_hash=lookup)
    if principal.role.value in ON_BEHALF_ROLES:
        code = normalise_staff_code(principal.staff_code)
        return Rater(
            role=principal.role.value,
            key=f"staff:{code or principal.subject}",
            staff_code=code,
            department_code=principal.department_code,
            region_code=principal.region_code,
            hall_code=principal.hall_code,
        )
    return None
