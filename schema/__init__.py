"""The GraphQL API: shared types in `schema.core`, the assembled schema in `schema.app`."""
