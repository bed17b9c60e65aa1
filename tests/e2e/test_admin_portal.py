"""The admin portal in headless Chromium (Debian's, driven by Playwright): a real login, a
click path through every page with a screenshot each, its actions, and the guards (non-admin
refused, CSRF, strict CSP with no violation). Skips, saying why, where Chromium cannot run;
``.ci/run`` installs it so CI runs these."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from shared.embedded import free_port
from tests.e2e.conftest import OPS_ADMIN, STRONG_PASSWORD, Stack
from tests.helpers import wait_until

CHROMIUM = os.environ.get("MITA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PAGES = ("overview", "users", "projections", "dead-letters", "ocr", "push", "clusters")


def chromium_or_skip() -> str:
    """The Chromium binary, or a skip that says why there is none."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        pytest.skip(f"playwright is not installed: {exc}")
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        print(f"SKIP admin portal browser tests: {reason}")
        pytest.skip(reason)
    return CHROMIUM


@contextlib.asynccontextmanager
async def served(stack: Stack) -> AsyncIterator[str]:
    """The stack's gateway on a loopback port (its lifespan already runs)."""
    port = free_port()
    config = uvicorn.Config(
        stack.gateway, host="127.0.0.1", port=port, log_config=None, access_log=False,
        lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: _started(server), 30, "the gateway to listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go (``MITA_PORTAL_SCREENSHOTS`` keeps them elsewhere)."""
    folder = Path(os.environ.get("MITA_PORTAL_SCREENSHOTS") or tmp_path / "portal")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_a_click_path_through_every_page(
    ops_stack: tuple[Stack, dict[str, str]], shots: Path
) -> None:
    binary = chromium_or_skip()
    from playwright.async_api import async_playwright

    stack, _ = ops_stack
    email = f"portal-{uuid.uuid4().hex[:8]}@example.com"
    me = await stack.register(email=email, name="Portal Person")
    headers = stack.bearer(me["access_token"])
    body = {"amount": 9.99, "category": "food", "merchant": "Corner Shop"}
    assert (
        await stack.client.post("/api/transactions/", json=body, headers=headers)
    ).status_code == 201
    violations: list[str] = []
    async with served(stack) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=binary, headless=True,
                                           args=["--no-sandbox"])  # fmt: skip
        page = await browser.new_page()
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
        )
        page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))

        answer = await page.goto(f"{base}/admin")
        assert answer is not None
        assert page.url.endswith("/admin/login")
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        await page.screenshot(path=str(shots / "login.png"))

        # A non-admin account is refused.
        await page.fill("#email", email)
        await page.fill("#password", STRONG_PASSWORD)
        await page.click("#sign-in")
        assert "not an admin" in await page.inner_text("#error")

        await page.fill("#email", OPS_ADMIN)
        await page.fill("#password", STRONG_PASSWORD)
        await page.click("#sign-in")
        await page.wait_for_selector("#health")
        assert await page.locator("#health tr").count() == 8  # a header and seven services
        assert await page.locator("#streams-chart svg").count() == 1
        cookie = next(c for c in await page.context.cookies() if c["name"] == "mita_admin")
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Strict"

        for name in PAGES:
            await page.click(f"#nav-{name}")
            await page.wait_for_load_state()
            assert await page.locator(f"#nav-{name}.active").count() == 1, name
            await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        await page.click("#nav-users")
        await page.fill("#q", email)
        await page.press("#q", "Enter")
        await page.click(f"#user-{me['user']['id']} a")
        await page.wait_for_selector("#timeline")
        assert "ledger.TransactionRecorded" in await page.inner_text("#timeline")
        await page.fill("#as-of", "2200-01-01")
        await page.click("#show-as-of")
        await page.wait_for_selector("#as-of-state")
        assert "Corner Shop" in await page.inner_text("#as-of-state")
        await page.screenshot(path=str(shots / "user.png"), full_page=True)
        await page.fill("#reason", "portal test")
        await page.click("#lock")
        await page.wait_for_selector("#timeline")
        assert (await stack.client.get("/api/users/me", headers=headers)).status_code == 401
        await page.click("#unlock")
        await page.wait_for_selector("#timeline")

        await page.click("#nav-projections")
        await page.click("#rebuild-ledger_transactions")
        await page.wait_for_selector("#finished", timeout=60_000)
        assert "done" in await page.inner_text("#phase")
        await page.screenshot(path=str(shots / "rebuild.png"))

        await page.click("#logout")
        await page.wait_for_selector("#login-form")
        await browser.close()
    assert not violations, violations
    assert {p.name for p in shots.glob("*.png")} >= {f"{n}.png" for n in (*PAGES, "login", "user")}
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in shots.glob("*.png"))


async def test_forms_need_the_sessions_csrf_token(ops_stack: tuple[Stack, dict[str, str]]) -> None:
    stack, admin = ops_stack
    token = admin["Authorization"].removeprefix("Bearer ")
    client: httpx.AsyncClient = stack.client
    cookies = {"mita_admin": token}
    page = await client.get("/admin/users", cookies=cookies)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    target = "/admin/users/00000000-0000-4000-8000-000000000000/lock"
    forged = await client.post(target, data={"reason": "x"}, cookies=cookies)
    assert forged.status_code == 403
    wrong = await client.post(target, data={"reason": "x", "csrf": "0" * 64}, cookies=cookies)
    assert wrong.status_code == 403
    anonymous = await client.get("/admin/projections")
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/admin/login")
    login = await client.post("/admin/login", data={"email": OPS_ADMIN, "password": "x"})
    assert login.status_code == 403  # no form cookie: the login form itself is guarded
    me = await stack.register()
    user_cookie: dict[str, Any] = {"mita_admin": me["access_token"]}
    refused = await client.get("/admin", cookies=user_cookie)
    assert refused.status_code == 303  # a user's token is no admin session
