"""The rater a request speaks for: a paired pad, or the signed-in principal (a citizen, or
staff who enter ratings for applicants). The form and "my cases" ask about this rater, as
submitRating does."""

from __future__ import annotations

from schema.core.context import Context
from services.identity import Principal, Role
from services.raters import Rater, principal_rater


async def pad_rater(context: Context) -> Rater | None:
    pad = await context.pad()
    if pad is None:
        return None
    return Rater(
        role="pad",
        key=f"pad:{pad.session_id}",
        pad_window_code=pad.window_code,
        pad_rating_window=context.collaborators.pad_rating_window,
    )


def viewer_rater(context: Context, principal: Principal) -> Rater | None:
    citizen = principal.role is Role.CITIZEN
    lookup = context.vault.lookup_hash(principal.id_number or "") if citizen else None
    return principal_rater(principal, lookup)
