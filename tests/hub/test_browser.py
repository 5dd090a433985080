"""The demo researcher's path in a real Chromium: log in, start a bubble, land in JupyterLab."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PASSWORDS, make_state
from .hubprocess import HubProcess

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser_hub(traversable_tmp: Path) -> Iterator[HubProcess]:
    policy_dir, state_dir = make_state(traversable_tmp, "browser")
    hub = HubProcess(policy_dir, state_dir).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_researcher_logs_in_starts_a_bubble_and_lands_in_jupyterlab(
    browser_hub: HubProcess, browser: object, tmp_path: Path
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{browser_hub.url}/hub/login")
        page.fill("#username_input", "alice")
        page.fill("#password_input", PASSWORDS["alice"])
        page.click("#login_submit")
        page.wait_for_url("**/hub/home")
        rows = page.locator("tr.bulle-bubble").evaluate_all("rows => rows.map(r => r.dataset.serverName)")
        assert rows == ["psy-cohort-notebook", "psy-cohort-large"]

        page.click("#start-psy-cohort-notebook")
        page.wait_for_url("**/user/alice/psy-cohort-notebook/lab**", timeout=90_000)
        page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
        # The file browser shows the project's shared folder in the member's workspace.
        page.wait_for_selector(".jp-DirListing-item[title*='shared'], .jp-DirListing-item:has-text('shared')")
        page.screenshot(path=str(tmp_path / "jupyterlab.png"))
        # Bubbles have no internet: JupyterLab must not offer to fetch Jupyter news.
        assert page.get_by_text("notified about official Jupyter news").count() == 0
    finally:
        page.close()


def test_refusal_is_readable_in_the_browser(browser_hub: HubProcess, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{browser_hub.url}/hub/login")
        page.fill("#username_input", "alice")
        page.fill("#password_input", PASSWORDS["alice"])
        page.click("#login_submit")
        page.wait_for_url("**/hub/home")
        response = page.goto(f"{browser_hub.url}/hub/spawn/alice/snds-cardio-notebook")
        assert response is not None
        assert response.status == 403
        assert "alice is not a member of this project (rule: membership)" in page.inner_text("body")
    finally:
        page.close()
