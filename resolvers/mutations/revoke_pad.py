"""`revokePad(id)`: hall staff revoke a pad's credential; it stops working at once (its
open windowEvents subscription ends too)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.queries.pads import PadDevice, pad_device
from schema.core.context import Context
from schema.core.errors import ForbiddenError
from schema.core.events import pad_revoked, window_topic
from services.identity import Role
from services.pads import PairingRefusedError, revoke_pad
from services.paging import parse_id


async def resolve(info: Info[Context, None], id: strawberry.ID) -> PadDevice | None:
    """The pad as revoked; null when there is no such pad."""
    staff = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    pad_id = parse_id(str(id).strip())
    if pad_id is None:
        return None
    try:
        device = await revoke_pad(pad_id=pad_id, staff=staff, now=info.context.now())
    except PairingRefusedError as exc:
        raise ForbiddenError(str(exc)) from None
    if device is None:
        return None
    await info.context.collaborators.broker.publish_many(
        [(window_topic(device.window_code), pad_revoked(device.id))]
    )
    return pad_device(device)
