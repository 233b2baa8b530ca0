"""`python -m bench`: load figures of the real server against PostgreSQL.

__main__ orchestrates (fresh database, server subprocess, table, var/bench/latest.json);
load is the load generator, run as a second process; data is the deterministic data set
both the API traffic and the SQL filler draw from; fill writes the bulk of the cases.
"""
