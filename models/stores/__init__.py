"""Data access, one module per aggregate: the SQL and the PostgreSQL/SQLite differences
live here behind named async functions, so services read as the steps of a use case."""
