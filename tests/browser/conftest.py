"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server is Django's threaded WSGI server; with ``django.contrib.staticfiles``
installed pytest-django serves the static files too, so pages get their CSS and JavaScript.
Each xdist worker starts its own live server and its own browser.

WSGI has no WebSockets: tests of live updates ask for ``asgi_server`` instead (through
``server_url``), daphne serving ``config.asgi`` from a thread of the test process, so
that it shares the test database and the in-memory channel layer.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.conftest import Tree, build_tree, seed_reference_data

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
def server_url(live_server: Any) -> str:
    """Where the pages are served: pytest-django's live server (``asgi_server`` for live updates)."""
    return str(live_server.url)


@pytest.fixture
def new_context(browser: Browser, server_url: str) -> Iterator[NewContext]:
    """Open a fresh browser profile (own cookies); a phone unless told otherwise."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(
            **{
                "base_url": server_url,
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
def portal(server_url: str, settings: Any) -> Tree:
    """Reference data and the small unit tree, with tracking links pointing at the live server."""
    seed_reference_data()
    settings.PUBLIC_BASE_URL = server_url
    return build_tree()


# --- daphne, for pages with WebSockets ---------------------------------------------------------


@dataclass
class Daphne:
    url: str


@pytest.fixture(scope="session")
def _daphne() -> Iterator[Daphne]:
    """Daphne serving config.asgi (HTTP, static files and WebSockets) on a free port, in a thread.

    One per test process: Twisted's reactor runs once per process. A thread rather than a
    process (channels' ChannelsLiveServerTestCase) because the test database may be SQLite in
    memory, and because the in-memory channel layer only reaches sockets of its own process.
    """
    from daphne.server import Server  # installs the asyncio reactor before Twisted's default
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from twisted.internet import reactor as twisted_reactor

    from config.asgi import application

    reactor: Any = twisted_reactor

    server = Server(
        ASGIStaticFilesHandler(application),
        endpoints=["tcp:port=0:interface=127.0.0.1"],
        signal_handlers=False,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, name="daphne", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.listening_addresses:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("daphne did not start listening")
        time.sleep(0.01)
    host, port = server.listening_addresses[0]
    yield Daphne(url=f"http://{host}:{port}")
    reactor.callFromThread(reactor.stop)
    thread.join(timeout=5)


class _EveryThread:
    """Stands in for the thread-local store of database connections: every thread gets the same."""


@pytest.fixture
def asgi_server(_daphne: Daphne, transactional_db: None, channel_layer: Any) -> Iterator[Daphne]:
    """Daphne for one test, with this test's database and channel layer.

    With SQLite in memory, every thread must use the test's own connection, as Django's live
    server does for its threads; daphne runs each request in a thread of its own, so for the
    test's duration the connection handler hands that one connection to every thread.
    On PostgreSQL each thread opens its own connection to the test database.
    """
    handler: Any = connections
    conn: Any = handler["default"]
    if conn.vendor != "sqlite" or not conn.is_in_memory_db():
        yield _daphne
        return
    shared = _EveryThread()
    shared.default = conn  # type: ignore[attr-defined]
    original = handler._connections
    conn.inc_thread_sharing()
    handler._connections = shared
    try:
        yield _daphne
    finally:
        handler._connections = original
        conn.dec_thread_sharing()


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
