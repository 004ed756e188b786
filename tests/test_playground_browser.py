"""The playground in a real browser: Playwright driving Debian's Chromium against a real server.

The server is started as users start it (``python -m valuegrad playground --port 0
--no-browser``, reading the URL line). Every page is watched: a console error, an
uncaught exception or a request to any other address fails the test. The browser is
the session's shared one (``tests/browser.py``): when ``CI`` is set, a missing browser
or Playwright fails instead of skipping.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest

from valuegrad.playground.training import Trainer
from valuegrad.playground.validation import Settings, apply_settings


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "valuegrad", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/"), url
    yield url
    proc.send_signal(2)  # Ctrl-C
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err  # Ctrl-C: the status of every interrupted command
    assert "Traceback" not in err, err


class Watched:
    """A page whose console errors, page errors and foreign requests are collected."""

    def __init__(self, context, url: str) -> None:
        self.problems: list[str] = []
        self.allowed: list[str] = []
        self.page = context.new_page()
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

        def check(request) -> None:
            u = request.url
            if not (
                u.startswith(origin)
                or u.startswith("ws://127.0.0.1")
                or u.startswith("data:")
                or u == "about:blank"
            ):
                self.problems.append(f"foreign request: {u}")

        self.page.on("request", check)
        self.page.goto(url)
        self.page.wait_for_function(
            "window.valuegradPlayground && window.valuegradPlayground.state().trainLoss !== null"
        )

    def allow(self, text: str) -> None:
        """Accept console errors containing ``text`` (the browser logs an expected 4xx)."""
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a in p for a in self.allowed)]

    def state(self) -> dict:
        return self.page.evaluate("window.valuegradPlayground.state()")

    def js(self, expr: str):
        return self.page.evaluate(expr)


@pytest.fixture
def open_page(browser, server) -> Iterator:
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the page's CSP
    # forbids (the CSP itself is checked in test_playground_api).
    context = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 950})
    pages: list[Watched] = []

    def make(url: str = server) -> Watched:
        pages.append(Watched(context, url))
        return pages[-1]

    yield make
    problems = [p for w in pages for p in w.unexpected()]
    context.close()
    assert problems == [], problems


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_moons_learns_then_pause_stops_the_epochs(open_page) -> None:
    w = open_page()
    w.js("window.valuegradPlayground.set({dataset: 'moons', layers: [4, 4], lr: 0.1})")
    w.page.click("[data-testid=play]")
    w.page.wait_for_function(
        "window.valuegradPlayground.state().testAccuracy >= 0.95", timeout=60_000
    )
    assert w.state()["running"] is True
    w.page.click("[data-testid=pause]")
    w.page.wait_for_function("!window.valuegradPlayground.state().running")
    w.page.wait_for_timeout(300)
    epoch = w.state()["epoch"]
    w.page.wait_for_timeout(700)
    assert w.state()["epoch"] == epoch > 0
    shown = w.page.inner_text("[data-testid=epoch]").replace(",", "")
    assert int(shown) == epoch
    acc = w.page.inner_text("[data-testid=test-accuracy]")
    assert acc == f"{100 * w.state()['testAccuracy']:.1f}%"


def test_clicking_a_point_opens_its_graph_with_the_engines_loss(open_page, server) -> None:
    w = open_page()
    for _ in range(3):
        w.page.click("[data-testid=step]")
    w.page.wait_for_function("window.valuegradPlayground.state().epoch === 3")
    x, y, label = w.js("window.valuegradPlayground.data().train[0]")
    domain = w.js("window.valuegradPlayground.data().domain")
    box = w.page.locator("[data-testid=boundary]").bounding_box()
    px = (x - domain[0]) / (domain[1] - domain[0]) * box["width"]
    py = (domain[3] - y) / (domain[3] - domain[2]) * box["height"]
    w.page.click("[data-testid=boundary]", position={"x": px, "y": py})
    w.page.wait_for_selector("[data-testid=explain-panel]", state="visible")
    assert "this data point" in w.page.inner_text("[data-testid=explain-title]")
    frame = w.page.frame_locator("[data-testid=explain-frame]")
    loss_cell = frame.locator("[data-testid=explain-loss]")
    loss_cell.wait_for(timeout=30_000)
    assert float(frame.locator("[data-testid=explain-x]").get_attribute("data-value")) == x
    assert float(frame.locator("[data-testid=explain-y]").get_attribute("data-value")) == y
    assert frame.locator("[data-testid=explain-label]").get_attribute("data-value") == str(label)
    assert frame.locator("[data-testid=explain-graph] svg").count() == 1
    # the loss the engine computed, against numpy on the downloaded weights
    sid = w.js("window.valuegradPlayground.session()")
    model = _get_json(f"{server}api/sessions/{sid}/model")

    def numpy_loss(x1: float, x2: float) -> float:
        a = np.array([x1, x2])
        for k, (W, b) in enumerate(zip(model["weights"], model["biases"], strict=True)):
            z = np.array(W) @ a + np.array(b)
            a = np.tanh(z) if k < len(model["weights"]) - 1 else z
        return float(a.max() + math.log(np.exp(a - a.max()).sum()) - a[label])

    expected = numpy_loss(x, y)
    shown = float(loss_cell.get_attribute("data-value"))
    assert shown == pytest.approx(expected, rel=1e-12)
    # the backward explorer in the panel steps through this loss's graph
    explorer = next(f for f in w.page.frames if "/explain" in f.url)
    first = explorer.evaluate("window.valuegradExplorer.state()")
    assert first["step"] == 0 and first["phase"] == "forward"
    assert all(n["data"] is None and n["grad"] is None for n in first["nodes"])
    frame.locator("[data-testid=next]").click()
    frame.locator("[data-testid=next]").click()
    assert explorer.evaluate("window.valuegradExplorer.state()")["step"] == 2
    explorer.evaluate("window.valuegradExplorer.goto(window.valuegradExplorer.state().steps)")
    done = explorer.evaluate("window.valuegradExplorer.state()")
    assert done["phase"] == "done"
    by_label = {n["label"]: n for n in done["nodes"]}
    assert by_label["loss"]["data"] == pytest.approx(expected, rel=1e-12)
    eps = 1e-6  # d loss / d x1 by central differences of the numpy loss
    numeric = (numpy_loss(x + eps, y) - numpy_loss(x - eps, y)) / (2 * eps)
    assert by_label["x1"]["grad"] == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    w.page.click("[data-testid=explain-close]")
    assert w.page.locator("[data-testid=explain-panel]").is_hidden()
    # an empty spot: the loss for the class chosen under "add a point"
    w.page.select_option("[data-testid=add-class]", "1")
    w.page.click("[data-testid=boundary]", position={"x": 2, "y": 2})
    w.page.wait_for_selector("[data-testid=explain-panel]", state="visible")
    assert "class 1" in w.page.inner_text("[data-testid=explain-title]")
    frame.locator("[data-testid=explain-label][data-value='1']").wait_for(timeout=30_000)


def test_add_points_upload_a_csv_and_change_the_layers(open_page, tmp_path) -> None:
    w = open_page()
    n_train = len(w.js("window.valuegradPlayground.data().train"))
    w.page.select_option("[data-testid=click-mode]", "add")
    w.page.select_option("[data-testid=add-class]", "1")
    w.page.click("[data-testid=boundary]", position={"x": 20, "y": 30})
    w.page.click("[data-testid=boundary]", position={"x": 280, "y": 270})
    w.page.wait_for_function(f"window.valuegradPlayground.data().train.length === {n_train + 2}")
    added = w.js("window.valuegradPlayground.settings().added")
    assert [p[2] for p in added] == [1, 1]
    assert "added=" in w.page.url  # the link carries the added points
    # a CSV of 40 rows replaces the data set
    csv = tmp_path / "points.csv"
    csv.write_text("x,y,label\n" + "".join(f"{i / 20},{(i % 7) / 7},{i % 2}\n" for i in range(40)))
    w.page.set_input_files("[data-testid=csv]", str(csv))
    w.page.wait_for_function(
        "(() => { const d = window.valuegradPlayground.data();"
        " return d && d.train.length + d.test.length === 40; })()"
    )
    assert w.js("window.valuegradPlayground.settings().dataset") == "custom"
    # layers: type widths, then add a layer with the + button
    w.page.fill("[data-testid=layers]", "3,2")
    w.page.press("[data-testid=layers]", "Enter")
    w.page.locator("[data-testid=layers]").blur()
    w.page.wait_for_function("document.querySelectorAll('[data-testid=neuron]').length === 5")
    w.page.click("[data-testid=add-layer]")
    w.page.wait_for_function("document.querySelectorAll('[data-testid=neuron]').length === 7")
    assert w.js("window.valuegradPlayground.settings().layers") == [3, 2, 2]
    w.page.click("[data-testid=add-neuron-0]")
    w.page.wait_for_function("window.valuegradPlayground.settings().layers[0] === 4")


def test_a_bad_setting_shows_a_message_and_the_api_says_422(open_page) -> None:
    w = open_page()
    w.allow("the server responded with a status of 422")  # the bad settings, on purpose
    with w.page.expect_response(lambda r: r.url.endswith("/settings")) as response:
        w.page.fill("[data-testid=batch-size]", "0")
        w.page.locator("[data-testid=batch-size]").blur()
    assert response.value.status == 422
    assert response.value.json()["field"] == "batchSize"
    message = w.page.locator("[data-testid=message]")
    message.wait_for(state="visible")
    assert "batchSize must be an integer from 1" in message.inner_text()
    assert w.page.input_value("[data-testid=batch-size]") == "10"  # back to what runs
    w.page.evaluate("window.valuegradPlayground.set({layers: [4, 99]}).catch(() => {})")
    w.page.wait_for_function(
        "document.querySelector('[data-testid=message]').textContent.includes('layers[1]')"
    )
    # a good setting clears the message
    w.js("window.valuegradPlayground.set({lr: 0.03})")
    w.page.wait_for_function("document.querySelector('[data-testid=message]').hidden")


def test_two_tabs_train_independently_and_a_link_reproduces_a_run(open_page, server) -> None:
    a, b = open_page(), open_page()
    assert a.js("window.valuegradPlayground.session()") != b.js(
        "window.valuegradPlayground.session()"
    )
    b.js("window.valuegradPlayground.set({seed: 3, activation: 'relu', layers: [5]})")
    a.page.click("[data-testid=play]")
    a.page.wait_for_function("window.valuegradPlayground.state().epoch >= 20")
    assert b.state()["epoch"] == 0 and b.state()["running"] is False
    b.page.click("[data-testid=step]")
    b.page.wait_for_function("window.valuegradPlayground.state().epoch === 1")
    alone = Trainer(apply_settings(Settings(), {"seed": 3, "activation": "relu", "layers": [5]}))
    alone.run_epoch()
    assert b.state()["testLoss"] == alone.test_loss[-1]
    assert a.state()["running"] is True
    a.page.click("[data-testid=pause]")
    # b's address holds its settings: a third tab opened from it runs the same numbers
    c = open_page(b.page.url)
    assert c.js("window.valuegradPlayground.settings().layers") == [5]
    c.page.click("[data-testid=step]")
    c.page.wait_for_function("window.valuegradPlayground.state().epoch === 1")
    assert c.state()["testLoss"] == alone.test_loss[-1]
    # closing a tab frees its session
    sid = c.js("window.valuegradPlayground.session()")
    c.page.close()
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            _get_json(f"{server}api/sessions/{sid}")
        except urllib.error.HTTPError as err:
            assert err.code == 404
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the closed tab's session is still there")
