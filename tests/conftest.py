"""Shared test configuration: hypothesis profiles, the `dot` marker, the browser fixtures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.browser import OfflinePage, launch

# deadline=None: timings on a loaded 2-core machine vary too much to be a test.
settings.register_profile(
    "default", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

HAVE_DOT = shutil.which("dot") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``dot`` when the Graphviz program is missing (CI installs it)."""
    if HAVE_DOT:
        return
    skip = pytest.mark.skip(reason="the Graphviz `dot` program is not installed")
    for item in items:
        if "dot" in item.keywords:
            item.add_marker(skip)


# ------------------------------------------------------------------- the browser
# Shared by every test that opens a page (tests/browser.py says how it is set up).
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (skipped, or failed under CI, if absent)."""
    playwright, chromium = launch()
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def offline_page(browser: Any) -> Iterator[OfflinePage]:
    """A fresh tab that refuses every request but the pages the test opens."""
    tab = OfflinePage(browser)
    try:
        yield tab
    finally:
        tab.close()
