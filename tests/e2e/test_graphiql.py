"""GraphiQL (dev) with the network cut off at the app's origin, as on a government
intranet: it loads nothing from elsewhere, renders and runs a query under its CSP."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import SCREENSHOTS, Screen, Served, expect


async def test_graphiql_runs_a_query_with_nothing_but_the_app_reachable(
    browser: Any, served: Served
) -> None:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=served.base
    )
    context.set_default_timeout(15_000)
    elsewhere: list[str] = []

    async def only_the_app(route: Any) -> None:
        if route.request.url.startswith(f"{served.base}/"):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_the_app)
    screen = Screen(await context.new_page())
    page = screen.page
    try:
        await page.goto("/graphql")
        editor = page.locator(".graphiql-query-editor .CodeMirror")
        await expect(editor).to_be_visible()
        await editor.evaluate("node => node.CodeMirror.setValue('{ __typename }')")
        await page.locator(".graphiql-execute-button").click()
        result = page.locator(".result-window")
        await expect(result).to_contain_text('"__typename": "Query"')
        await page.screenshot(path=str(SCREENSHOTS / "graphiql.png"))
    finally:
        await context.close()
    assert elsewhere == []
    assert screen.problems == []  # no CSP refusal, no script error
