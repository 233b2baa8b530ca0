"""Errors the client may see, each with a stable `extensions.code`, and the policy that
masks everything else: no traceback, no exception text, no personal data leaves the API."""

from __future__ import annotations

import logging
import re
import traceback

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("hcp.api")


class ApiError(Exception):
    """An expected failure; its message is written for the client and holds no personal data."""

    code = "BAD_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnauthenticatedError(ApiError):
    """No valid bearer token."""

    code = "UNAUTHENTICATED"


class ForbiddenError(ApiError):
    """The principal's role may not do this."""

    code = "FORBIDDEN"


class BadInputError(ApiError):
    """The request is well-formed GraphQL but its values are not acceptable."""

    code = "BAD_INPUT"


class NotFoundError(ApiError):
    """Nothing the principal may see has this key."""

    code = "NOT_FOUND"


# graphql-core quotes the offending value when a variable does not coerce; the value may be
# an ID number or a phone, so only the variable's name and the reason are kept.
_VALUE_QUOTE = re.compile(r"(got invalid value|Expected value of type \S+, found) .*?(;|$)")
_MASKED = "Internal server error."


def _client_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, ApiError):
        message, code = original.message, original.code
    elif original is None:
        message, code = _VALUE_QUOTE.sub(r"\1 (value hidden)\2", error.message), "BAD_INPUT"
    else:
        message, code = _MASKED, "INTERNAL"
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions,
        path=error.path, extensions={"code": code},
    )


class ErrorPolicy(MaskErrors):
    """Keeps ApiError messages with their code, tags query errors BAD_INPUT, masks the rest."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [_client_error(error) for error in errors]


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log what went wrong without the exception's text, which may quote personal data."""
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, ApiError):
            continue
        frames = "".join(traceback.format_tb(original.__traceback__))
        log.error("unexpected %s at %s\n%s", type(original).__name__, error.path, frames)
