"""The scan page waits for the citizen's own case to complete at the window they scanned:
each completion announced at that window is checked against the database for this viewer,
so nothing of anyone else's case (not even its number) reaches them."""

from __future__ import annotations

from rules import Engine
from services.cases import CaseView, find_case
from services.identity import Principal
from services.vault import Vault


async def own_completion(
    case_no: str, *, window_code: str, viewer: Principal, vault: Vault, engine: Engine
) -> CaseView | None:
    """The viewer's own case if it is completed at the window, else None; another person's
    case and one that does not exist are the same None."""
    view = await find_case(case_no=case_no, viewer=viewer, vault=vault, engine=engine)
    if view is None or view.completed_at is None:
        return None
    if view.window is None or view.window.code != window_code:
        return None
    return view
