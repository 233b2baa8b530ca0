"""The assembled schema: every query and mutation, the limits and the error policy."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from graphql.error import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.types import ExecutionContext, ExecutionResult

from resolvers.mutations import (
    activate_rules_version,
    decide_appeal,
    file_appeal,
    ingest_cases,
    pair_pad,
    ping,
    publish_rules,
    record_callback,
    record_reminder_call,
    reveal_contact,
    review_held_rating,
    review_rectification,
    spot_check,
    submit_rating,
    submit_rectification,
)
from resolvers.queries import (
    audit_log,
    cases,
    held_ratings,
    pad_queue,
    rating_form,
    reference,
    reminder_calls,
    rules_version,
    rules_workbench,
    simulate_rules,
    staff_tally,
    viewer,
    window_info,
)
from resolvers.queries import statistics as stats
from resolvers.queries import work_items as work_item_queries
from resolvers.subscriptions import my_case_completed, window_events, work_item_events
from schema.core.errors import ErrorPolicy, client_error, log_unexpected
from schema.core.limits import query_limits_rule
from services.paging import MAX_PAGE

MAX_DEPTH = 15
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_COST = 5000  # a full page of 100 cases with every field of each costs ~3,000
# Built once: ValidationCache keys on the rule classes, so classes made per request would
# make every request miss the cache and validate again (~1.5 ms a request here).
_LIMIT_RULES: list[type[ASTValidationRule]] = [
    query_limits_rule(
        max_depth=MAX_DEPTH, max_cost=MAX_COST, max_aliases=MAX_ALIASES, largest_page=MAX_PAGE
    ),
]
_PROD_RULES = [*_LIMIT_RULES, NoSchemaIntrospectionCustomRule]


@strawberry.type
class Query:
    viewer = strawberry.field(resolver=viewer.viewer)
    my_cases = strawberry.field(resolver=cases.my_cases)
    case = strawberry.field(resolver=cases.case)
    rules_version = strawberry.field(resolver=rules_version.rules_version)
    rating_form = strawberry.field(resolver=rating_form.rating_form)
    audit_log = strawberry.field(resolver=audit_log.audit_log)
    reminder_calls = strawberry.field(resolver=reminder_calls.reminder_calls)
    window_info = strawberry.field(resolver=window_info.window_info)
    pad_queue = strawberry.field(resolver=pad_queue.pad_queue)
    regions = strawberry.field(resolver=reference.regions)
    halls = strawberry.field(resolver=reference.halls)
    departments = strawberry.field(resolver=reference.departments)
    windows = strawberry.field(resolver=reference.windows)
    staff = strawberry.field(resolver=reference.staff)
    work_items = strawberry.field(resolver=work_item_queries.work_items)
    work_item = strawberry.field(resolver=work_item_queries.work_item)
    held_ratings = strawberry.field(resolver=held_ratings.held_ratings)
    staff_tally = strawberry.field(resolver=staff_tally.staff_tally)
    metrics = strawberry.field(resolver=stats.metrics)
    statistics = strawberry.field(resolver=stats.statistics_query)
    ranking = strawberry.field(resolver=stats.ranking)
    statistics_funnel = strawberry.field(resolver=stats.statistics_funnel)
    check_rules = strawberry.field(resolver=rules_workbench.check_rules)
    run_scenarios = strawberry.field(resolver=rules_workbench.run_rules_scenarios)
    try_rules = strawberry.field(resolver=rules_workbench.try_rules)
    active_rules = strawberry.field(resolver=rules_workbench.active_rules)
    rules_versions = strawberry.field(resolver=rules_workbench.rules_versions)
    rules_diff = strawberry.field(resolver=rules_workbench.rules_diff)
    simulate_rules = strawberry.field(resolver=simulate_rules.simulate_rules)


@strawberry.type
class Mutation:
    ping = strawberry.mutation(resolver=ping.ping, description="Does nothing; for load baselines")
    ingest_cases = strawberry.mutation(resolver=ingest_cases.resolve)
    publish_rules = strawberry.mutation(resolver=publish_rules.resolve)
    activate_rules_version = strawberry.mutation(resolver=activate_rules_version.resolve)
    submit_rating = strawberry.mutation(resolver=submit_rating.resolve)
    pair_pad = strawberry.mutation(resolver=pair_pad.resolve)
    reveal_contact = strawberry.mutation(resolver=reveal_contact.resolve)
    record_reminder_call = strawberry.mutation(resolver=record_reminder_call.resolve)
    record_callback = strawberry.mutation(resolver=record_callback.resolve)
    file_appeal = strawberry.mutation(resolver=file_appeal.resolve)
    decide_appeal = strawberry.mutation(resolver=decide_appeal.resolve)
    submit_rectification = strawberry.mutation(resolver=submit_rectification.resolve)
    review_rectification = strawberry.mutation(resolver=review_rectification.resolve)
    spot_check = strawberry.mutation(resolver=spot_check.resolve)
    review_held_rating = strawberry.mutation(resolver=review_held_rating.resolve)


@strawberry.type
class Subscription:
    window_events = strawberry.subscription(resolver=window_events.window_events)
    work_item_events = strawberry.subscription(resolver=work_item_events.work_item_events)
    my_case_completed = strawberry.subscription(resolver=my_case_completed.my_case_completed)


class HcpSchema(strawberry.Schema):
    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        # Parse errors (syntax, token limit) are returned before extensions see the result.
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [client_error(error) for error in result.errors]
        return result

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)


def build_schema(*, introspection: bool = True, **overrides: Any) -> strawberry.Schema:
    """`introspection=False` (production) refuses __schema and __type; __typename stays."""
    rules = _LIMIT_RULES if introspection else _PROD_RULES
    return HcpSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            ErrorPolicy,
            *overrides.pop("extensions", ()),
        ],
        **overrides,
    )
