"""Who calls a plain HTTP endpoint: the principal of its `Authorization: Bearer` token, the
same token the console sends to the GraphQL API."""

from __future__ import annotations

from starlette.requests import Request

from server.state import app_state
from services.identity import Principal


def bearer_principal(request: Request) -> Principal | None:
    """None when there is no bearer token or it cannot be trusted."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return app_state(request).collaborators.authenticate(token.strip())
