"""The demo researcher's path in a real Chromium: log in, start a bubble, land in JupyterLab, ask for an export."""

from __future__ import annotations

import os
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


def log_in(page: object, hub: HubProcess, user: str) -> None:
    page.goto(f"{hub.url}/hub/login")  # type: ignore[attr-defined]
    page.fill("#username_input", user)  # type: ignore[attr-defined]
    page.fill("#password_input", PASSWORDS[user])  # type: ignore[attr-defined]
    page.click("#login_submit")  # type: ignore[attr-defined]
    page.wait_for_url("**/hub/home")  # type: ignore[attr-defined]


def test_researcher_logs_in_starts_a_bubble_and_lands_in_jupyterlab(
    browser_hub: HubProcess, browser: object, tmp_path: Path
) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        log_in(page, browser_hub, "alice")
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
        log_in(page, browser_hub, "alice")
        response = page.goto(f"{browser_hub.url}/hub/spawn/alice/snds-cardio-notebook")
        assert response is not None
        assert response.status == 403
        assert "alice is not a member of this project (rule: membership)" in page.inner_text("body")
    finally:
        page.close()


def test_researcher_requests_an_export_from_the_file_browser(
    browser_hub: HubProcess, browser: object, tmp_path: Path
) -> None:
    """The "Request export…" entry exists on outbox files, Download does not, and submitting makes a request."""
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        log_in(page, browser_hub, "alice")
        page.goto(f"{browser_hub.url}/hub/spawn/alice/psy-cohort-notebook")
        page.wait_for_url("**/user/alice/psy-cohort-notebook/**", timeout=90_000)
        outbox = browser_hub.state_dir / "projects" / "psy-cohort" / "work" / "alice" / "outbox"
        table = outbox / "ages.csv"
        table.write_text("age_band,F,M\n18-39,120,95\n40-64,210,180\n", encoding="utf-8")
        os.chown(table, outbox.stat().st_uid, outbox.stat().st_gid)

        page.goto(f"{browser_hub.url}/user/alice/psy-cohort-notebook/lab/tree/outbox")
        item = page.locator(".jp-DirListing-item[title*='ages.csv'], .jp-DirListing-item:has-text('ages.csv')").first
        item.wait_for(timeout=60_000)
        item.click(button="right")
        menu = page.locator(".lm-Menu")
        menu.get_by_text("Request export…").wait_for()
        labels = menu.locator(".lm-Menu-itemLabel").all_inner_texts()
        assert "Download" not in labels, labels
        assert "Copy Download Link" not in labels, labels
        menu.get_by_text("Request export…").click()

        dialog = page.locator(".jp-Dialog")
        dialog.locator("textarea[name='justification']").fill("Table 1 of the paper")
        assert dialog.locator("select[aria-label='kind of ages.csv']").input_value() == "frequency"
        dialog.get_by_role("button", name="Request export").click()
        submitted = page.locator(".bulle-airlock-submitted")
        submitted.wait_for(timeout=60_000)
        request_id = submitted.get_attribute("data-request")
        page.screenshot(path=str(tmp_path / "requested.png"))
        assert "automated checks say pass" in submitted.inner_text()
        dialog.get_by_role("button", name="Ok").click()

        # The palette's "Export requests" lists it, with its status.
        page.keyboard.press("Control+Shift+C")
        page.keyboard.type("Export requests")
        page.keyboard.press("Enter")
        row = page.locator(f".bulle-airlock-panel tr[data-request='{request_id}']")
        row.wait_for(timeout=30_000)
        assert row.get_attribute("data-status") == "submitted"
    finally:
        page.close()

    oscar = browser_hub.client()
    oscar.login("oscar", PASSWORDS["oscar"])
    queue = oscar.api("GET", "/bulle/airlock/requests?for=review").json()["requests"]
    assert request_id in [r["id"] for r in queue]
    REQUESTS["browser"] = str(request_id)


REQUESTS: dict[str, str] = {}


def test_checker_reviews_and_releases_and_the_researcher_downloads_from_the_hub(
    browser_hub: HubProcess, browser: object, tmp_path: Path
) -> None:
    """The rest of the demo: oscar approves and releases on the hub's pages, alice downloads the file there."""
    request_id = REQUESTS["browser"]
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        log_in(page, browser_hub, "oscar")
        page.click("#bulle-airlock-link")
        page.wait_for_url("**/hub/airlock")
        page.locator("#bulle-airlock-to-review").get_by_role("link", name=request_id).click()
        page.wait_for_url(f"**/hub/airlock/requests/{request_id}")
        assert "Table 1 of the paper" in page.inner_text(".bulle-justification")
        assert "threshold" in page.inner_text(".bulle-airlock-report")
        page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
        form = page.locator("form.bulle-airlock-decide").first
        form.locator("select[name='decision']").select_option("approve")
        form.locator("input[name='comment']").fill("every cell over 10")
        form.get_by_role("button", name="Record").click()
        page.wait_for_selector(".bulle-airlock-file[data-outcome='approved']")
        page.click("#bulle-airlock-released")
        page.wait_for_selector("#bulle-airlock-request[data-status='released']")
    finally:
        page.close()

    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        log_in(page, browser_hub, "alice")
        page.goto(f"{browser_hub.url}/hub/airlock")
        row = page.locator(f"#bulle-airlock-mine tr[data-request='{request_id}']")
        assert row.get_attribute("data-status") == "released"
        row.get_by_role("link", name=request_id).click()
        page.screenshot(path=str(tmp_path / "released.png"), full_page=True)
        with page.expect_download() as download:
            page.click(".bulle-airlock-download")
        saved = tmp_path / "ages.csv"
        download.value.save_as(saved)
        assert saved.read_text(encoding="utf-8") == "age_band,F,M\n18-39,120,95\n40-64,210,180\n"
    finally:
        page.close()
