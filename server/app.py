"""create_app(): the ASGI application, assembled from its routes and middleware. What it
serves with is opened by its lifespan (server.lifespan) and read by every request through
server.state.app_state; nothing here is a module global."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from console import console_routes
from mini_program_mock import client_routes
from schema.app import build_schema
from server.access_log import AccessLog
from server.body_limit import BodyLimit
from server.client_address import ClientAddress
from server.endpoints.evidence import evidence_file, upload_evidence
from server.endpoints.exports import export_file
from server.endpoints.health import healthz
from server.endpoints.public import public_routes
from server.endpoints.sms_inbound import sms_inbound
from server.graphiql import graphiql_routes
from server.graphql_view import HcpGraphQL
from server.lifespan import lifespan
from server.security_headers import SecurityHeaders
from server.settings import Settings
from server.startup import StartupError
from server.unavailable import DatabaseUnavailable


def _cors(settings: Settings) -> list[Middleware]:
    """Pages on the origins of HCP_CORS_ORIGINS (e.g. a mini-program's web view) may call
    the API from the browser; without it, no cross-origin reads (and the same list decides
    which origins may open the GraphQL websocket)."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-hcp-device"],
            max_age=600,
        )
    ]


def create_app(settings: Settings, *, clock: Callable[[], datetime] | None = None) -> Starlette:
    graphql = HcpGraphQL(
        schema=build_schema(introspection=not settings.is_prod),
        graphql_ide=None if settings.is_prod else "graphiql",
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        allowed_origins=settings.cors_origins,
    )
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/sms/inbound", sms_inbound, methods=["POST"]),
            Route("/evidence", upload_evidence, methods=["POST"]),
            Route("/evidence/{evidence_id}", evidence_file, methods=["GET"]),
            Route("/console/export/{kind}.{fmt}", export_file, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *client_routes(settings),
            *console_routes(settings),
            *public_routes(),
            *([] if settings.is_prod else graphiql_routes()),
        ],
        lifespan=lifespan(settings, clock),
        middleware=[
            Middleware(ClientAddress, trusted=settings.trusted_proxies),
            Middleware(AccessLog),
            *_cors(settings),
            Middleware(SecurityHeaders),
            Middleware(BodyLimit),
            Middleware(DatabaseUnavailable),
        ],
    )


def create_app_from_env() -> Starlette:
    """The uvicorn factory (`server.app:create_app_from_env`), one per worker process."""
    return create_app(Settings.from_env())


__all__ = ["StartupError", "create_app", "create_app_from_env"]
