"""`createPadPairingCode(windowCode)`: hall staff get a short single-use code (and its QR
code) that pairs one evaluator pad with a window of their department."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import quote

import segno
import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.errors import BadInputError, ForbiddenError
from schema.core.text import refuse_nul
from schema.core.types import business_time
from services.identity import Role
from services.pads import PairingRefusedError, create_pairing_code

LABEL_LENGTH = 64


@strawberry.type(description="Shown to the pad once: typed on it, or scanned as `qrSvg`")
class PadPairingCode:
    window_code: str
    code: str = strawberry.field(description="six digits, single use")
    expires_at: datetime
    pair_url: str = strawberry.field(description="the pad's page with the code in its fragment")
    qr_svg: str = strawberry.field(description="an SVG image of the QR code of `pairUrl`")


def qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=6, border=4, xmldecl=False, title="评价器配对二维码"
    )
    return out.getvalue().decode()


async def resolve(
    info: Info[Context, None], window_code: str, label: str | None = None
) -> PadPairingCode:
    staff = info.context.require(Role.WINDOW_STAFF, Role.DEPT_HANDLER)
    refuse_nul(window_code, label)
    named = (label or "").strip() or None
    if named is not None and len(named) > LABEL_LENGTH:
        raise BadInputError(f"the label is longer than {LABEL_LENGTH} characters")
    window = window_code.strip()
    try:
        made = await create_pairing_code(
            window_code=window,
            staff=staff,
            label=named,
            vault=info.context.vault,
            now=info.context.now(),
        )
    except PairingRefusedError as exc:
        raise ForbiddenError(str(exc)) from None
    base = info.context.collaborators.public_base_url
    url = f"{base}/pad/{quote(window, safe='')}#code={made.code}"
    return PadPairingCode(
        window_code=made.window_code,
        code=made.code,
        expires_at=business_time(made.expires_at),
        pair_url=url,
        qr_svg=qr_svg(url),
    )
