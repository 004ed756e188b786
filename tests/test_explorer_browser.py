"""The backward explorer in a real browser (headless Chromium through Playwright).

Every page is opened with all network access refused, and each test checks that it
asked for nothing but itself and logged no error. After every step the page's
``window.valuegradExplorer.state()`` is compared with the engine's own walk, worked out
here from :func:`viz.trace`: the step count, which nodes have their data and gradient,
and the values to 1e-12; the panel must show the same numbers.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import viz
from autograd import Value, toposort
from nn import cross_entropy, squared_error
from valuegrad import lecture
from viz.explore import assets, explore
from viz.trace import Trace

pytestmark = pytest.mark.dot

TOLERANCE = 1e-12

# One round trip per step: the state and what the panel says, as one JSON string
# (Playwright's own serialisation of a returned object costs ~30 ms for 57 nodes).
READ = """(k) => {
  const e = window.valuegradExplorers[k];
  const text = (id) => e.root.querySelector(`[data-testid="${id}"]`).textContent;
  return JSON.stringify({state: e.state(), panel: text("panel"), counter: text("counter")});
}"""


def num(x: float) -> str:
    """A number as the panel prints it: 6 significant digits, never "-0"."""
    return "0" if x == 0 else format(x, ".6g")


@dataclass
class Walk:
    """The engine's walk as the explorer must show it, worked out from a Trace alone."""

    trace: Trace
    phases: list[str]  # after each step 0..steps
    data: list[list[float | None]]
    grads: list[list[float | None]]
    numbers: list[list[str]]  # what the panel must contain after each step
    lines: list[str]  # Trace.text()'s line for each backward step (seed first)

    @classmethod
    def of(cls, tr: Trace) -> Walk:
        n = len(tr.names)
        index = {name: i for i, name in enumerate(tr.names)}
        data: list[float | None] = [None] * n
        grad: list[float | None] = [None] * n
        out = cls(tr, ["forward"], [list(data)], [list(grad)], [[]], [])
        # forward: each node's value, in the walk's (topological) order
        for i in range(n):
            data[i] = tr.data[i]
            out._record("forward", data, grad, [num(tr.data[i])])
        # the seed, then every edge into a non-constant, in backward's order
        grad[n - 1] = 1.0
        text = tr.text().split("\n")
        out.lines.append(text[1])
        out._record("backward", data, grad, [text[1]])
        step_lines = [line for line in text[2:] if "∂" in line]  # not the sums' totals
        edges = [s for s in tr.steps if not s.constant]
        assert len(step_lines) == len(edges)
        for s, line in zip(edges, step_lines, strict=True):
            grad[index[s.parent]] = s.total
            out.lines.append(line)
            out._record("backward", data, grad, [line, num(s.contribution), num(s.total)])
        out.phases[-1] = "done"
        return out

    def _record(self, phase: str, data: list, grad: list, numbers: list[str]) -> None:
        self.phases.append(phase)
        self.data.append(list(data))
        self.grads.append(list(grad))
        self.numbers.append(numbers)

    @property
    def steps(self) -> int:
        return len(self.phases) - 1

    def check(self, view: dict[str, Any], k: int) -> None:
        """The page after step k agrees with the walk."""
        state = view["state"]
        where = f"step {k}"
        assert state["step"] == k and state["steps"] == self.steps, where
        assert state["phase"] == self.phases[k], where
        assert view["counter"] == f"step {k} of {self.steps}"
        nodes = state["nodes"]
        assert [node["id"] for node in nodes] == [f"n{i}" for i in range(len(nodes))]
        assert [node["label"] for node in nodes] == list(self.trace.names)
        for what, expected in (("data", self.data[k]), ("grad", self.grads[k])):
            for node, value in zip(nodes, expected, strict=True):
                shown = node[what]
                assert (shown is None) == (value is None), f"{where}: {node['label']}.{what}"
                if value is not None:
                    assert abs(shown - value) <= TOLERANCE, f"{where}: {node['label']}.{what}"
        for text in self.numbers[k]:
            assert text in view["panel"], f"{where}: {text!r} not in the panel {view['panel']!r}"


def read(tab: Any, k: int = 0) -> dict[str, Any]:
    """The state and panel of the k-th explorer on the page."""
    return json.loads(tab.page.evaluate(READ, k))


def step_with_buttons(tab: Any, walk: Walk) -> None:
    """Reset, then press next to the end and prev back, checking every step.

    The buttons are clicked with the mouse at their place on the screen (found once:
    the toolbar does not move), which is a real click without Playwright's per-click
    checks, so a walk of a hundred steps takes a second rather than five.
    """
    page = tab.page

    places = {}
    for testid in ("reset", "next", "prev"):
        box = page.locator(f".vg-explorer [data-testid={testid}]").first.bounding_box()
        assert box is not None, testid
        places[testid] = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(*places["reset"])
    walk.check(read(tab), 0)
    for k in range(1, walk.steps + 1):
        page.mouse.click(*places["next"])
        walk.check(read(tab), k)
    assert page.is_disabled(".vg-explorer [data-testid=next]")
    for k in range(walk.steps - 1, max(walk.steps - 4, -1), -1):
        page.mouse.click(*places["prev"])
        walk.check(read(tab), k)


def step_with_keys(tab: Any, walk: Walk) -> None:
    """Home, then → to the end, ← back a few, End and Home, checking every step."""
    page = tab.page
    page.focus(".vg-explorer")
    page.keyboard.press("Home")
    walk.check(read(tab), 0)
    for k in range(1, walk.steps + 1):
        page.keyboard.press("ArrowRight")
        walk.check(read(tab), k)
    page.keyboard.press("ArrowRight")  # past the end: stays there
    walk.check(read(tab), walk.steps)
    for k in range(walk.steps - 1, max(walk.steps - 4, -1), -1):
        page.keyboard.press("ArrowLeft")
        walk.check(read(tab), k)
    page.keyboard.press("End")
    walk.check(read(tab), walk.steps)
    page.keyboard.press("Home")
    walk.check(read(tab), 0)


def lecture_f() -> tuple[Value, list[Value]]:
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f, [x, y, z]


def first_network_loss() -> tuple[Any, Value]:
    net = lecture.first_network()
    loss = squared_error(net(list(lecture.X)), list(lecture.Y))
    loss.label = "loss"
    return net, loss


# ------------------------------------------------------------------ (x + y) * z
def test_the_slides_example_offline_with_buttons_and_keys(
    offline_page: Any, tmp_path: Path
) -> None:
    f, leaves = lecture_f()
    walk = Walk.of(viz.trace(f))
    assert walk.steps == 5 + 1 + 4
    page = explore(f).save(tmp_path / "f.html")
    url = offline_page.open_file(page)
    assert offline_page.requests == [url]
    step_with_buttons(offline_page, walk)
    step_with_keys(offline_page, walk)
    # the last state holds the lecture's numbers: df/dx = df/dy = -4, df/dz = 3
    offline_page.page.keyboard.press("End")
    final = {n["label"]: n["grad"] for n in read(offline_page)["state"]["nodes"]}
    f.backward()
    assert final == {"x": -4.0, "y": -4.0, "q": -4.0, "z": 3.0, "f": 1.0}
    assert [final[v.label] for v in leaves] == [v.grad for v in leaves]
    offline_page.assert_offline_and_clean()


def test_play_slider_and_goto(offline_page: Any) -> None:
    f, _ = lecture_f()
    walk = Walk.of(viz.trace(f))
    offline_page.open_html(explore(f).html)
    page = offline_page.page
    page.select_option("[data-testid=speed]", "16")  # 10 steps: well over half a second
    page.click("[data-testid=play]")
    assert page.text_content("[data-testid=play]").endswith("pause")
    page.wait_for_function("window.valuegradExplorer.state().phase === 'done'", timeout=5000)
    walk.check(read(offline_page), walk.steps)
    page.wait_for_function(
        "document.querySelector('[data-testid=play]').textContent.endsWith('play')"
    )
    # the slider goes anywhere, goto() clamps, and a non-number is refused
    page.eval_on_selector(
        "[data-testid=slider]",
        "s => { s.value = '6'; s.dispatchEvent(new Event('input', {bubbles: true})); }",
    )
    walk.check(read(offline_page), 6)
    page.evaluate("window.valuegradExplorer.goto(99)")
    walk.check(read(offline_page), walk.steps)
    page.evaluate("window.valuegradExplorer.goto(-3)")
    walk.check(read(offline_page), 0)
    error = page.evaluate(
        "() => { try { window.valuegradExplorer.goto('x'); } catch (e) { return e.name; } }"
    )
    assert error == "TypeError"
    page.keyboard.press("Tab")  # focus into the explorer, then space plays
    page.focus(".vg-explorer")
    page.keyboard.press(" ")
    page.wait_for_function("window.valuegradExplorer.state().phase === 'done'", timeout=5000)
    offline_page.assert_offline_and_clean()


def test_clicking_a_node_shows_its_details_and_jumps_to_its_gradient_step(
    offline_page: Any,
) -> None:
    f, _ = lecture_f()
    tr = viz.trace(f)
    walk = Walk.of(tr)
    offline_page.open_html(explore(f).html)
    page = offline_page.page
    # q is n2; its gradient is complete after the seed and the edge f -> q: step 5 + 2
    page.click("g.node:has(> title:text-is('n2'))")
    walk.check(read(offline_page), 7)
    details = page.text_content("[data-testid=details]")
    for text in (
        "q",
        "op+",
        "formulaq = x + y",
        "data3",
        "grad-4.0000",
        "parentsx, y",
        "childrenf",
    ):
        assert text in details, (text, details)
    # the details link to the parents; a click on one selects it and jumps to its step
    page.click("[data-testid=details] .vg-link:text-is('x')")
    walk.check(read(offline_page), 9)  # x's gradient arrives with the edge q -> x
    page.click("[data-testid=goto-forward]")
    walk.check(read(offline_page), 1)  # x's forward step
    offline_page.assert_offline_and_clean()


def test_pan_zoom_and_fit(offline_page: Any) -> None:
    f, _ = lecture_f()
    offline_page.open_html(explore(f).html)
    page = offline_page.page
    box = "document.querySelector('.vg-graph svg').getAttribute('viewBox')"
    home = page.evaluate(box)
    width = float(home.split()[2])
    page.click("[data-testid=fit]")
    assert page.evaluate(box) == home
    page.hover(".vg-graph svg")
    page.mouse.wheel(0, -300)  # zoom in around the pointer
    zoomed = [float(v) for v in page.evaluate(box).split()]
    assert zoomed[2] < width
    page.mouse.move(600, 300)
    page.mouse.down()
    page.mouse.move(500, 250, steps=5)
    page.mouse.up()
    panned = [float(v) for v in page.evaluate(box).split()]
    assert panned[2] == zoomed[2] and panned[0] > zoomed[0]  # dragged left: view moved right
    page.click("[data-testid=fit]")
    assert page.evaluate(box) == home
    offline_page.assert_offline_and_clean()


def test_two_explorers_on_one_page_are_independent(offline_page: Any) -> None:
    f, _ = lecture_f()
    x = Value(1.0, "x")
    g = x * x + x
    page_text = (
        "<!doctype html><html><head><meta charset=utf-8>"
        + assets()
        + "</head><body>"
        + explore(f).fragment()
        + explore(g).fragment()
        + "</body></html>"
    )
    offline_page.open_html(page_text)
    page = offline_page.page
    assert page.evaluate("window.valuegradExplorers.length") == 2
    assert page.evaluate("window.valuegradExplorer === window.valuegradExplorers[0]")
    page.click(".vg-explorer >> nth=0 >> [data-testid=next]")
    page.focus(".vg-explorer >> nth=1")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert read(offline_page, 0)["state"]["step"] == 1
    assert read(offline_page, 1)["state"]["step"] == 3
    offline_page.assert_offline_and_clean()


# ------------------------------------------------------------------ x * x + x
def test_a_shared_node_shows_its_running_sum(offline_page: Any, tmp_path: Path) -> None:
    x = Value(1.0, "x")
    g = x * x + x
    g.label = "g"
    walk = Walk.of(viz.trace(g))
    offline_page.open_file(explore(g).save(tmp_path / "g.html"))
    step_with_buttons(offline_page, walk)
    step_with_keys(offline_page, walk)
    # by hand: d(x*x + x)/dx = 2x + 1 = 3 at x = 1, arriving as 1 (from the sum), then
    # x = 1 and x = 1 (the two arguments of the product): running sums 1, 2, 3
    sums, panels = [], []
    for k in range(walk.steps + 1):
        offline_page.page.evaluate("k => window.valuegradExplorer.goto(k)", k)
        view = read(offline_page)
        shown = view["state"]["nodes"][0]["grad"]
        if shown is not None and (not sums or shown != sums[-1]):
            sums.append(shown)
            panels.append(view["panel"])
    assert sums == [1.0, 2.0, 3.0]
    for k, text in enumerate(panels, start=1):
        assert f"({k} of 3)" in text and f"x: {k} of 3 contributions, running sum {k}" in text
    assert "dg/dx = 1 + 1 + 1 = 3" in panels[-1]
    offline_page.assert_offline_and_clean()


# ---------------------------------------------------------- the lecture's networks
def test_the_first_networks_loss_steps_through_whole(offline_page: Any, tmp_path: Path) -> None:
    net, loss = first_network_loss()
    walk = Walk.of(viz.trace(loss, module=net))
    assert walk.steps == 57 + 1 + 60
    offline_page.open_file(explore(loss, module=net).save(tmp_path / "loss.html"))
    assert offline_page.page.locator("g.vg-cover:visible").count() == 0  # open: 57 Values
    step_with_buttons(offline_page, walk)
    step_with_keys(offline_page, walk)
    # at the end every parameter shows the gradient backward() computes
    offline_page.page.keyboard.press("End")
    shown = {n["label"]: n["grad"] for n in read(offline_page)["state"]["nodes"]}
    loss.backward()
    for name, p in net.named_parameters():
        assert abs(shown[name] - p.grad) <= TOLERANCE, name
    assert abs(shown["layers.0.neurons.0.w.0"] - 0.000528) < 5e-7  # the lecture's quiz
    offline_page.assert_offline_and_clean()


def visibility(page: Any, names: list[str]) -> set[str]:
    return set(
        page.evaluate(
            """names => names.map(n => {
              const g = [...document.querySelectorAll('g.node')]
                .find(el => el.querySelector(':scope > title').textContent === n);
              return getComputedStyle(g).visibility;
            })""",
            names,
        )
    )


def test_the_second_network_opens_collapsed_and_expands_neuron_by_neuron(
    offline_page: Any, tmp_path: Path
) -> None:
    net = lecture.second_network(seed=0)
    X_train, _, y_train, _ = lecture.split_data()
    loss = cross_entropy(net(list(X_train[0])), int(y_train[0]))
    loss.label = "loss"
    offline_page.open_file(explore(loss, module=net).save(tmp_path / "second.html"))
    page = offline_page.page
    assert page.locator("g.vg-cover:visible").count() == 22  # one box per neuron
    # the nodes each neuron call made, from their scopes: the first neuron of each layer
    order = toposort(loss)
    inside: dict[Any, list[str]] = {}
    for i, v in enumerate(order):
        if v.parents and v.scope and v.scope[-1] in [layer.neurons[0] for layer in net.layers]:
            inside.setdefault(v.scope[-1], []).extend([f"n{i}", f"n{i}_op"])
    first, second = net.layers[0].neurons[0], net.layers[1].neurons[0]
    assert visibility(page, inside[first]) == {"hidden"}
    page.click("[data-testid=fit]")
    page.click("g.vg-cover:has(> title:text-matches('^layers\\.0\\.neurons\\.0 '))")
    assert visibility(page, inside[first]) == {"visible"}
    assert visibility(page, inside[second]) == {"hidden"}
    assert page.locator("g.vg-cover:visible").count() == 21
    page.click("g.vg-cover:has(> title:text-matches('^layers\\.1\\.neurons\\.0 '))")
    assert visibility(page, inside[second]) == {"visible"}
    assert page.locator("g.vg-cover:visible").count() == 20
    # the open neuron's records show the walk's values as it reaches them
    walk = Walk.of(viz.trace(loss, module=net))
    page.evaluate("k => window.valuegradExplorer.goto(k)", walk.steps)
    walk.check(read(offline_page), walk.steps)
    grads = page.evaluate(
        """() => [...document.querySelectorAll('g.node text')]
          .map(t => t.textContent).filter(t => t.startsWith('grad '))"""
    )
    assert "grad ?" not in grads
    page.click("[data-testid=collapse-all]")
    assert visibility(page, inside[first]) == {"hidden"}
    assert page.locator("g.vg-cover:visible").count() == 22
    offline_page.assert_offline_and_clean()


def test_a_big_raw_graph_walks_every_node(offline_page: Any) -> None:
    x = Value(0.5, "x")
    v = x
    for k in range(600):
        v = (v * 0.999 + x) if k % 2 else (v * 1.001).tanh()
    walk = Walk.of(viz.trace(v))
    offline_page.open_html(explore(v).html)
    page = offline_page.page
    for k in (0, 1, len(walk.trace.names), len(walk.trace.names) + 1, walk.steps - 1, walk.steps):
        page.evaluate("k => window.valuegradExplorer.goto(k)", k)
        walk.check(read(offline_page), k)
    page.click("[data-testid=leaves] summary")
    assert page.text_content("[data-testid=leaves] td") == "x"
    offline_page.assert_offline_and_clean()


# ------------------------------------------------------------------ the demo
def test_the_demo_report_embeds_three_independent_explorers(
    offline_page: Any, tmp_path: Path
) -> None:
    from valuegrad import report

    page_parts = report._Page(tmp_path)
    facts: dict[str, Any] = {}
    report._chain_rule(page_parts, facts)  # (x + y) * z and the sigmoid neuron
    report._first_network(page_parts, facts, lambda message: None, report._Run())
    index = page_parts.write("report", "the explorer sections")
    assert index.read_text("utf-8").count("<script>") == 1  # the script once for all three
    offline_page.open_file(index, with_folder=True)
    page = offline_page.page
    assert page.evaluate("window.valuegradExplorers.length") == 3
    assert [
        json.loads(page.evaluate(f"JSON.stringify(window.valuegradExplorers[{k}].state())"))[
            "steps"
        ]
        for k in range(3)
    ] == [10, 36, 118]
    # each walks the engine's walk of its own graph, independently of the others
    f, _ = lecture_f()
    net, loss = first_network_loss()
    for k, walk in ((0, Walk.of(viz.trace(f))), (2, Walk.of(viz.trace(loss, module=net)))):
        page.evaluate("k => window.valuegradExplorers[k].goto(1e9)", k)
        walk.check(read(offline_page, k), walk.steps)
    assert read(offline_page, 1)["state"]["step"] == 0
    # the sigmoid neuron: its weights' gradients are the slide's dl/dz * x_k
    page.evaluate("window.valuegradExplorers[1].goto(1e9)")
    grads = {n["label"]: n["grad"] for n in read(offline_page, 1)["state"]["nodes"]}
    for name, value in facts["sigmoid_neuron"]["grads"].items():
        assert grads[name] == value
    offline_page.assert_offline_and_clean()


# ------------------------------------------------------------------ safety, lint
def test_odd_labels_are_shown_as_text(offline_page: Any) -> None:
    x = Value(2.0, "<img src=x onerror=alert(1)>")
    y = x * x
    y.label = "</script><b>y</b>"
    offline_page.open_html(explore(y).html)
    page = offline_page.page
    page.evaluate("window.valuegradExplorer.goto(3)")  # the seed: "d(...)/d(...) = 1"
    assert "</script><b>y</b>" in page.text_content("[data-testid=panel]")
    assert page.locator(".vg-panel img, .vg-panel b").count() == 0
    offline_page.assert_offline_and_clean()


def test_the_script_parses_and_defines_only_its_two_globals(offline_page: Any) -> None:
    script = re.search(r"<script>(.*)</script>", assets(), re.DOTALL)
    assert script
    offline_page.open_html("<!doctype html><html><body></body></html>")
    page = offline_page.page
    before = set(page.evaluate("Object.keys(window)"))
    page.add_script_tag(content=script.group(1))
    added = set(page.evaluate("Object.keys(window)")) - before
    assert added == {"valuegradExplorers", "valuegradExplorer"}
    assert page.evaluate("window.valuegradExplorers.length") == 0
    offline_page.assert_offline_and_clean()


# ------------------------------------------------------------------ Jupyter
def test_the_executed_notebook_holds_the_interactive_page(
    offline_page: Any, tmp_path: Path
) -> None:
    from tests.test_notebooks import build, code_cells, require_jupyter, text

    require_jupyter()
    import nbformat

    nb = nbformat.reads(build.notebook_path("01_backprop").read_text("utf-8"), as_version=4)
    for cell in code_cells(nb):
        cell["outputs"], cell["execution_count"] = [], None
    build.execute(nb, cwd=tmp_path)
    frames = [
        text(output["data"]["text/html"])
        for cell in code_cells(nb)
        for output in cell["outputs"]
        if "text/html" in output.get("data", {})
    ]
    assert len(frames) == 2  # f = (x + y) * z and the sigmoid neuron
    m = re.fullmatch(r'<iframe [^>]*srcdoc="([^"]*)"></iframe>', frames[0])
    assert m, frames[0][:300]
    offline_page.open_html(html.unescape(m.group(1)), "notebook-output.html")
    f, _ = lecture_f()
    walk = Walk.of(viz.trace(f))
    step_with_buttons(offline_page, walk)
    # and the output itself, as Jupyter shows it: the page runs inside its sandboxed
    # iframe, and the keys reach it once it has the focus
    offline_page.open_html(
        f"<!doctype html><html><body><p>a notebook</p>{frames[0]}</body></html>", "cell.html"
    )
    page = offline_page.page
    frame = page.frame_locator("iframe.valuegrad-explorer")
    frame.locator("[data-testid=next]").click()
    frame.locator("[data-testid=next]").click()
    frame.locator(".vg-explorer").focus()
    page.keyboard.press("ArrowRight")
    (inner,) = [fr for fr in page.frames if fr is not page.main_frame]
    walk.check(json.loads(inner.evaluate(READ, 0)), 3)
    assert page.evaluate("typeof window.valuegradExplorer") == "undefined"  # kept inside
    offline_page.assert_offline_and_clean()


def test_a_missing_browser_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.browser import unavailable

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"bootstrap\.sh dev"):
        unavailable("Chromium is not installed")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed"):
        unavailable("Chromium is not installed")
