"""Errors the client may see, each with a stable `extensions.code`, and the policy that
masks everything else: no traceback, no exception text, no personal data leaves the API."""

from __future__ import annotations

import logging
import re
import traceback

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from models.db import connection_lost

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


# graphql-core quotes the offending value when a value does not coerce; it may be an ID
# number or a phone, so the quoted values are cut and the variable, path and reason kept.
# An unknown input field is named only when it could be a field name: a JSON key can be
# anything, an ID number included.
_VALUE_PATTERNS = (
    (re.compile(r"(\?) Found: .*", re.S), r"\1"),
    (
        re.compile(r"unknown field '(?![_A-Za-z][_0-9A-Za-z]*'[.,]).*?'(?=[.,])", re.S),
        "an unknown field",
    ),
    (re.compile(r"got invalid value .*?(?= at '[\w.\[\]]*'(?:;|$))", re.S), "has an invalid value"),
    (re.compile(r"got invalid value .*?;", re.S), "has an invalid value;"),
    (re.compile(r"Value '.*?' does not exist", re.S), "The value does not exist"),
    (re.compile(r"(cannot represent [^:;]*value): .*", re.S), r"\1."),
    # Strawberry's own scalars (DateTime, Date): `Value cannot represent a DateTime: "...".`
    (re.compile(r"(Value cannot represent an? \w+): .*", re.S), r"\1."),
    (re.compile(r"(Expected value of type .*?),? found:? .*", re.S), r"\1."),
)


def without_values(message: str) -> str:
    for pattern, replacement in _VALUE_PATTERNS:
        message = pattern.sub(replacement, message)
    return message


_MASKED = "Internal server error."
# A dropped database connection: the request did nothing (its transaction, if any, rolled
# back with the connection) and the same request can succeed on the next try.
_UNAVAILABLE = "service temporarily unavailable, retry"


def client_error(error: GraphQLError) -> GraphQLError:
    """The error as a client may see it; errors already given a code pass unchanged."""
    if error.extensions and "code" in error.extensions:
        return error
    original = error.original_error
    if isinstance(original, ApiError):
        message, code = original.message, original.code
    elif original is None or isinstance(original, GraphQLError):
        message, code = without_values(error.message), "BAD_INPUT"
    elif connection_lost(original):
        message, code = _UNAVAILABLE, "UNAVAILABLE"
    else:
        message, code = _MASKED, "INTERNAL"
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code},
    )


class ErrorPolicy(MaskErrors):
    """Keeps ApiError messages with their code, tags query errors BAD_INPUT, masks the rest."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [client_error(error) for error in errors]


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log what went wrong without the exception's text, which may quote personal data."""
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, ApiError | GraphQLError):
            continue
        if connection_lost(original):
            # An outage, not a bug: one line each, and no traceback to wade through.
            log.warning(
                "database connection lost (%s) at %s: answered UNAVAILABLE",
                type(original).__name__,
                error.path,
            )
            continue
        frames = "".join(traceback.format_tb(original.__traceback__))
        log.error("unexpected %s at %s\n%s", type(original).__name__, error.path, frames)
