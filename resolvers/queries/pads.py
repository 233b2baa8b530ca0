"""`pads(windowCode)`: hall staff list the evaluator pads paired to a window of their
department, to revoke one that is lost or replaced."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import ForbiddenError
from schema.core.text import refuse_nul
from schema.core.types import business_time
from services import pads
from services.identity import Role


@strawberry.type(description="An evaluator pad paired to a window (its device credential)")
class PadDevice:
    id: strawberry.ID
    window_code: str
    label: str
    paired_at: datetime
    paired_by: str = strawberry.field(description="the staff code of who made the pairing")
    last_seen_at: datetime | None = strawberry.field(
        description="when the pad last called the API (to the minute)"
    )
    revoked_at: datetime | None


def pad_device(device: pads.PadDevice) -> PadDevice:
    return PadDevice(
        id=strawberry.ID(str(device.id)),
        window_code=device.window_code,
        label=device.label,
        paired_at=business_time(device.paired_at),
        paired_by=device.paired_by,
        last_seen_at=business_time(device.last_seen_at) if device.last_seen_at else None,
        revoked_at=business_time(device.revoked_at) if device.revoked_at else None,
    )


async def pads_query(info: Info[Context, None], window_code: str) -> list[PadDevice]:
    """评价器: the window's pads, newest first, revoked ones included until they expire."""
    staff = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    refuse_nul(window_code)
    try:
        found = await pads.pads_of(
            window_code=window_code.strip(), staff=staff, now=info.context.now()
        )
    except pads.PairingRefusedError as exc:
        raise ForbiddenError(str(exc)) from None
    return [pad_device(device) for device in found]
