"""The graphql-http audit (the GraphQL over HTTP spec's server checks, npm `graphql-http`,
pinned in tests/graphql_http/) against the real app on a real socket: every audit, the
SHOULDs included, must be ok.

Needs node and npm; `npm ci` runs here when the pinned package is not installed yet, so
`make test` works on a fresh machine. Without node or the package the test is skipped,
except with CI=true, where that is a failure."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import IN_CI

AUDIT_DIR = Path(__file__).resolve().parents[1] / "graphql_http"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI runs the graphql-http audit and may not skip it")
    pytest.skip(reason)


async def _run(*command: str) -> tuple[int, str]:
    """Not subprocess.run: the app under audit serves from this same event loop."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=AUDIT_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await process.communicate()
    finally:
        if process.returncode is None:  # cancelled by a timeout
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, output.decode("utf-8", "replace")


@pytest.fixture(scope="session")
async def audit_command() -> list[str]:
    """`node audit.mjs`, after `npm ci` if the pinned packages are not installed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed for the graphql-http audit")
    assert node is not None and npm is not None
    if not (AUDIT_DIR / "node_modules" / "graphql-http" / "package.json").exists():
        async with asyncio.timeout(300):
            code, output = await _run(npm, "ci", "--no-audit", "--no-fund")
        if code != 0:
            _unavailable(f"npm ci in {AUDIT_DIR} failed:\n{output[-2000:]}")
    return [node, str(AUDIT_DIR / "audit.mjs")]


async def test_every_graphql_over_http_audit_is_ok(audit_command: list[str], live_url: str) -> None:
    async with asyncio.timeout(120):
        code, output = await _run(*audit_command, f"http://{live_url}/graphql")
    results = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    failing = [result for result in results if result["status"] != "ok"]
    report = "\n".join(json.dumps(result, ensure_ascii=False) for result in failing)
    assert results, f"the audit printed no results:\n{output}"
    assert not failing, f"{len(failing)} of {len(results)} audits are not ok:\n{report}"
    assert code == 0, output
