"""`claimPadPairing(windowCode, code)`: a pad (nobody signed in) trades the code hall staff
showed it for its long-lived device credential; once, and with guessing bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from schema.core.types import business_time
from services import pads

REFUSALS = {
    pads.INVALID: "配对码不正确或已使用，请核对后重试",
    pads.EXPIRED: "配对码已过期，请工作人员重新生成",
    pads.RATE_LIMITED: "尝试次数过多，请工作人员重新生成配对码后再试",
}
_LONGEST = 32  # a code is six digits: longer input is wrong, and not worth a lookup
_LONGEST_WINDOW = 64  # no window's code is longer (nor a counter's key made of one)


@strawberry.type(description="Paired: the pad sends `Authorization: Pad <token>` from now on")
class PadPaired:
    token: str
    window_code: str
    expires_at: datetime


@strawberry.type(description="Not paired. `message` is for the person at the pad")
class PadPairingRefused:
    code: str = strawberry.field(
        description="PAIRING_CODE_INVALID (wrong, used, or another window's), "
        "PAIRING_CODE_EXPIRED, PAIRING_RATE_LIMITED (too many tries: ask for a new code)"
    )
    message: str


PadClaimResult = Annotated[PadPaired | PadPairingRefused, strawberry.union("PadClaimResult")]


async def resolve(info: Info[Context, None], window_code: str, code: str) -> PadClaimResult:
    refuse_nul(window_code, code)
    given, window = code.strip(), window_code.strip()
    if len(window) > _LONGEST_WINDOW:
        return PadPairingRefused(code=pads.INVALID, message=REFUSALS[pads.INVALID])
    if len(given) > _LONGEST:
        given = ""  # counted as a wrong try like any other
    result = await pads.claim_pairing(
        window_code=window,
        code=given,
        counters=info.context.collaborators.counters,
        vault=info.context.vault,
        now=info.context.now(),
        lifetime=info.context.collaborators.pad_lifetime,
    )
    if isinstance(result, pads.ClaimRefused):
        return PadPairingRefused(code=result.code, message=REFUSALS[result.code])
    return PadPaired(
        token=result.token,
        window_code=result.window_code,
        expires_at=business_time(result.expires_at),
    )
