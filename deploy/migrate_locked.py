"""`hcp migrate`, one host at a time: the ExecStartPre of deploy/hcp.service.

Every host runs its migrations before it serves. `hcp migrate` by itself is not safe to run
twice at once against one PostgreSQL database: both read the same list of applied
migrations and both apply the next one, and one fails (a duplicate type or table). This
holds a PostgreSQL advisory lock on its own connection while `hcp migrate` runs, so a second
host waits, then finds nothing left to apply. On SQLite it just runs `hcp migrate`.

Run with the service's environment (HCP_DATABASE_URL and the rest):
    /opt/hcp/.venv/bin/python /opt/hcp/deploy/migrate_locked.py
Exit code: that of `hcp migrate`; 1 when the database cannot be reached.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg

# Any fixed 64-bit number no other advisory lock of hcp uses: b"hcp-migr" read as an integer.
LOCK_KEY = int.from_bytes(b"hcp-migr", "big")
HCP = str(Path(sys.executable).with_name("hcp"))


async def _migrate() -> int:
    process = await asyncio.create_subprocess_exec(HCP, "migrate")
    return await process.wait()


async def _locked(url: str) -> int:
    try:
        conn = await asyncpg.connect(
            url, timeout=30, server_settings={"application_name": "hcp-migrate-lock"}
        )
    except (OSError, asyncpg.PostgresError) as exc:
        sys.stderr.write(f"migrate_locked: cannot reach the database ({type(exc).__name__})\n")
        return 1
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
            sys.stderr.write("migrate_locked: another host is migrating; waiting for it\n")
            sys.stderr.flush()
            await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        return await _migrate()
    finally:
        # Closing the session releases the lock, also when `hcp migrate` failed.
        await conn.close()


def main() -> int:
    url = os.environ.get("HCP_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return asyncio.run(_locked(url))
    return asyncio.run(_migrate())


if __name__ == "__main__":
    sys.exit(main())
