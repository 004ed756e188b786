"""The demo report: the lecture, run end to end, written as a browsable HTML page.

:func:`build_report` runs every experiment with the defaults of ``valuegrad regress`` and
``valuegrad classify``, draws every picture, and writes ``index.html`` beside them:

1. the chain rule on f = (x + y) * z and on the sigmoid neuron of the "Backpropagation"
   slide: the backward explorer of each (step through the walk node by node) and the
   backward pass as the slide's table;
2. the first network: its diagram, the slide's numbers checked one by one, the explorer
   of its whole loss graph (one box per neuron), 1000 iterations of SGD;
3. the second network: the data sets, batch and stochastic training over several seeds
   (the spread of test accuracy, loss curves, decision boundaries, dead ReLUs);
4. the speed of the compiled engine against the eager one on the same run;
5. handwritten digits: the slide's linear classifier p = Wx with its ten weight vectors
   drawn as images, against a network with one hidden layer (accuracy, confusion,
   the mistakes).

Nothing here prints: progress goes to the ``log`` callback (and, with ``progress``, to
tqdm bars on stderr for the long phases: the iterations of the first network, the runs
of the sweep, each training). ``stop``, a function asked between two training steps,
ends the report early: the phase in progress stops after its current step, what it has
done is written (marked interrupted), the phases after it are skipped, and the page
says so.
"""

from __future__ import annotations

import html
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd import Value
from nn import data, squared_error
from valuegrad import lecture
from valuegrad.options import write_json, write_text

__all__ = ["Report", "build_report"]

DEFAULT_SEEDS = 10
"""Seeds per training mode in the demo's sweep."""

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.95em; margin-top: 0.3em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.8em 0; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.7em; text-align: right; }
th { background: #f6f8fa; } td.left, th.left { text-align: left; }
.ok { color: #1a7f37; } .note { color: #9a6700; } .bad { color: #cf222e; }
"""


@dataclass
class Report:
    """What :func:`build_report` wrote, and the headline numbers it measured."""

    index: Path
    files: list[Path] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: str | None = None
    """The phase during which ``stop`` ended the report, or None when it is complete."""


@dataclass
class _Run:
    """How the phases run: progress bars, the stop hook, and where a stop happened."""

    progress: bool = False
    stop: Callable[[], bool] | None = None
    interrupted: str | None = None

    def stopped(self) -> bool:
        """True once the stop hook said so (asked between phases)."""
        return self.interrupted is not None or (self.stop is not None and self.stop())


class _Page:
    """Collects HTML sections and the files they reference."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.parts: list[str] = []
        self.files: list[Path] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def heading(self, text: str) -> None:
        self.add(f"<h2>{html.escape(text)}</h2>")

    def para(self, text: str) -> None:
        """A paragraph of trusted HTML (callers escape any data they insert)."""
        self.add(f"<p>{text}</p>")

    def pre(self, text: str) -> None:
        self.add(f"<pre>{html.escape(text)}</pre>")

    def figure(self, name: str, caption: str) -> None:
        src = html.escape(name)
        self.add(
            f'<figure><a href="{src}"><img src="{src}" alt="{html.escape(caption, quote=True)}">'
            f"</a><figcaption>{caption}</figcaption></figure>"
        )

    def table(self, header: list[str], rows: list[list[str]], left: int = 1) -> None:
        """A table of trusted cells; the first ``left`` columns are left-aligned."""

        def cells(tag: str, items: list[str]) -> str:
            return "".join(
                f"<{tag}{' class=left' if k < left else ''}>{item}</{tag}>"
                for k, item in enumerate(items)
            )

        body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
        self.add(f"<table><tr>{cells('th', header)}</tr>{body}</table>")

    def file(self, name: str) -> Path:
        path = self.out / name
        self.files.append(path)
        return path

    def explorer(self, explorer: Any, caption: str) -> None:
        """An interactive backward explorer (``viz.explore``), inline in the page."""
        from viz.explore import assets

        if not getattr(self, "_explorer_assets", False):
            self.add(assets())  # the script and style, once for every explorer on the page
            self._explorer_assets = True
        self.add(
            f'<figure class="explorer">{explorer.fragment()}<figcaption>{caption}</figcaption>'
            "</figure>"
        )

    def json(self, name: str, payload: Any) -> None:
        write_json(self.file(name), payload, announce=False)
        self.add(f'<p>Data: <a href="{html.escape(name)}">{html.escape(name)}</a></p>')

    def write(self, title: str, intro: str) -> Path:
        body = "\n".join(self.parts)
        page = (
            "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{intro}</p>\n{body}\n</body></html>\n"
        )
        return write_text(self.out / "index.html", page)


def _fmt(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}f}"


# --------------------------------------------------------------------------- #
# 1. f = (x + y) * z                                                            #
# --------------------------------------------------------------------------- #


def _chain_rule(page: _Page, facts: dict[str, Any]) -> None:
    from viz import trace
    from viz.explore import explore

    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    facts["xyz"] = {"f": f.data, "grads": {"x": x.grad, "y": y.grad, "z": z.grad}}

    page.heading("1. The chain rule on f = (x + y) * z")
    page.para(
        "The lecture's first example: x = -2, y = 5, z = -4. The forward pass computes "
        f"q = x + y = {_fmt(q.data, 0)} and f = q z = {_fmt(f.data, 0)}; "
        "<code>f.backward()</code> then walks the graph backwards and fills in every "
        "gradient."
    )
    page.explorer(
        explore(f, title="f = (x + y) * z"),
        "The backward explorer: press <b>next</b> (or &rarr;) to compute one node at a time, "
        "first forward (each node's data), then backward (each edge's upstream gradient "
        "times local derivative), or <b>play</b>. Every node shows its label, its data "
        f"and df/d(node) (grad); at the end df/dx = df/dy = z = {_fmt(x.grad, 0)} and "
        f"df/dz = q = {_fmt(z.grad, 0)}, as on the slide. Click a node for its details.",
    )
    page.para(
        "The backward pass step by step: each line is the upstream gradient times the "
        "local derivative of one operation, exactly the slide's chain-rule table."
    )
    page.pre(trace(f).text())
    _sigmoid_neuron(page, facts)


def _sigmoid_neuron(page: _Page, facts: dict[str, Any]) -> None:
    """The slide "Backpropagation": z = x^T w + b, y_hat = sigmoid(z), l = 1/2 (y_hat - y)^2."""
    from viz import trace
    from viz.explore import explore

    # The numbers of the first network's first output neuron: its inputs are the hidden
    # activations h of the lecture's sample, its weights and bias the given ones, and its
    # target the sample's first target. Its loss is the first term of the network's loss.
    net = lecture.first_network()
    h = [v.data for v in net.layers[0](list(lecture.X))]
    xs = [Value(v, f"x{k}") for k, v in enumerate(h)]
    w = [Value(v, f"w{k}") for k, v in enumerate(lecture.OUTPUT_WEIGHTS[0])]
    b = Value(lecture.OUTPUT_BIAS, "b")
    target = lecture.Y[0]
    z = xs[0] * w[0]
    for xk, wk in zip(xs[1:], w[1:], strict=True):
        z = z + xk * wk
    z = z + b
    z.label = "z"
    y_hat = z.sigmoid()
    y_hat.label = "ŷ"
    loss = 0.5 * (y_hat - target) ** 2
    loss.label = "\u2113"  # script l, as on the slide
    steps = trace(loss, params=[*w, b])
    # the slide's closed form: dl/dz = (y_hat - y) sigma(z) (1 - sigma(z)), dl/dw = dl/dz x
    dl_dz = (y_hat.data - target) * y_hat.data * (1.0 - y_hat.data)
    rows, worst = [], 0.0
    for name, formula in [*((f"w{k}", dl_dz * h[k]) for k in range(3)), ("b", dl_dz)]:
        engine = steps.grads[name]
        worst = max(worst, abs(engine - formula))
        rows.append([name, f"{engine:.10f}", f"{formula:.10f}"])
    facts["sigmoid_neuron"] = {
        "z": z.data,
        "y_hat": y_hat.data,
        "loss": loss.data,
        "dl/dz": steps.grads["z"],
        "grads": {name: steps.grads[name] for name in ("w0", "w1", "w2", "b")},
        "max_abs_difference": worst,
    }

    page.heading('1b. The sigmoid neuron of the slide "Backpropagation"')
    page.para(
        "One neuron and one sample: z = x<sup>T</sup>w + b, &ycirc; = &sigma;(z), "
        "&ell; = &frac12;(&ycirc; &minus; y)<sup>2</sup>. The numbers are those of the first "
        "network's first output neuron: its inputs x are the hidden activations h = ("
        + ", ".join(f"{v:.4f}" for v in h)
        + "), of the lecture's sample, w = ("
        + ", ".join(f"{v:g}" for v in lecture.OUTPUT_WEIGHTS[0])
        + f"), b = {lecture.OUTPUT_BIAS:g} and the target y = {target:g}; so z = "
        f"{_fmt(z.data)}, &ycirc; = {_fmt(y_hat.data)} and &ell; = {_fmt(loss.data)}, the "
        "first term of the network's loss."
    )
    page.explorer(
        explore(loss, params=[*w, b], title="\u2113 = \u00bd(\u03c3(x\u1d40w + b) \u2212 y)\u00b2"),
        "Step to the end of the backward pass: d&ell;/dz arrives at z through the sigmoid's "
        "local derivative &ycirc;(1 &minus; &ycirc;), and then splits into "
        "&part;&ell;/&part;w<sub>k</sub> = d&ell;/dz &middot; x<sub>k</sub> and "
        "&part;&ell;/&part;b = d&ell;/dz. The dashed boxes are the constants &frac12; and y.",
    )
    page.para(
        f"The engine's gradients against the slide's formulas (d&ell;/dz = {dl_dz:.10f}); the "
        f"largest difference is {worst:.1e}:"
    )
    page.table(["parameter", "backward", "slide: d&ell;/dz &middot; x or d&ell;/dz"], rows)


# --------------------------------------------------------------------------- #
# 2. The first network                                                          #
# --------------------------------------------------------------------------- #


def _check(slide: float, computed: float, tolerance: float = 5e-5) -> str:
    return "ok" if abs(slide - computed) <= tolerance else "differs"


def _first_network(
    page: _Page, facts: dict[str, Any], log: Callable[[str], None], how: _Run
) -> None:
    from autograd import gradcheck
    from viz import draw_network, plot_losses, save_svg
    from viz.explore import explore

    net = lecture.first_network()
    first = lecture.forward_pass(net)
    page.heading("2. The first network: 2-3-2, sigmoid, least squares")
    page.para(
        "One sample x = [0.05, 0.1] with target y = [0.01, 0.99]; the lecture's weights "
        "and biases; loss l = 1/2 ||p - y||^2."
    )
    save_svg(draw_network(net, title="The lecture's first network"), page.file("2_network.svg"))
    page.figure(
        "2_network.svg",
        "The design: two inputs, three sigmoid hidden units, two sigmoid outputs; the "
        "edges carry the given weights and each neuron its bias.",
    )

    rows = []
    checks = []
    names = ["z0", "z1", "z2", "z3", "z4"]
    for name, slide, value in zip(names, lecture.SLIDE["z"], first.z, strict=True):
        checks.append((name, slide, value))
    for k, (slide, value) in enumerate(zip(lecture.SLIDE["h"], first.h, strict=True)):
        checks.append((f"[h]{k}", slide, value))
    for k, (slide, value) in enumerate(zip(lecture.SLIDE["p"], first.output, strict=True)):
        checks.append((f"[p]{k}", slide, value))
    checks.append(("loss", lecture.SLIDE["loss"], first.loss))
    quiz = first.gradients["[w0]0"]
    checks.append(("dl/d[w0]0", lecture.SLIDE["dl/d[w0]0"], quiz))
    agree = 0
    for name, slide, value in checks:
        status = _check(slide, value)
        agree += status == "ok"
        if status == "ok":
            note = '<span class="ok">agrees to 4 digits</span>'
        elif name == "z2":
            note = (
                '<span class="note">a typo on the slide: 0.05*0.35 + 0.1*0.4 + 0.45 = 0.5075</span>'
            )
        elif name == "dl/d[w0]0":
            note = f'<span class="note">the quiz\'s answer; the chain rule gives {value:.6f}</span>'
        else:
            note = '<span class="bad">differs</span>'
        rows.append([html.escape(name), f"{slide:g}", f"{value:.6f}", note])
    facts["first_network"] = {
        "agree": agree,
        "checked": len(checks),
        "loss": first.loss,
        "dl/d[w0]0": quiz,
    }
    page.para("The slide's numbers, recomputed by the engine:")
    page.table(["quantity", "slide", "computed", ""], rows)

    loss = squared_error(net(list(lecture.X)), list(lecture.Y))
    loss.label = "loss"
    whole = explore(loss, module=net, cluster="neuron", title="loss before training")
    page.explorer(
        whole,
        f"The whole graph before training, {len(whole.trace.names)} nodes, one dashed box "
        f"per neuron, to step through in {whole.steps} steps: amber records are the "
        "weights and biases, blue ones the inputs, the red one the loss. The wheel zooms, "
        "a drag pans, <b>fit</b> shows it all; the view follows the current step. The "
        "table <i>leaves, largest final |grad| first</i> lists the parameters whose "
        "gradient is largest.",
    )

    def loss_of_w00(w: Value) -> Value:
        # the lecture's network with its weight [w0]0 replaced by the Value w
        fresh = lecture.first_network()
        fresh.layers[0].neurons[0].w[0] = w
        return squared_error(fresh(list(lecture.X)), list(lecture.Y))

    report = gradcheck(loss_of_w00, [lecture.HIDDEN_WEIGHTS[0][0]])
    facts["first_network"]["gradcheck_ok"] = report.ok
    page.para(
        "The quiz asks for dl/d[w0]0. <code>backward</code> gives "
        f"{quiz:.6f}; central finite differences (<code>gradcheck</code>) give "
        f"{report[0].numeric:.6f}, a relative difference of {report[0].rel_err:.1e}. "
        "The slide's quiz answer is 0.0006."
    )

    log("  first network: 1000 iterations of SGD (eta = 0.5)")
    result = lecture.run_regression(progress=how.progress, stop=how.stop)
    facts["first_network"]["final_loss"] = result.final.loss
    facts["first_network"]["steps"] = result.steps_done
    if result.interrupted:
        how.interrupted = "the first network's training"
        page.para(
            f'<span class="bad">Interrupted after {result.steps_done} of {result.steps} '
            "iterations</span>: the curve and the numbers below stop there."
        )
    plot_losses(
        {"loss": result.losses}, page.file("2_loss.svg"), title="First network: loss per iteration"
    )
    losses = [*result.losses, result.final.loss]
    monotone = all(b < a for a, b in itertools.pairwise(losses))
    page.figure(
        "2_loss.svg",
        f"{result.steps_done} iterations of SGD with eta = 0.5, weights only (as the lecture's "
        f"code): the loss falls from {result.initial.loss:.4f} to {result.final.loss:.6f}"
        + (", at every single step" if monotone else " (not at every step)")
        + f". The outputs move from [{result.initial.output[0]:.4f}, "
        f"{result.initial.output[1]:.4f}] to [{result.final.output[0]:.4f}, "
        f"{result.final.output[1]:.4f}] (target [0.01, 0.99]).",
    )
    page.json("2_regress.json", result.to_dict())


# --------------------------------------------------------------------------- #
# 3. The second network                                                         #
# --------------------------------------------------------------------------- #


def _second_network(
    page: _Page,
    facts: dict[str, Any],
    seeds: int,
    epochs: int | None,
    log: Callable[[str], None],
    how: _Run,
) -> lecture.SweepResult:
    from viz import (
        draw_network,
        plot_batch_vs_stochastic,
        plot_datasets,
        plot_decision_boundaries,
        plot_decision_boundary,
        plot_losses,
        save_svg,
    )

    d = lecture.CLASSIFY_DEFAULTS
    settings: dict[str, Any] = {} if epochs is None else {"epochs": epochs}
    page.heading("3. The second network: 2-4-6-6-4-2, ReLU, cross-entropy")
    gallery = {name: data.load(name, d["n"], d["noise"], d["data_seed"]) for name in data.DATASETS}
    plot_datasets(gallery, page.file("3_datasets.svg"))
    page.figure(
        "3_datasets.svg",
        "The two-class data sets (orange: class 0, blue: class 1). The network is "
        f"trained on {d['dataset']} ({d['n']} points, noise {d['noise']}), "
        f"{int(d['test_fraction'] * 100)}% held out for testing.",
    )

    log(f"  second network: batch and stochastic training, {seeds} seeds each")
    whole = lecture.run_sweep(seeds, stop=how.stop, progress=how.progress, **settings)
    if whole.interrupted:
        how.interrupted = "the second network's runs"
        done = {m: len(whole.completed(m)) for m in whole.modes}
        page.para(
            '<span class="bad">Interrupted</span> after '
            + ", ".join(f"{k} of {seeds} {m} runs" for m, k in done.items())
            + ": what follows covers the completed runs only."
        )
    page.json("3_sweep.json", whole.to_dict())
    # the completed runs (all of them, unless interrupted) are what the section shows
    modes = whole.summarised_modes
    if not modes:
        page.para("No run was completed.")
        return whole
    sweep = lecture.SweepResult(
        runs=[r for m in modes for r in whole.completed(m)], modes=modes, seeds=whole.seeds
    )
    runs = sweep.runs
    first = runs[0]
    stochastic = sweep.by_mode("stochastic") or runs
    updates = stochastic[0].history.steps // stochastic[0].epochs
    rows = []
    facts["second_network"] = {}
    for mode in sweep.modes:
        s = sweep.summary(mode)
        facts["second_network"][mode] = s.to_dict()
        rows.append(
            [
                mode,
                f"{s.min:.3f}",
                f"{s.median:.3f}",
                f"{s.max:.3f}",
                f"{s.at_least_95}/{s.runs}",
                f"{s.stuck}/{s.runs}",
                f"{s.dead_mean:.1f}",
            ]
        )
    page.para(
        f"Each mode trained {seeds} times (seeds {sweep.seeds[0]} to {sweep.seeds[-1]}: the "
        "initial weights and the batch order change, the data stay the same) for "
        f"{first.epochs} epochs with {first.optimizer} (lr {first.lr:g}). Batch mode makes "
        "one update per epoch on the whole training set; stochastic mode one update per "
        f"mini-batch of {first.batch_size}, so {updates} per epoch. Test accuracy:"
    )
    page.table(
        ["mode", "min", "median", "max", "runs >= 0.95", "stuck near 50%", "dead ReLUs"], rows
    )
    good = sum(r.test_accuracy >= 0.95 for r in runs)
    stuck_runs = [r for r in runs if r.stuck]
    median_loss = {
        m: statistics.median(r.history.loss[-1] for r in sweep.by_mode(m)) for m in sweep.modes
    }
    page.para(
        "The lecture's quiz asks to run the code several times and find the pattern. "
        f"Here {good} of {len(runs)} runs reached a test accuracy of 0.95 or more and "
        f"{len(stuck_runs)} ended near chance. A ReLU unit whose input is negative for "
        "every sample outputs 0 and passes back a zero gradient, so its weights stop "
        "learning; when a whole layer dies, no gradient reaches the layers below it "
        "either, the output no longer depends on the input, and the accuracy sits at "
        "chance for good. The median final training loss was "
        + ", ".join(f"{median_loss[m]:.3f} in {m} mode" for m in sweep.modes)
        + ": with the same number of epochs, stochastic mode makes many more (noisier) "
        "updates than batch mode's one per epoch."
    )

    for mode in sweep.modes:
        mode_runs = sweep.by_mode(mode)
        plot_losses(
            {f"seed {r.seed}": r.history.loss for r in mode_runs},
            page.file(f"3_losses_{mode}.svg"),
            title=f"{mode} mode: training loss per epoch, every seed",
        )
        page.figure(
            f"3_losses_{mode}.svg",
            f"{mode.capitalize()} mode: the training loss of every seed. A flat curve near "
            "log 2 = 0.69 is a run that learnt nothing.",
        )

    best = {mode: max(sweep.by_mode(mode), key=lambda r: r.test_accuracy) for mode in sweep.modes}
    plot_batch_vs_stochastic(
        {m: r.model for m, r in best.items()},
        {m: r.history for m, r in best.items()},
        first.X_train,
        first.y_train,
        page.file("3_batch_vs_stochastic.svg"),
        X_test=first.X_test,
        y_test=first.y_test,
    )
    page.figure(
        "3_batch_vs_stochastic.svg",
        "The best run of each mode side by side: loss curves, then each model's decision "
        "boundary (the colour is the predicted probability of class 1, the line P = 1/2; "
        "circles are training points, triangles test points). "
        + ", ".join(
            f"{m}: seed {r.seed}, test accuracy {r.test_accuracy:.3f}" for m, r in best.items()
        )
        + ".",
    )

    stuck = [r for r in runs if r.stuck]
    if stuck:
        r = stuck[0]
        sizes = [layer.nout for layer in r.model.layers[:-1]]
        dead_layers = [k + 1 for k, (d, n) in enumerate(zip(r.dead, sizes, strict=True)) if d == n]
        why = (
            f"hidden layer(s) {', '.join(map(str, dead_layers))} fully dead, so the prediction "
            "is the same everywhere"
            if dead_layers
            else "no hidden layer fully dead: it stalled on a flat part of the loss"
        )
        plot_decision_boundary(
            r.model,
            r.X_train,
            r.y_train,
            page.file("3_stuck_boundary.svg"),
            X_test=r.X_test,
            y_test=r.y_test,
            title=f"{r.mode}, seed {r.seed}: stuck",
        )
        page.figure(
            "3_stuck_boundary.svg",
            f"A run that failed ({r.mode} mode, seed {r.seed}, test accuracy "
            f"{r.test_accuracy:.3f}): dead ReLU units per hidden layer {r.dead} (of {sizes}); "
            f"{why}.",
        )
    else:
        page.para("No run got stuck near 50% with these seeds.")

    trained = best["stochastic"] if "stochastic" in best else next(iter(best.values()))
    save_svg(
        draw_network(trained.model, title=f"trained ({trained.mode}, seed {trained.seed})"),
        page.file("3_trained_network.svg"),
    )
    page.figure(
        "3_trained_network.svg",
        "The trained network: edge colour is the weight's sign (blue positive, red "
        "negative), width its size, as in the TensorFlow Playground.",
    )
    if how.stopped():
        how.interrupted = how.interrupted or "the second network's runs"
        return whole
    log("  the stochastic default on every data set")
    others = {}
    for name in data.DATASETS:
        r = lecture.run_classification(
            dataset=name, stop=how.stop, progress=how.progress, **settings
        )
        if r.interrupted:
            how.interrupted = "the runs on every data set"
            page.para(
                '<span class="bad">Interrupted</span> while training on every data set: '
                "that figure was not drawn."
            )
            return whole
        others[name] = r
    plot_decision_boundaries(
        {
            f"{name}: {r.test_accuracy:.2f}": (r.model, r.X_train, r.y_train)
            for name, r in others.items()
        },
        page.file("3_all_datasets.svg"),
        title="The same network and settings on every data set (seed 0; test accuracy)",
    )
    facts["datasets"] = {n: r.test_accuracy for n, r in others.items()}
    page.figure(
        "3_all_datasets.svg",
        "The default stochastic run on each data set, as in the TensorFlow Playground. "
        "The same small network that separates the moons has to work harder on the "
        "spiral.",
    )
    return whole


# --------------------------------------------------------------------------- #
# 4. Speed                                                                      #
# --------------------------------------------------------------------------- #


def _speed(
    page: _Page, facts: dict[str, Any], epochs: int | None, log: Callable[[str], None], how: _Run
) -> None:
    settings: dict[str, Any] = {} if epochs is None else {"epochs": epochs}
    page.heading("4. The same run on the eager and the compiled engine")
    log("  the default stochastic run on the eager engine, then compiled")
    runs = {}
    for engine in ("eager", "compiled"):
        runs[engine] = lecture.run_classification(
            engine=engine, stop=how.stop, progress=how.progress, **settings
        )
        if runs[engine].interrupted:
            how.interrupted = "the engines' comparison"
            page.para(
                '<span class="bad">Interrupted</span> during the comparison: a timing of '
                "part of a run compares nothing, so there is none."
            )
            return
    eager, compiled = runs["eager"], runs["compiled"]
    same = eager.history.step_loss == compiled.history.step_loss
    ratio = eager.history.seconds / compiled.history.seconds
    facts["speed"] = {
        "eager_seconds": eager.history.seconds,
        "compiled_seconds": compiled.history.seconds,
        "ratio": ratio,
        "identical_losses": same,
    }
    page.para(
        "The eager engine builds one graph per sample (the graphs drawn above); the "
        "compiled engine records that graph once and replays it over whole mini-batches "
        "with numpy. The default stochastic run took "
        f"{eager.history.seconds:.2f} s eager and {compiled.history.seconds:.2f} s compiled "
        f"({ratio:.0f}x faster) on this machine, and the {len(eager.history.step_loss)} "
        "losses of the two runs are "
        + ("identical to the last bit." if same else "<b>not identical</b>.")
    )


# --------------------------------------------------------------------------- #
# 5. Handwritten digits                                                         #
# --------------------------------------------------------------------------- #


def _digits(
    page: _Page, facts: dict[str, Any], epochs: int | None, log: Callable[[str], None]
) -> None:
    import numpy as np

    from valuegrad import digits
    from viz import plot_confusion_matrix, plot_digit_weights, plot_digits, plot_misclassified

    settings: dict[str, Any] = {} if epochs is None else {"epochs": epochs}
    page.heading("5. Handwritten digits: p = Wx, then one hidden layer")
    split = digits.split_digits()
    X_train, X_test, y_train, y_test = split
    first = [int(np.flatnonzero(y_train == d)[k]) for k in range(2) for d in range(10)]
    means = np.array([X_train[y_train == d].mean(axis=0) for d in range(10)])
    plot_digits(
        np.vstack([X_train[first], means]),
        [f"{y_train[k]}" for k in first] + [f"mean {d}" for d in range(10)],
        page.file("5_digits.svg"),
        title="Training images, and the mean image of each digit (last row)",
    )
    page.para(
        "The lecture's classification slides take images of digits and want "
        "<em>10 weight vectors (one for each digit)</em>: the rows of W, so that p = Wx "
        "and the predicted digit is the largest [p]<sub>j</sub>. Here on the "
        f"{len(y_train) + len(y_test)} handwritten 8x8 digits that scikit-learn ships "
        "(pixels scaled to [0, 1]; the slides' MNIST images are 28x28), a quarter of "
        f"each digit held out: {len(y_train)} training and {len(y_test)} test images."
    )
    page.figure(
        "5_digits.svg",
        "Two training images of each digit, and the mean of all training images of each.",
    )

    log("  digits: the linear classifier p = Wx, then a 64-32-10 network")
    linear = digits.run_digits([], split=split, **settings)
    hidden = digits.run_digits(split=split, **settings)
    s = linear.settings
    facts["digits"] = {
        r.name: {
            "test_accuracy": r.test_accuracy,
            "train_accuracy": r.train_accuracy,
            "seconds": r.history.seconds,
            "engine": r.history.engine,
            "trained_parameters": r.trained_parameters,
        }
        for r in (linear, hidden)
    }
    page.para(
        "Both trained with softmax cross-entropy, "
        f"{s['optimizer']} (lr {s['lr']:g}), mini-batches of {s['batch_size']}, "
        f"{s['epochs']} epochs, on the same split; p = Wx has no bias and starts from W = 0."
    )
    page.table(
        ["network", "trained parameters", "test accuracy", "train accuracy", "seconds"],
        [
            [
                html.escape(r.name),
                f"{r.trained_parameters:,}",
                f"{r.test_accuracy:.3f}",
                f"{r.train_accuracy:.3f}",
                f"{r.history.seconds:.1f} ({r.history.engine})",
            ]
            for r in (linear, hidden)
        ],
    )
    plot_digit_weights(
        linear.model.layers[0],
        page.file("5_weights.svg"),
        titles=[f"w{j}: digit {j}" for j in range(10)],
        title="p = Wx: the ten weight vectors w_j (rows of W) as 8x8 images",
    )
    page.figure(
        "5_weights.svg",
        "The slide's weight vectors, made visible: [p]<sub>j</sub> = w<sub>j</sub> · x adds "
        "up the ink of x weighted by image j, so a blue pixel is ink that speaks for digit "
        "j and a red one ink that speaks against it (compare the mean images above). "
        "Pixels that no training image inks keep their starting weight 0 (white).",
    )
    plot_confusion_matrix(
        {f"{r.name}: test accuracy {r.test_accuracy:.3f}": r.confusion for r in (linear, hidden)},
        page.file("5_confusion.svg"),
        title=f"Confusion matrices on the {len(y_test)} test images",
    )
    worst = {r.name: digits.most_confused(r.confusion) for r in (linear, hidden)}
    page.figure(
        "5_confusion.svg",
        "Row i, column j: test images of digit i that the network called j. Most "
        "confused: "
        + "; ".join(
            f"{html.escape(name)}: "
            + (", ".join(f"{i} as {j} ({n}x)" for i, j, n in cells) or "none")
            for name, cells in worst.items()
        )
        + ".",
    )
    plot_misclassified(X_test, y_test, hidden.predicted, page.file("5_misclassified.svg"))
    wrong = int(np.sum(hidden.predicted != y_test))
    page.figure(
        "5_misclassified.svg",
        f"The {wrong} test images that the 64-32-10 network gets wrong, each with its "
        "true label and the network's answer: many are hard to read for a person too.",
    )
    page.json(
        "5_digits.json",
        {"linear": linear.to_dict(), "hidden": hidden.to_dict()},
    )


# --------------------------------------------------------------------------- #


def build_report(
    out_dir: str | Path = "valuegrad-report",
    *,
    seeds: int = DEFAULT_SEEDS,
    epochs: int | None = None,
    speed: bool = True,
    digits: bool = True,
    log: Callable[[str], None] | None = None,
    progress: bool = False,
    stop: Callable[[], bool] | None = None,
) -> Report:
    """Run the lecture's experiments and write ``out_dir/index.html`` with every picture.

    ``seeds`` runs per training mode; ``epochs`` overrides the classifier's default (for a
    quick run, the digits' too); ``speed=False`` skips the eager-vs-compiled timing,
    ``digits=False`` the handwritten digits. ``progress`` shows tqdm bars on stderr;
    ``stop()``, asked between training steps, ends the report early (see the module
    docstring; ``Report.interrupted`` names the phase).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be a positive integer, got {seeds!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    say = log or (lambda message: None)
    start = time.perf_counter()
    page = _Page(out)
    facts: dict[str, Any] = {}
    how = _Run(progress=progress, stop=stop)
    phases: list[tuple[str, Callable[[], object]]] = [
        ("the chain rule on f = (x + y) * z", lambda: _chain_rule(page, facts)),
        ("the first network", lambda: _first_network(page, facts, say, how)),
        ("the second network", lambda: _second_network(page, facts, seeds, epochs, say, how)),
    ]
    if speed:
        phases.append(("eager vs compiled", lambda: _speed(page, facts, epochs, say, how)))
    if digits:
        phases.append(("handwritten digits", lambda: _digits(page, facts, epochs, say)))
    for k, (name, phase) in enumerate(phases, start=1):
        if k > 1 and how.stopped():  # asked between phases (the first needs no training)
            how.interrupted = how.interrupted or f"the start of {name}"
            break
        say(f"[{k}/{len(phases)}] {name}")
        phase()
    seconds = time.perf_counter() - start
    facts["interrupted"] = how.interrupted
    page.add(f"<p><small>Built in {seconds:.1f} s by <code>valuegrad demo</code>.</small></p>")
    intro = "Every picture below was drawn from numbers the library computed just now."
    if how.interrupted:
        intro += (
            f' <span class="bad">Interrupted (Ctrl-C) during {html.escape(how.interrupted)}'
            "</span>: the sections after it were not computed."
        )
    index = page.write("valuegrad: the lecture, computed", intro)
    return Report(
        index=index,
        files=[*page.files, index],
        facts=facts,
        seconds=seconds,
        interrupted=how.interrupted,
    )
