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
# On CI a missing tool is a broken set-up, not a reason to pass: `bootstrap.sh dev`
# installs Graphviz, so there a `dot` test that cannot run fails.
ON_CI = bool(os.environ.get("CI"))
NO_DOT = "the Graphviz `dot` program is not installed"


def _needs_missing_dot(item: pytest.Item) -> bool:
    return not HAVE_DOT and item.get_closest_marker("dot") is not None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``dot`` skip where Graphviz is missing, except on CI (see below)."""
    if _needs_missing_dot(item) and not ON_CI:
        pytest.skip(NO_DOT)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """On CI (``CI`` set) a test marked ``dot`` fails, instead of running, without Graphviz."""
    if _needs_missing_dot(item):
        pytest.fail(
            f"{NO_DOT} but CI is set: a test marked `dot` must run on CI "
            "(install Graphviz: apt install graphviz, or sh bootstrap.sh dev)",
            pytrace=False,
        )


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


# --------------------------------------------------------------------- PyTorch
@pytest.fixture(scope="session")
def torch() -> Any:
    """The torch module, for the tests that compare with PyTorch (skipped, or failed
    under CI, when it is not installed: ``sh bootstrap.sh dev`` installs it)."""
    try:
        import torch
    except ImportError:
        if ON_CI:
            pytest.fail("torch is not installed, and CI is set: sh bootstrap.sh dev installs it")
        pytest.skip("torch is not installed (sh bootstrap.sh dev installs it)")
    return torch
