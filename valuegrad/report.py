"""The demo report: the lecture, run end to end, written as a browsable HTML page.

:func:`build_report` runs every experiment with the defaults of ``valuegrad regress`` and
``valuegrad classify``, draws every picture, and writes ``index.html`` beside them:

1. the chain rule on f = (x + y) * z: its graph with values and gradients, and the
   backward pass step by step;
2. the first network: its diagram, the slide's numbers checked one by one, its whole
   graph before training (one cluster per neuron), 1000 iterations of SGD;
3. the second network: the data sets, batch and stochastic training over several seeds
   (the spread of test accuracy, loss curves, decision boundaries, dead ReLUs);
4. the speed of the compiled engine against the eager one on the same run;
5. handwritten digits: the slide's linear classifier p = Wx with its ten weight vectors
   drawn as images, against a network with one hidden layer (accuracy, confusion,
   the mistakes).

Nothing here prints: progress goes to the ``log`` callback.
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
    from viz import draw_graph, save_svg, trace

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
    save_svg(draw_graph(f, title="f = (x + y) * z"), page.file("1_xyz_graph.svg"))
    page.figure(
        "1_xyz_graph.svg",
        "Every node shows its label, its forward value (data) and df/d(node) (grad). "
        f"df/dx = df/dy = z = {_fmt(x.grad, 0)} and df/dz = q = {_fmt(z.grad, 0)}, "
        "as on the slide.",
    )
    page.para(
        "The backward pass step by step: each line is the upstream gradient times the "
        "local derivative of one operation, exactly the slide's chain-rule table."
    )
    page.pre(trace(f).text())


# --------------------------------------------------------------------------- #
# 2. The first network                                                          #
# --------------------------------------------------------------------------- #


def _check(slide: float, computed: float, tolerance: float = 5e-5) -> str:
    return "ok" if abs(slide - computed) <= tolerance else "differs"


def _first_network(page: _Page, facts: dict[str, Any], log: Callable[[str], None]) -> None:
    from autograd import gradcheck
    from viz import draw_graph, draw_network, plot_losses, save_svg

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
    loss.backward()
    save_svg(
        draw_graph(loss, module=net, cluster="neuron", title="loss before training"),
        page.file("2_graph.svg"),
    )
    net.zero_grad()
    page.figure(
        "2_graph.svg",
        "The whole graph before training, one dashed box per neuron: amber records are "
        "the weights and biases with their gradients, blue ones the inputs, the red one "
        "the loss.",
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
    result = lecture.run_regression()
    facts["first_network"]["final_loss"] = result.final.loss
    plot_losses(
        {"loss": result.losses}, page.file("2_loss.svg"), title="First network: loss per iteration"
    )
    losses = [*result.losses, result.final.loss]
    monotone = all(b < a for a, b in itertools.pairwise(losses))
    page.figure(
        "2_loss.svg",
        f"1000 iterations of SGD with eta = 0.5, weights only (as the lecture's code): the "
        f"loss falls from {result.initial.loss:.4f} to {result.final.loss:.6f}"
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
    page: _Page, facts: dict[str, Any], seeds: int, epochs: int | None, log: Callable[[str], None]
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
    sweep = lecture.run_sweep(seeds, **settings)
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
    log("  the stochastic default on every data set")
    others = {}
    for name in data.DATASETS:
        r = lecture.run_classification(dataset=name, **settings)
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
    page.json("3_sweep.json", sweep.to_dict())
    return sweep


# --------------------------------------------------------------------------- #
# 4. Speed                                                                      #
# --------------------------------------------------------------------------- #


def _speed(
    page: _Page, facts: dict[str, Any], epochs: int | None, log: Callable[[str], None]
) -> None:
    settings: dict[str, Any] = {} if epochs is None else {"epochs": epochs}
    page.heading("4. The same run on the eager and the compiled engine")
    log("  the default stochastic run on the eager engine, then compiled")
    eager = lecture.run_classification(engine="eager", **settings)
    compiled = lecture.run_classification(engine="compiled", **settings)
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
) -> Report:
    """Run the lecture's experiments and write ``out_dir/index.html`` with every picture.

    ``seeds`` runs per training mode; ``epochs`` overrides the classifier's default (for a
    quick run, the digits' too); ``speed=False`` skips the eager-vs-compiled timing,
    ``digits=False`` the handwritten digits.
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
    say("[1/5] the chain rule on f = (x + y) * z")
    _chain_rule(page, facts)
    say("[2/5] the first network")
    _first_network(page, facts, say)
    say("[3/5] the second network")
    _second_network(page, facts, seeds, epochs, say)
    if speed:
        say("[4/5] eager vs compiled")
        _speed(page, facts, epochs, say)
    if digits:
        say("[5/5] handwritten digits")
        _digits(page, facts, epochs, say)
    seconds = time.perf_counter() - start
    page.add(f"<p><small>Built in {seconds:.1f} s by <code>valuegrad demo</code>.</small></p>")
    index = page.write(
        "valuegrad: the lecture, computed",
        "Every picture below was drawn from numbers the library computed just now.",
    )
    return Report(index=index, files=[*page.files, index], facts=facts, seconds=seconds)
