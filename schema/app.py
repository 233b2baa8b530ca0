"""The assembled schema: every query and mutation, the limits and the error policy."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from resolvers.mutations import ingest_cases, ping
from resolvers.queries import cases, viewer
from schema.core.errors import ErrorPolicy, log_unexpected

MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_TOKENS = 2000


@strawberry.type
class Query:
    viewer = strawberry.field(resolver=viewer.viewer)
    my_cases = strawberry.field(resolver=cases.my_cases)
    case = strawberry.field(resolver=cases.case)


@strawberry.type
class Mutation:
    ping = strawberry.mutation(resolver=ping.ping, description="Does nothing; for load baselines")
    ingest_cases = strawberry.mutation(resolver=ingest_cases.resolve)


class HcpSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)


def build_schema(**overrides: Any) -> strawberry.Schema:
    return HcpSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            ParserCache(maxsize=512),
            ValidationCache(maxsize=512),
            QueryDepthLimiter(max_depth=MAX_DEPTH),
            MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            MaxTokensLimiter(max_token_count=MAX_TOKENS),
            ErrorPolicy(),
            *overrides.pop("extensions", ()),
        ],
        **overrides,
    )
