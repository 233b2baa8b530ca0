"""/graphql over HTTP and websocket: Strawberry's ASGI view with the service's context, the
GraphQL-over-HTTP media types and a JSON decoder that refuses what the service cannot take.

A client that accepts `application/graphql-response+json` gets it, with 400 for request
errors (the document does not parse or validate, variables do not coerce) and no `data`
entry; clients that accept only `application/json` keep 200 with `data: null`, as legacy
GraphQL clients expect. Refusals before execution (a body that is not JSON) are GraphQL
error responses with code BAD_INPUT, never Strawberry's plain-text reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse

from schema.core.context import Context
from server.devices import device_of
from server.graphiql import graphiql_page
from server.json_body import strict_json
from server.security_headers import GRAPHIQL_POLICY
from server.state import app_state

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_CONTENT_TYPES = {GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8", JSON: JSON}
# RFC 9110 qvalue; anything else in `q=` is treated as no weight given.
_QUALITY = re.compile(r"\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*", re.IGNORECASE)


def response_media_type(headers: Mapping[str, str]) -> str:
    """graphql-response+json when the client accepts it at least as much as JSON; JSON for
    `*/*`, a missing Accept or one naming neither (the spec's legacy default)."""
    weights = {GRAPHQL_RESPONSE: 0.0, JSON: 0.0}
    for item in headers.get("accept", "").split(","):
        kind, _, parameters = item.partition(";")
        kind = kind.strip().lower()
        target = JSON if kind in ("*/*", "application/*") else kind
        if target in weights:
            weights[target] = max(weights[target], _quality(parameters))
    preferred = weights[GRAPHQL_RESPONSE]
    return GRAPHQL_RESPONSE if preferred > 0 and preferred >= weights[JSON] else JSON


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        found = _QUALITY.fullmatch(parameter)
        if found:
            return float(found.group(1))
    return 1.0


def _request_error_status(response: GraphQLHTTPResponse) -> int | None:
    """400 when the operation never ran: no data and no error with a path (parse,
    validation, variable coercion); 500 if such an error was masked as INTERNAL."""
    errors = response.get("errors")
    if response.get("data") is not None or not errors:
        return None
    if any(not isinstance(error, dict) or "path" in error for error in errors):
        return None
    codes = {error.get("extensions", {}).get("code") for error in errors if isinstance(error, dict)}
    return 500 if "INTERNAL" in codes else 400


class HcpGraphQL(GraphQL[Context, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._refusal(request, exc)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from this origin (server.graphiql), never Strawberry's CDN page: it must
        work on an intranet, under a same-origin policy."""
        return graphiql_page(GRAPHIQL_POLICY)

    def _refusal(self, request: Request, exc: HTTPException) -> Response:
        code = "NOT_FOUND" if exc.status_code == 404 else "BAD_INPUT"
        body = {"errors": [{"message": exc.reason, "extensions": {"code": code}}]}
        media_type = _CONTENT_TYPES[response_media_type(request.headers)]
        return Response(self.encode_json(body), exc.status_code, media_type=media_type)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(
            app_state(request).collaborators,
            request.headers.get("authorization"),
            device_of(request),
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # Carried to create_response, which sees only the sub-response, not the request.
        sub_response.media_type = response_media_type(request.headers)
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        negotiated = sub_response.media_type or JSON
        if negotiated == GRAPHQL_RESPONSE and not isinstance(response_data, list):
            status = _request_error_status(response_data)
            if status is not None:
                response_data = response_data.copy()
                del response_data["data"]
                sub_response.status_code = status
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = _CONTENT_TYPES[negotiated]
        return response

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON (server.json_body): HTTP 400, websocket close 4400 otherwise."""
        return strict_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        """A request's JSON (its body, or its GET `variables`) is an object or a batch;
        Strawberry answers any other value with a 500."""
        try:
            value = self.decode_json(data)
        except ValueError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(value, dict | list):
            raise HTTPException(400, "The request JSON must be an object")
        return value
