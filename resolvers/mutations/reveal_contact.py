"""`revealContact`: a department handler or area admin calling back a bad rater, or making
a reminder call, gets the full phone number, with a reason, while a callback or a reminder
call on the case is open; always audited."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.core.context import Context
from schema.core.text import refuse_nul
from services.callbacks import Revealed, reveal_contact
from services.identity import Role


@strawberry.type(
    description="The full phone number, for the callback or reminder call; this was audited"
)
class ContactRevealed:
    case_no: str
    phone: str


@strawberry.type(description="Not revealed; the attempt was audited. `message` is for staff")
class RevealRefused:
    code: str = strawberry.field(
        description="NOT_FOUND, REASON_REQUIRED, NO_OPEN_CALLBACK or NO_CONTACT"
    )
    message: str


RevealContactResult = Annotated[
    ContactRevealed | RevealRefused, strawberry.union("RevealContactResult")
]


async def resolve(info: Info[Context, None], case_no: str, reason: str) -> RevealContactResult:
    viewer = info.context.require(Role.DEPT_HANDLER, Role.AREA_ADMIN)
    refuse_nul(case_no, reason)
    result = await reveal_contact(
        case_no=case_no.strip(),
        reason=reason,
        viewer=viewer,
        vault=info.context.vault,
        now=info.context.now(),
    )
    if isinstance(result, Revealed):
        return ContactRevealed(case_no=result.case_no, phone=result.phone)
    return RevealRefused(code=result.code, message=result.message)
