"""`pairPad(windowCode)`: hall staff pair an evaluator pad to a window of their department."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import ForbiddenError
from schema.core.text import refuse_nul
from schema.core.types import business_time
from services.identity import Role
from services.pads import PairingRefusedError, pair_pad


@strawberry.type(description="Give `token` to the pad once; it sends `Authorization: Pad <token>`")
class PadPairing:
    token: str
    window_code: str
    expires_at: datetime


async def resolve(info: Info[Context, None], window_code: str) -> PadPairing:
    staff = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    refuse_nul(window_code)
    try:
        pairing = await pair_pad(
            window_code=window_code.strip(),
            staff=staff,
            now=info.context.now(),
            lifetime=info.context.collaborators.pad_lifetime,
        )
    except PairingRefusedError as exc:
        raise ForbiddenError(str(exc)) from None
    return PadPairing(
        token=pairing.token,
        window_code=pairing.window_code,
        expires_at=business_time(pairing.expires_at),
    )
