"""Browser fixtures: Playwright for Python driving Debian's chromium headless.

Playwright's own browser download is never used (it cannot be fetched here); the page refuses,
records and fails the test for any request that leaves this machine.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.network import is_local

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless chromium shared by the session's browser tests."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"browser tests need Debian's chromium at {CHROMIUM}: run the set-up command in README.md", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page; any request to another host is aborted and fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or is_local(host):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", guard)
    yield page
    context.close()
    if outside:
        pytest.fail(f"the page tried to reach the internet: {sorted(set(outside))[:5]}", pytrace=False)
