"""A real headless browser for the tests: Playwright driving Debian's Chromium.

``tests/conftest.py`` turns these into fixtures: ``browser`` (one Chromium per test
session) and ``offline_page`` (a fresh tab in which every request is recorded and
every request but the pages the test opens is refused). Without Playwright or
Chromium the browser tests are skipped, or fail when the environment variable ``CI``
is set (CI must run them; ``sh bootstrap.sh dev`` installs both).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

# Playwright's own browser download is not reachable here: use the system's Chromium.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
DEFAULT_CHROMIUM = "/usr/bin/chromium"

# Headless, and quiet on the network: without the background-networking flags Chromium
# calls home at start-up, which a closed network refuses (and a test must never do).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

INSTALL_HINT = "run `sh bootstrap.sh dev` (it installs Debian's chromium and playwright)"


def chromium_path() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return DEFAULT_CHROMIUM if Path(DEFAULT_CHROMIUM).is_file() else None


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when ``CI`` is set: CI must run every browser test."""
    message = f"{reason}: {INSTALL_HINT}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class OfflinePage:
    """A browser tab that refuses every request except the pages the test opens.

    ``requests`` lists every URL the tab asked for (refused ones included) and
    ``errors`` every console error and uncaught exception, so a test can assert that a
    page fetched nothing and ran cleanly.
    """

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self._allowed: dict[str, str | None] = {}  # url -> body to serve (None: the file)
        self._folders: list[str] = []  # file:// prefixes whose files may be read
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.errors.append(f"uncaught: {err}"))

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console.{message.type}: {message.text}")

    def _allows(self, url: str) -> bool:
        return url in self._allowed or any(url.startswith(f) for f in self._folders)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if not self._allows(url):
            route.abort()
        elif url not in self._allowed:
            route.continue_()  # a file beside a page opened with its folder
        elif self._allowed[url] is None:
            route.continue_()  # a file:// page the test opened
        else:
            route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=self._allowed[url]
            )

    def open_file(self, path: Path, with_folder: bool = False) -> str:
        """Open a saved page from ``file://``; returns its URL. ``with_folder`` lets it
        read the files beside it (a report's pictures), and nothing else."""
        url = path.resolve().as_uri()
        self._allowed[url] = None
        if with_folder:
            self._folders.append(path.resolve().parent.as_uri() + "/")
        self.page.goto(url)
        return url

    def open_html(self, text: str, name: str = "page.html") -> str:
        """Open ``text`` as a page served at a made-up address (no server, no network)."""
        url = f"http://valuegrad.invalid/{name}"
        self._allowed[url] = text
        self.page.goto(url)
        return url

    def assert_offline_and_clean(self) -> None:
        """Nothing but the opened pages was requested, and nothing went wrong."""
        extra = [url for url in self.requests if not self._allows(url)]
        assert extra == [], f"the page tried to fetch {extra}"
        assert self.errors == [], "\n".join(self.errors)

    def close(self) -> None:
        """Close the tab and its context."""
        self.context.close()


def launch() -> tuple[Any, Any]:
    """(playwright, browser): a headless Chromium, or skip/fail when it cannot start."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed")
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
    except Exception:
        playwright.stop()
        raise
    return playwright, browser
