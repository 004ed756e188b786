# %% [markdown]
# # 3. The lecture's second network: classification, batch vs stochastic
#
# *Build our second neural network*: points in the plane from two classes, and a
# network that says which class a point belongs to. The lecture's network has two
# inputs, four ReLU hidden layers and two outputs, one score (logit) per class; the
# loss is the cross-entropy of the softmax of the scores,
# $\ell = \frac1n\sum_i -\log p_{i,y_i}$. It is trained two ways — **batch** (one
# update per pass over the training set) and **stochastic** (one update per shuffled
# mini-batch) — and the lecture's quiz asks to *run the code several times to find a
# potential pattern*. We do exactly that, over many seeds.
#
# The experiments are the functions of `valuegrad.lecture` (`run_classification`,
# `run_sweep`, `dead_relus`); the plots come from `viz.plots`.
#
# (Generated from `notebooks/src/03_second_network.py` by `python notebooks/build.py`.)

# %%
# %matplotlib inline
import itertools

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import viz
from nn import data, predict_proba
from valuegrad import lecture
from viz.plots import CLASS_COLORS, plot_batch_vs_stochastic, plot_decision_boundary

plt.rcParams["figure.dpi"] = 80  # keeps the committed notebook's images small

SETTINGS = lecture.CLASSIFY_DEFAULTS
print(SETTINGS)

# %% [markdown]
# ## The data
#
# `nn.data` has five two-class sets (those of scikit-learn and the TensorFlow
# Playground). The lecture's picture is the two moons, which we train on below;
# class 0 is orange, class 1 blue.

# %%
fig, axes = plt.subplots(1, len(data.DATASETS), figsize=(12, 2.6))
for ax, (name, make) in zip(axes, data.DATASETS.items(), strict=True):
    X, y = make(SETTINGS["n"], SETTINGS["noise"], SETTINGS["data_seed"])
    ax.scatter(X[:, 0], X[:, 1], c=np.array(CLASS_COLORS)[y], s=6)
    ax.set_title(f"{name} ({len(y)} points)", fontsize=9)
    ax.set_aspect("equal", "datalim")
    ax.tick_params(labelsize=7)
fig.tight_layout()
plt.show()

X_train, X_test, y_train, y_test = data.train_test_split(
    *data.load(SETTINGS["dataset"], SETTINGS["n"], SETTINGS["noise"], SETTINGS["data_seed"]),
    SETTINGS["test_fraction"],
    seed=SETTINGS["data_seed"],
)
print(f"{SETTINGS['dataset']}: {len(y_train)} training points, {len(y_test)} test points, "
      f"class 1 share {y_train.mean():.3f} (train) and {y_test.mean():.3f} (test)")

# %% [markdown]
# ## The model
#
# `lecture.second_network(seed)` is an `nn.MLP` with the lecture's layer widths, ReLU
# hidden units and linear outputs (the logits; the softmax is inside the loss). The
# seed draws the initial weights; the biases start at zero, as in the lecture's code.
# With this many weights `draw_network` shows each as the width and colour of its
# edge (blue positive, red negative), as the Playground does.

# %%
net = lecture.second_network(seed=0)
print(net)
widths = [net.nin, *net.sizes]
n_params = sum((a + 1) * b for a, b in itertools.pairwise(widths))  # weights + biases per layer
print("layer widths:", "-".join(map(str, widths)), f"  parameters: {net.num_parameters()}")
assert widths == [2, 4, 6, 6, 4, 2] and net.num_parameters() == n_params
viz.draw_network(net, output_names=["class 0", "class 1"], title="the second network (seed 0)")

# %% [markdown]
# ## Batch vs stochastic training
#
# The settings are `lecture.CLASSIFY_DEFAULTS` (printed at the top). They differ from
# the lecture's code so that a run learns in seconds: Adam instead of plain gradient
# descent with a tiny step, more epochs, and He initialisation (variance
# $2/n_\text{in}$) instead of a standard normal — the lecture's choice is available as
# `init="normal"`.
#
# Training uses the **compiled** engine: `nn.train(engine="auto")` records the
# per-sample loss graph once and replays it over whole batches with numpy. It does the
# eager engine's arithmetic in the same order, so the numbers are the same to the last
# bit — checked here on a few epochs of each mode:

# %%
for mode in ("batch", "stochastic"):
    eager = lecture.run_classification(mode=mode, epochs=3, engine="eager")
    compiled = lecture.run_classification(mode=mode, epochs=3, engine="compiled")
    same = (eager.history.loss == compiled.history.loss
            and eager.model.weights == compiled.model.weights)
    print(f"{mode:>10}: eager and compiled give identical losses and weights: {same}")
    assert same and eager.history.engine == "eager" and compiled.history.engine == "compiled"

# %%
runs = {mode: lecture.run_classification(mode=mode, seed=0) for mode in ("batch", "stochastic")}
print(f"{'mode':>10} {'engine':>9} {'epochs':>6} {'updates':>7} {'final loss':>10} "
      f"{'train acc':>9} {'test acc':>8}")
for mode, r in runs.items():
    h = r.history
    print(f"{mode:>10} {h.engine:>9} {r.epochs:>6} {h.steps:>7} {h.loss[-1]:>10.4f} "
          f"{r.train_accuracy:>9.3f} {r.test_accuracy:>8.3f}")
    assert h.engine == "compiled"

# %% [markdown]
# ## The training losses
#
# The loss of every update's batch, placed at the epoch it belongs to. Batch mode makes
# one update per epoch, on the mean loss of all training points, so its curve is
# smooth; stochastic mode makes one per mini-batch, each on a different handful of
# points, so its curve is noisy — and it makes many more updates in the same number of
# epochs (the counts are in the legend).

# %%
fig, ax = plt.subplots(figsize=(7, 3))
for mode in ("stochastic", "batch"):  # batch last: drawn on top
    h = runs[mode].history
    per_epoch = h.steps / runs[mode].epochs
    ax.plot((np.arange(h.steps) + 1) / per_epoch, h.step_loss, lw=0.7 if per_epoch > 1 else 1.8,
            label=f"{mode}: {h.steps} updates", color="C1" if mode == "stochastic" else "C0")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("loss of the update's batch")
ax.grid(True, alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The decision boundaries
#
# Per epoch (left; dashed: the test loss), and the probability of class 1 that each
# trained network assigns to every point of the plane (right; circles are training
# points, triangles test points, the black line is $p = \tfrac12$).

# %%
plot_batch_vs_stochastic(
    {m: r.model for m, r in runs.items()},
    {m: r.history for m, r in runs.items()},
    X_train, y_train, X_test=X_test, y_test=y_test, resolution=80,
    title="moons, seed 0",
)

# %% [markdown]
# ## The quiz: run it several times
#
# The same data, the same settings; only the seed changes — it draws the initial weights
# and, in stochastic mode, the order of the mini-batches. `lecture.run_sweep` trains
# the network for each seed in each mode.

# %%
SEEDS = 20
sweep = lecture.run_sweep(SEEDS)
print(f"{SEEDS} seeds per mode; test accuracy:")
print(f"{'mode':>10} {'min':>6} {'median':>6} {'max':>6} {'mean':>6} "
      f"{'>= 95%':>6} {'stuck (< ' + format(lecture.STUCK_ACCURACY, '.0%') + ')':>13}")
for mode in sweep.modes:
    s = sweep.summary(mode)
    print(f"{mode:>10} {s.min:>6.3f} {s.median:>6.3f} {s.max:>6.3f} {s.mean:>6.3f} "
          f"{s.at_least_95:>6} {s.stuck:>13}")

fig, ax = plt.subplots(figsize=(7, 2.8))
for k, mode in enumerate(sweep.modes):
    accs = [r.test_accuracy for r in sweep.by_mode(mode)]
    ax.plot(np.array(sweep.seeds) + (k - 0.5) * 0.2, accs, "o", ms=5, label=mode)
ax.axhline(lecture.STUCK_ACCURACY, color="grey", lw=0.8, ls="--")
ax.set_xticks(sweep.seeds)
ax.set_xlabel("seed")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.05)
ax.legend(fontsize=8, loc="lower right")
ax.set_title("one dot per run; dashed: the 'stuck' line", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Dead ReLUs
#
# `lecture.dead_relus(model, X)` counts, per hidden layer, the ReLU units that output
# $0$ for every training point. Here are the runs that ended near chance, with their
# dead units after training and — for comparison — in the same seed's network before
# training:

# %%
stuck = [r for r in sweep.runs if r.stuck]
hidden = net.sizes[:-1]
print("hidden layer widths:", hidden)
if not stuck:
    print("no run ended near chance in this sweep")
for r in stuck:
    at_init = lecture.dead_relus(lecture.second_network(r.seed), r.X_train)
    whole = [k + 1 for k, (d, n) in enumerate(zip(r.dead, hidden, strict=True)) if d == n]
    print(f"{r.mode:>10} seed {r.seed:>2}: test accuracy {r.test_accuracy:.3f}; dead units "
          f"per layer {r.dead} after training, {at_init} at initialisation; "
          f"entirely dead: {', '.join(f'hidden {k}' for k in whole) or 'no layer'}")
stuck_seeds = {mode: [r.seed for r in stuck if r.mode == mode] for mode in sweep.modes}
print("stuck seeds per mode:", stuck_seeds)
print("mean dead units per run (all runs):",
      {m: round(sweep.summary(m).dead_mean, 2) for m in sweep.modes},
      "of", sum(hidden))

# %% [markdown]
# **Why.** A ReLU unit whose input is negative for every sample outputs $0$ and has
# derivative $0$ on every sample, so its weights and bias get zero gradient: nothing
# pushes it back to life (an optimizer with momentum, like Adam, only coasts on for a
# while), and only a change in the layers below could lift its input above zero again.
# A few dead units cost little (most runs above have some and still classify well).
# But when *every* unit of one layer is dead, that layer outputs zeros on every
# training point, everything after it sees a constant, and the network gives the same
# output for every point: it predicts one class, and its accuracy is that class's
# share of the data — about one half on these balanced sets. And the runs that fail
# are the same seeds in both modes (asserted below): the pattern behind the quiz is
# not batch vs stochastic, it is the starting point, the initial weights.
#
# The check below verifies this on every run of the sweep that has an entirely dead
# layer, and draws the first one: one flat colour over all the data. (A boundary line
# may still appear far from the data: a unit that is dead on every training point can
# have a positive input out there.)

# %%
dead_layer_runs = [
    r for r in sweep.runs if any(d == n for d, n in zip(r.dead, hidden, strict=True))
]
for r in dead_layer_runs:
    proba = predict_proba(r.model, r.X_train)
    constant = bool(np.all(proba == proba[0]))
    predicted = int(proba[0].argmax())
    share = float(np.mean(r.y_train == predicted))
    print(f"{r.mode:>10} seed {r.seed:>2}: output constant on the training set: {constant}; "
          f"it predicts class {predicted} for each; train accuracy {r.train_accuracy:.3f} "
          f"= that class's share {share:.3f}")
    assert constant and r.train_accuracy == share
assert stuck_seeds["batch"] == stuck_seeds["stochastic"]
print(f"{len(dead_layer_runs)} of {len(sweep.runs)} runs have an entirely dead layer; "
      f"{len(stuck)} ended near chance")

if dead_layer_runs:
    r = dead_layer_runs[0]
    display(plot_decision_boundary(
        r.model, r.X_train, r.y_train, X_test=r.X_test, y_test=r.y_test,
        resolution=40, title=f"{r.mode}, seed {r.seed}: a dead layer",
    ))
