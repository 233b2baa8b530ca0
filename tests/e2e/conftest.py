"""End-to-end: the real app (`hcp serve --demo` in a subprocess, on a fresh SQLite database)
driven by Debian's Chromium through Playwright, one browser for the whole suite.

Without /usr/bin/chromium (or Playwright) the suite is skipped locally; with CI=true it
fails instead, like the PostgreSQL and Redis suites. Each test saves a screenshot of every
screen it passes through under var/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import DATA_KEY, IN_CI, ROOT, SECRET, token
from tests.factories import INGEST, case_input, person_id

async_api: Any
try:
    from playwright import async_api
except ImportError:  # local runs without the e2e packages; CI has them (see _require_browser)
    async_api = None

expect: Any = async_api.expect if async_api is not None else None
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
HCP = Path(sys.executable).with_name("hcp")
SCREENSHOTS = ROOT / "var" / "screenshots"
MOBILE = {"width": 375, "height": 667}
SMALL_PHONE = {"width": 320, "height": 568}
TABLET = {"width": 1024, "height": 768}
PORTRAIT_TABLET = {"width": 800, "height": 1280}
# The sizes every citizen and window screen is looked at (Screen.every_size).
SIZES = {"320": SMALL_PHONE, "375": MOBILE, "tablet": PORTRAIT_TABLET}
AXE = Path(__file__).with_name("vendor") / "axe-core-4.14.1.min.js"
# What axe-core must not find on any screen: WCAG 2.x A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP = {"width": 1280, "height": 800}
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
STAFF = token("window_staff", staff_code="S-02", department_code="D-SCJG")


def _missing() -> list[str]:
    missing = [] if CHROMIUM.exists() else [str(CHROMIUM)]
    return missing + ([] if async_api is not None else ["the playwright package"])


def _require_browser() -> None:
    missing = _missing()
    if missing and IN_CI:
        pytest.fail(f"CI must provide {', '.join(missing)}: the e2e suite may not skip")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (CI installs them)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def at(minutes_ago: float) -> str:
    """A real moment (the served app runs on the real clock) in business time, ISO-8601."""
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return moment.astimezone(BUSINESS_TZ).isoformat(timespec="seconds")


@dataclass
class Citizen:
    name: str
    id_number: str
    phone: str

    @property
    def token(self) -> str:
        return token("citizen", id_number=self.id_number, name=self.name, phone=self.phone)

    def applicant(self) -> dict[str, str]:
        return {
            "name": self.name,
            "idNumber": self.id_number,
            "phone": self.phone,
            "kind": "PERSON",
        }


@dataclass
class Served:
    """The app under test, at `base`, and the API calls the tests make to set up data."""

    base: str
    log: Path

    async def gql(self, query: str, variables: dict[str, Any], bearer: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base, timeout=10) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {bearer}"},
            )
        body: dict[str, Any] = response.json()
        return body

    async def ingest(self, *cases: dict[str, Any]) -> None:
        body = await self.gql(INGEST, {"cases": list(cases)}, token("system"))
        assert body["data"]["ingestCases"]["rejectedCount"] == 0, body

    async def case(self, citizen: Citizen, case_no: str, **extra: Any) -> dict[str, Any]:
        """A case of `citizen` at W-01, completed ten minutes ago unless told otherwise."""
        completed = extra.pop("completedAt", at(10))
        item = case_input(
            case_no,
            citizen.applicant(),
            acceptedAt=extra.pop("acceptedAt", completed),
            completedAt=completed,
            **extra,
        )
        await self.ingest(item)
        return item

    async def pair_pad(self, window: str = "W-01") -> str:
        body = await self.gql(
            "mutation($w: String!) { pairPad(windowCode: $w) { token } }", {"w": window}, STAFF
        )
        pad: str = body["data"]["pairPad"]["token"]
        return pad


_serial = iter(range(500, 10_000))


def new_citizen(name: str) -> Citizen:
    """A fictional person of its own, so each test sees only the cases it made."""
    serial = next(_serial)
    return Citizen(name=name, id_number=person_id(serial), phone=f"139{serial:08d}")


def unique(prefix: str) -> str:
    return f"{prefix}-{time.time_ns() % 10**12}"


def _wait_until_serving(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # start-up readiness poll, not a timing assumption of a test
    raise RuntimeError(f"the app did not start:\n{log.read_text(errors='replace')[-3000:]}")


def server_env(var: Path, **env_vars: str) -> dict[str, str]:
    """The environment of an `hcp` process under test: dev, SQLite under `var`, the test
    secret and data key, no HCP_PUBLIC_URL; `env_vars` override any of it."""
    rules = var / "rules.yaml"
    shutil.copyfile(ROOT / "rules.yaml", rules)
    shutil.copyfile(ROOT / "rules_test.yaml", var / "rules_test.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env.update(
        HCP_ENV="dev",
        HCP_DATABASE_URL=f"sqlite://{var}/e2e.sqlite3",
        HCP_VAR_DIR=str(var),
        HCP_JWT_SECRET=SECRET,
        HCP_DATA_KEY=DATA_KEY,
        HCP_RULES=str(rules),
        # The tree under test, whatever copy of the project the venv was installed from.
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])]),
    )
    return {**env, **env_vars}


@contextlib.contextmanager
def serve(var: Path, *args: str, **env_vars: str) -> Iterator[Served]:
    """`hcp serve ARGS` on a free port of 127.0.0.1, in `server_env(var, **env_vars)`."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(var, **env_vars)
    log = var / "app.log"
    command = [str(HCP), "serve", *args, "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        _wait_until_serving(process, base, log)
        yield Served(base=base, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`hcp serve --demo` (migrate, seed the demo district, serve) on a free port, with no
    HCP_PUBLIC_URL: links and QR codes follow the address served."""
    _require_browser()
    with serve(tmp_path_factory.mktemp("e2e"), "--demo") as app:
        yield app


@pytest.fixture(scope="package")
async def browser(served: Served) -> AsyncIterator[Any]:
    assert async_api is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    playwright = await async_api.async_playwright().start()
    try:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()
    finally:
        await playwright.stop()


class Screen:
    """A page plus what it did wrong: uncaught script errors and CSP refusals fail the test."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")

    async def shot(self, name: str) -> None:
        """Save what the screen shows; it must never show a raw value or error object."""
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        shown = await self.page.locator("body").inner_text()
        for raw in ("null", "undefined", "[object", "NaN", "Error:"):
            assert raw not in shown, f"{name} shows {raw!r}"

    async def check(self, name: str) -> None:
        """axe-core on the screen as it is now: no serious or critical violation."""
        page = self.page
        if not await page.evaluate("() => typeof window.axe === 'object'"):
            await page.evaluate(_axe_source())
        found = await page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})).violations.map((v) => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}))",
            AXE_TAGS,
        )
        bad = [v for v in found if v["impact"] in ("serious", "critical")]
        assert bad == [], f"{name}: axe-core finds {bad}"

    async def every_size(self, name: str, *, large_text: bool = False) -> None:
        """Look at the screen at 320 px, 375 px and a portrait tablet: at each a screenshot
        (`{name}-{size}`), no sideways scrolling (the layout holds) and axe-core clean; then
        back to the size the test had. `large_text`: the same in the page's large-text mode
        (its `#large-text` toggle, which the page must offer)."""
        page = self.page
        before = page.viewport_size
        if large_text:
            await _large_text(page, on=True)
        try:
            for size, viewport in SIZES.items():
                await page.set_viewport_size(viewport)
                label = f"{name}-{size}{'-large' if large_text else ''}"
                await page.evaluate(
                    "() => new Promise((r) => requestAnimationFrame(() => r(null)))"
                )
                wide = await page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                await self.shot(label)
                assert wide <= 0, f"{label}: the page is {wide} px wider than the screen"
                await self.check(label)
        finally:
            if large_text:
                await _large_text(page, on=False)
            await page.set_viewport_size(before)


async def _large_text(page: Any, *, on: bool) -> None:
    toggle = page.locator("#large-text")
    if (await toggle.get_attribute("aria-pressed") == "true") != on:
        await toggle.click()


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


async def screen_at(
    browser: Any, served: Served, viewport: dict[str, int]
) -> AsyncIterator[Screen]:
    context = await browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=served.base
    )
    context.set_default_timeout(10_000)
    screen = Screen(await context.new_page())
    try:
        yield screen
    finally:
        await context.close()
    assert screen.problems == []


@pytest.fixture
async def mobile(browser: Any, served: Served) -> AsyncIterator[Screen]:
    """A phone-sized page (375×667), as citizens see the pages."""
    async for screen in screen_at(browser, served, MOBILE):
        yield screen


@pytest.fixture
async def tablet(browser: Any, served: Served) -> AsyncIterator[Screen]:
    """A tablet-sized page, as the evaluator pad at a window shows it."""
    async for screen in screen_at(browser, served, TABLET):
        yield screen


@pytest.fixture
async def desk(browser: Any, served: Served) -> AsyncIterator[Screen]:
    """A desktop-sized page, as staff at their desks see the console."""
    async for screen in screen_at(browser, served, DESKTOP):
        yield screen
