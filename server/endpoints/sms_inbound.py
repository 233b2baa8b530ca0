"""POST /sms/inbound: a gateway forwards a rater's reply to a reminder."""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.json_body import strict_json
from server.state import app_state
from services.rating_results import Accepted
from services.sms import rate_by_reply


async def sms_inbound(request: Request) -> JSONResponse:
    """{"from": phone, "text": reply}, signed with the shared secret (HCP_SMS_INBOUND_SECRET);
    off (404) without one."""
    state = app_state(request)
    secret = state.settings.sms_inbound_secret
    if not secret:
        return JSONResponse({"error": "NOT_ENABLED"}, status_code=404)
    given = request.headers.get("x-hcp-sms-secret", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return JSONResponse({"error": "FORBIDDEN"}, status_code=403)
    try:
        body: Any = strict_json(await request.body())
        sender, text = str(body["from"]), str(body["text"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "BAD_INPUT"}, status_code=400)
    collaborators = state.collaborators
    result = await rate_by_reply(
        sender[:32],
        text[:500],
        engine=collaborators.engine,
        vault=collaborators.vault,
        clock=collaborators.clock,
        counters=collaborators.counters,
    )
    if isinstance(result, Accepted):
        return JSONResponse({"status": "accepted", "appliesTo": result.applies_to})
    return JSONResponse({"status": "rejected", "code": result.code})
