"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server is Django's threaded WSGI server; with ``django.contrib.staticfiles``
installed pytest-django serves the static files too, so pages get their CSS and JavaScript.
Each xdist worker starts its own live server and its own browser.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.conftest import Tree, build_tree

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

# Fail fast: a page of this portal answers in milliseconds.
expect.set_options(timeout=5_000)


def t(message: str, language: str = "vi", **values: Any) -> str:
    """``message`` as the portal shows it in ``language`` (the tests follow the catalogs)."""
    with translation.override(language):
        text = translation.gettext(message)
    return text % values if values else text


def seed_reference_data() -> None:
    """Bring back what the data migrations seeded; ``transaction=True`` flushes it after each test."""
    for module in (
        "petitions.migrations.0003_seed_categories",
        "routing.migrations.0002_default_sla_policies",
    ):
        importlib.import_module(module).seed(apps, None)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        # Fail, not skip: a skipped browser suite would hide that nothing was checked.
        pytest.fail(
            f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium (make test does as root)"
        )
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django then
    # refuses database calls from it. Allow them while the browser runs, and only then:
    # package scope stops Playwright (and its loop) before the rest of the suite goes on.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield browser
    browser.close()


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, live_server: Any) -> Iterator[NewContext]:
    """Open a fresh browser profile (own cookies); a phone unless told otherwise."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(
            **{
                "base_url": live_server.url,
                "locale": "vi-VN",
                "timezone_id": "Asia/Ho_Chi_Minh",
                **PHONE,
                **options,
            }
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: NewContext) -> Page:
    return new_context().new_page()


@pytest.fixture
def portal(live_server: Any, settings: Any) -> Tree:
    """Reference data and the small unit tree, with tracking links pointing at the live server."""
    seed_reference_data()
    settings.PUBLIC_BASE_URL = live_server.url
    return build_tree()


Screenshot = Callable[[Page, str], None]


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """Save full-page screenshots into $BROWSER_SCREENSHOTS when it is set; do nothing otherwise."""
    directory = os.environ.get("BROWSER_SCREENSHOTS")
    test = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    taken = 0

    def take(page: Page, name: str) -> None:
        nonlocal taken
        if not directory:
            return
        taken += 1
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(directory) / f"{test}-{taken:02d}-{name}.png", full_page=True)

    return take
