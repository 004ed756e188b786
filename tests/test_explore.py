"""viz.explore on the Python side: the steps against the engine's walk, the page, saving.

What the page does with the steps is tested in a real browser in
``tests/test_explorer_browser.py``.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from pathlib import Path

import pytest

import viz
from autograd import Value, scope, toposort
from nn import squared_error
from valuegrad import lecture
from valuegrad.cli import main
from viz import graph as viz_graph
from viz.explore import DEFAULT_MAX_VALUES, Explorer, assets, explore

pytestmark = pytest.mark.dot  # every explorer lays its graph out with Graphviz dot

STATIC = Path(viz.__file__).resolve().parent / "static"


def lecture_f() -> tuple[Value, list[Value]]:
    """The slide's f = (x + y) * z at x = -2, y = 5, z = -4, with q = x + y named."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f, [x, y, z]


def num(x: float) -> str:
    """A number as the slide-style text prints it (6 significant digits, never -0)."""
    return "0" if x == 0 else format(x, ".6g")


# ------------------------------------------------------------------ the steps
def test_the_slides_example_has_a_forward_step_per_node_then_the_seed_then_each_edge() -> None:
    f, _ = lecture_f()
    e = explore(f)
    d = e.data()
    # 5 nodes forward (x, y, q, z, f in the engine's walk), the seed, 4 edges back
    assert e.steps == 10 == len(d["steps"])
    assert [s["phase"] for s in d["steps"]] == ["forward"] * 5 + ["backward"] * 5
    order = toposort(f)
    assert [d["nodes"][s["node"]]["label"] for s in d["steps"][:5]] == [v.label for v in order]
    assert [s["node"] for s in d["steps"][:5]] == [0, 1, 2, 3, 4]
    # the forward lines: q = x + y = -2 + 5 = 3, f = q·z = 3·(-4) = -12
    assert d["steps"][2]["text"] == "q = x + y = (-2) + 5 = 3"
    assert d["steps"][4]["text"] == "f = q·z = 3·(-4) = -12"
    assert d["steps"][0]["text"].startswith("x = -2")
    # then the backward lines, exactly as Trace.text() prints them
    seed, *back = d["steps"][5:]
    assert seed["text"] == "df/df = 1" and seed["grad"] == 1.0 and seed["node"] == 4
    assert [s["text"] for s in back] == [
        "df/dq = df/df · ∂f/∂q = 1 · z = 1 · (-4) = -4",
        "df/dz = df/df · ∂f/∂z = 1 · q = 1 · 3 = 3",
        "df/dx = df/dq · ∂q/∂x = -4 · 1 = -4",
        "df/dy = df/dq · ∂q/∂y = -4 · 1 = -4",
    ]
    # the gradients each step leaves behind are the slide's
    labels = [d["nodes"][s["node"]]["label"] for s in back]
    assert list(zip(labels, [s["grad"] for s in back], strict=True)) == [
        ("q", -4.0),
        ("z", 3.0),
        ("x", -4.0),
        ("y", -4.0),
    ]
    assert back[0]["formula"] == "local derivative ∂f/∂q = z, from f = q·z"


def test_every_backward_line_is_a_line_of_trace_text_in_the_same_order() -> None:
    net = lecture.first_network()
    loss = squared_error(net(list(lecture.X)), list(lecture.Y))
    tr = viz.trace(loss, module=net)
    d = explore(loss, module=net).data()
    back = [s for s in d["steps"] if s["phase"] == "backward"]
    shown = [line for s in back for line in s["text"].split("\n")]
    assert shown == tr.text().split("\n")[1:]  # all but the header line
    # one step per edge into a non-constant (the 0.5 and the two targets are constants)
    assert len(back) == 1 + sum(not s.constant for s in tr.steps) == 1 + 60
    assert len(d["steps"]) == 57 + 1 + 60


def test_a_node_used_three_times_receives_three_contributions_with_a_running_sum() -> None:
    x = Value(1.0, "x")
    g = x * x + x
    g.label = "g"
    d = explore(g).data()
    into_x = [s for s in d["steps"] if s["phase"] == "backward" and s["node"] == 0]
    # d(x*x + x)/dx = 2x + 1 = 3 at x = 1: 1 from the sum, then x and x from the product
    assert [(s["index"], s["count"], s["grad"]) for s in into_x] == [
        (1, 3, 1.0),
        (2, 3, 2.0),
        (3, 3, 3.0),
    ]
    assert into_x[-1]["text"].endswith("dg/dx = 1 + 1 + 1 = 3")
    assert "(3 of 3)" in into_x[-1]["text"]
    # x * x draws two arrows n0 -> n1_op: the two steps light the first, then the second
    assert [s["edges"][-1] for s in into_x[1:]] == [["n0->n1_op", 0], ["n0->n1_op", 1]]


def test_constants_are_walked_forward_but_get_no_gradient_step() -> None:
    x = Value(3.0, "x")
    y = 2 * x + 1
    y.label = "y"
    d = explore(y).data()
    kinds = [n["kind"] for n in d["nodes"]]
    assert kinds.count("constant") == 2
    for n in d["nodes"]:
        assert (n["grad"] is None) == (n["kind"] == "constant")
    constants = {i for i, k in enumerate(kinds) if k == "constant"}
    back = [s for s in d["steps"] if s["phase"] == "backward"]
    assert not constants & {s["node"] for s in back}
    # y -> 2x and 2x -> x; y -> 1 and 2x -> 2 go into constants and are skipped
    assert len(d["steps"]) == len(kinds) + 1 + 2
    (x_node,) = [n for n in d["nodes"] if n["label"] == "x"]
    assert x_node["grad"] == 2.0  # dy/dx


def test_a_sum_of_many_contributions_is_shortened_in_the_middle() -> None:
    x = Value(0.5, "x")
    total = x
    for _ in range(19):
        total = total + x  # x is used 20 times
    total.label = "s"
    d = explore(total).data()
    last = [s for s in d["steps"] if s.get("node") == 0][-1]
    line = last["text"].split("\n")[1]
    assert line == "ds/dx = 1 + 1 + 1 + 1 + … (12 more) + 1 + 1 + 1 + 1 = 20"


def test_a_lone_leaf_is_one_forward_step_and_the_seed() -> None:
    d = explore(Value(3.0, "x")).data()
    assert [(s["phase"], s["text"]) for s in d["steps"]] == [
        ("forward", "x = 3   (the output: a leaf)"),
        ("backward", "dx/dx = 1"),
    ]


def test_forward_formulas_substitute_names_and_numbers() -> None:
    w, b = Value(0.5, "w"), Value(-1.0, "b")
    h = (w * 2.0 + b).tanh()
    h.label = "h"
    p = h.sigmoid()
    p.label = "p"
    d = explore(p).data()
    text = {
        d["nodes"][s["node"]]["label"]: s["text"] for s in d["steps"] if s["phase"] == "forward"
    }
    assert text["h"] == f"h = tanh(n4) = tanh(0) = {num(math.tanh(0.0))}"
    assert text["p"] == f"p = 1/(1 + exp(-h)) = 1/(1 + exp(-0)) = {num(0.5)}"
    assert text["w"] == "w = 0.5   (an input)"
    assert d["nodes"][-1]["formula"] == "p = 1/(1 + exp(-h))"


# ----------------------------------------------------------- module graphs
def test_a_network_graph_gets_one_cluster_per_neuron_with_its_output() -> None:
    net = lecture.first_network()
    loss = squared_error(net(list(lecture.X)), list(lecture.Y))
    d = explore(loss, module=net).data()
    assert len(d["clusters"]) == 5 and d["expanded"] is True  # 57 Values: open
    order = toposort(loss)
    neurons = [n for layer in net.layers for n in layer.neurons]
    for cluster in d["clusters"]:
        tags = {order[i].scope[-1] for i in cluster["nodes"]}
        assert len(tags) == 1 and tags.pop() in neurons
        (out,) = cluster["outputs"]
        assert order[out].op == "sigmoid"  # each neuron's output is its activation


def test_the_second_network_opens_collapsed() -> None:
    net = lecture.second_network(seed=0)
    loss = lecture_sample_loss(net)
    d = explore(loss, module=net).data()
    assert len(d["clusters"]) == sum(lecture.SECOND_NETWORK_SIZES) == 22
    assert d["expanded"] is False
    assert len(d["nodes"]) > 100


def lecture_sample_loss(net: object) -> Value:
    from nn import cross_entropy

    X_train, _, y_train, _ = lecture.split_data()
    loss = cross_entropy(net(list(X_train[0])), int(y_train[0]))  # type: ignore[operator]
    loss.label = "loss"
    return loss


def test_a_big_raw_graph_is_drawn_as_the_outputs_neighbourhood() -> None:
    x = Value(0.5, "x")
    v = x
    for k in range(1500):
        v = (v * 0.999 + x) if k % 2 else (v * 1.001).tanh()
    v.label = "out"
    e = explore(v)
    d = e.data()
    assert len(d["nodes"]) == len(toposort(v)) > 3000
    assert len(d["boxes"]) == 1
    (box,) = d["boxes"]
    drawn = {n["el"] for n in d["nodes"]} - {None, box["id"]}
    assert len(drawn) + 1 <= 80
    assert "more than" in e.svg and "operations from the output" in e.svg
    # every node is still walked: one forward step each
    assert sum(s["phase"] == "forward" for s in d["steps"]) == len(d["nodes"])
    assert d["leaves"] == [0]  # the only input


def test_draw_graph_depth_draws_the_neighbourhood_and_a_box_for_the_rest() -> None:
    f, _ = lecture_f()
    g = f * f + f
    src = viz.draw_graph(g, depth=1).source
    # g = (f*f) + f: depth 1 keeps g and its parents f*f and f; the rest is one box
    assert "the rest: more than 1 operations from the output" in src
    assert re.search(r"\bb0 \[", src)
    with pytest.raises(ValueError, match="depth must be a positive int"):
        viz.draw_graph(g, depth=0)


# ------------------------------------------------------------------ the page
def test_the_page_is_self_contained() -> None:
    f, _ = lecture_f()
    page = explore(f).html
    assert page.startswith("<!doctype html>")
    assert STATIC.joinpath("explorer.js").read_text("utf-8") in page
    assert STATIC.joinpath("explorer.css").read_text("utf-8") in page
    assert "<svg" in page and "<?xml" not in page and "<!DOCTYPE svg" not in page
    # nothing to fetch: no src/href attributes, no CSS url() or @import, no http(s) URL
    # other than the SVG namespace names (identifiers, never requested)
    assert not re.search(r"\s(src|href|xlink:href)\s*=", page)
    assert "url(" not in page and "@import" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_odd_labels_cannot_break_out_of_the_page() -> None:
    x = Value(1.0, "</script><script>alert(1)</script>")
    y = x * 2.0
    y.label = "a & b <i>"
    e = explore(y)
    page = e.html
    data = page.split('<script type="application/json" class="vg-data">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data and ">" not in data and "&" not in data
    assert json.loads(data)["nodes"][0]["label"] == "</script><script>alert(1)</script>"
    assert "alert(1)</script>" not in page.replace(data, "")  # the SVG escapes it too


def test_assets_and_fragments_make_a_page_of_several_explorers() -> None:
    f, _ = lecture_f()
    text = assets() + explore(f).fragment() + explore(f * 2.0).fragment()
    assert text.count('class="vg-explorer"') == 2
    assert text.count("<script>") == 1  # the script once for both


def test_repr_html_is_the_page_in_an_iframe_srcdoc() -> None:
    f, _ = lecture_f()
    e = explore(f)
    out = e._repr_html_()
    m = re.fullmatch(r'<iframe [^>]*srcdoc="([^"]*)"></iframe>', out)
    assert m, out[:200]
    assert html.unescape(m.group(1)) == e.html
    assert 'sandbox="allow-scripts"' in out and "height:640px" in out
    assert repr(e) == "Explorer('f': 5 nodes, 10 steps)"


def test_save_writes_the_page_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f, _ = lecture_f()
    e = explore(f)
    path = e.save(tmp_path / "f.html")
    assert path.read_text("utf-8") == e.html
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # a new file gets what open() gives: 0o666 less the umask
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    plain.unlink()
    # a failing write leaves the old file whole and no temporary file behind
    path.write_text("old", encoding="utf-8")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        e.save(path)
    assert path.read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.html"]


def test_save_into_a_missing_directory_fails_clearly(tmp_path: Path) -> None:
    f, _ = lecture_f()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        explore(f).save(tmp_path / "nope" / "f.html")


# ------------------------------------------------------------------ errors
def test_bad_arguments_are_refused_with_the_offending_value() -> None:
    f, _ = lecture_f()
    with pytest.raises(TypeError, match="got float"):
        explore(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expand must be"):
        explore(f, expand="sometimes")
    with pytest.raises(ValueError, match="max_values must be"):
        explore(f, max_values=0)
    with pytest.raises(ValueError, match="5 Values, more than max_values=4"):
        explore(f, max_values=4)
    assert DEFAULT_MAX_VALUES >= 10_000
    big = Value(1.0, "big")
    y = big + 1.0
    big.data = float("inf")  # the engine never makes one, but data can be assigned
    with pytest.raises(ValueError, match="big has a non-finite value"):
        explore(y)


def test_exploring_changes_no_gradient() -> None:
    f, leaves = lecture_f()
    explore(f)
    assert [v.grad for v in leaves] == [0.0, 0.0, 0.0]
    with scope("s"):
        g = leaves[0] * leaves[1]
    assert isinstance(explore(g), Explorer)


# ------------------------------------------------------------------ the demo
def test_the_demos_sigmoid_neuron_is_the_first_networks_first_output_neuron(
    tmp_path: Path,
) -> None:
    from valuegrad import report

    page = report._Page(tmp_path)
    facts: dict[str, object] = {}
    report._chain_rule(page, facts)
    neuron = facts["sigmoid_neuron"]
    assert isinstance(neuron, dict)
    # z3 = 1.8245, p0 = 0.8611 on the slide; the loss is the first half of 0.3671's sum
    assert neuron["z"] == pytest.approx(lecture.SLIDE["z"][3], abs=5e-5)
    assert neuron["y_hat"] == pytest.approx(lecture.SLIDE["p"][0], abs=5e-5)
    assert neuron["loss"] == pytest.approx(0.5 * (neuron["y_hat"] - lecture.Y[0]) ** 2)
    # by the slide's formulas: dl/dz = (y_hat - y) y_hat (1 - y_hat), dl/dw = dl/dz h
    y_hat = neuron["y_hat"]
    dl_dz = (y_hat - lecture.Y[0]) * y_hat * (1 - y_hat)
    first = lecture.forward_pass(lecture.first_network())
    for k in range(3):
        assert neuron["grads"][f"w{k}"] == pytest.approx(dl_dz * first.h[k], rel=1e-12)
        # and the network's own gradient for that weight (the other output does not use it)
        assert neuron["grads"][f"w{k}"] == pytest.approx(first.gradients[f"[w3]{k}"], rel=1e-12)
    assert neuron["grads"]["b"] == pytest.approx(dl_dz, rel=1e-12)
    assert neuron["max_abs_difference"] < 1e-15
    text = "\n".join(page.parts)
    assert text.count('<div class="vg-explorer"') == 2


# ------------------------------------------------------------------ the CLI
def test_cli_graph_html_writes_the_explorer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "walk.html"
    args = ["graph", "x*x + x", "x=1", "--no-svg", "--html", str(page)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"wrote {page}" in out
    text = page.read_text("utf-8")
    data = json.loads(
        text.split('class="vg-data">', 1)[1].split("</script>", 1)[0].replace("\\u003c", "<")
    )
    assert [s["grad"] for s in data["steps"] if s["phase"] == "backward" and s["node"] == 0] == [
        1.0,
        2.0,
        3.0,
    ]
    # with --json the note goes to stderr, stdout stays JSON
    assert main([*args, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"value": 2.0, "grads": {"x": 3.0}}
    assert "wrote" in captured.err


def test_cli_graph_html_into_a_missing_directory_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["graph", "x*2", "x=1", "--no-svg", "--html", str(tmp_path / "no" / "a.html")])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1 and "does not exist" in err


def test_cli_graph_html_without_dot_is_skipped_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(viz_graph.shutil, "which", lambda name: None)
    page = tmp_path / "a.html"
    assert main(["graph", "x*2", "x=1", "--no-svg", "--html", str(page)]) == 0
    assert "HTML skipped" in capsys.readouterr().err and not page.exists()


def test_a_label_that_reads_like_a_made_up_name_keeps_every_gradient(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # two nodes labelled x become x[n0] and x[n3]; a third node labelled "x[n0]" itself
    # used to collide with the first, and the page showed a wrong gradient
    a, b, d = Value(1.0, "x"), Value(2.0, "x"), Value(5.0, "x[n0]")
    f = a * 10 + b * 100 + d * 7
    tr = viz.trace(f)
    assert len(set(tr.names)) == len(tr.names) == len(tr.grads)
    # the leaves, by their data: each one's gradient is its factor
    leaf_grads = {tr.data[i]: tr.grads[n] for i, n in enumerate(tr.names) if tr.kinds[i] == "input"}
    assert leaf_grads == {1.0: 10.0, 2.0: 100.0, 5.0: 7.0}
    labels = [node["label"] for node in viz.explore(f)._payload["nodes"]]
    assert len(set(labels)) == len(labels)


def test_labels_reach_the_page_cleaned_and_clipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a lone surrogate could not be saved; a million-character label made a 200 MB page
    x, y = Value(1.0, "\ud800"), Value(2.0, "L" * 1_000_000)
    page = viz.explore((x * y) * 3)
    assert len(page.html) < 200_000
    page.save(tmp_path / "page.html")
    page._repr_html_().encode("utf-8")
    assert "L" * 79 + "…" in (tmp_path / "page.html").read_text(encoding="utf-8")
