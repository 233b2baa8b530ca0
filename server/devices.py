"""Which device a request comes from, for the anti-abuse limits."""

from __future__ import annotations

import re

from starlette.requests import HTTPConnection

_DEVICE_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def device_of(request: HTTPConnection) -> str | None:
    """The id the client sends (`X-HCP-Device`, as the mini-program and the pad do), else the
    client's address."""
    given = request.headers.get("x-hcp-device", "")
    if _DEVICE_ID.match(given):
        return f"id:{given}"
    return f"ip:{request.client.host}" if request.client else None
