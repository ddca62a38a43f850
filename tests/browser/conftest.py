"""Headless Chromium (Debian's, not Playwright's download) pointed at pytest-django's live server.

Every page a test opens goes through one browser context that records each request, and a
test fails if any of them left the live server: the public pages load nothing from elsewhere.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_SCHEMES = {"data", "blob", "about"}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(`python3 tests/system_deps.py` does). Never `playwright install` here."
        )
    # While Playwright's sync API runs, an event loop is running in this thread, and Django
    # refuses the tests' own database calls (flush, loading the demo) as "from an async
    # context". Allow them for this package only, so other tests keep Django's check.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server: LiveServer, transactional_db: None) -> str:
    """The live server's base URL, with the Runbox demo history loaded."""
    call_command("load_demo", stdout=io.StringIO())
    return live_server.url


@pytest.fixture
def requested_urls() -> list[str]:
    return []


@pytest.fixture
def context(browser: Browser, site: str, requested_urls: list[str]) -> Iterator[BrowserContext]:
    # A reader far from Oslo: the page still shows the site's zone (CET) in its text.
    context = browser.new_context(
        base_url=site,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="America/New_York",
    )
    context.set_default_timeout(10_000)
    context.on("request", lambda request: requested_urls.append(request.url))
    yield context
    context.close()
    foreign = [url for url in requested_urls if not _is_on(site, url)]
    assert not foreign, f"pages requested URLs off the live server {site}: {foreign}"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _is_on(site: str, url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.netloc == urlsplit(site).netloc
