# %% [markdown]
# # 1. Backpropagation, one node at a time
#
# This notebook follows the lecture's slides *Backpropagation: a simple example*,
# *Backpropagation* (the sigmoid neuron) and *Activation functions h*, using the
# `autograd` engine of this repository. Every number below is computed by the cells
# that print it; the cells that compare against the slides `assert`, so a change that
# broke a slide's number would stop the notebook.
#
# (Generated from `notebooks/src/01_backprop.py` by `python notebooks/build.py`.)

# %%
# %matplotlib inline
import math

import matplotlib.pyplot as plt

import viz
from autograd import Value, grad, gradcheck
from nn import ACTIVATIONS

print("activations:", ", ".join(ACTIVATIONS))

# %% [markdown]
# ## A `Value` remembers how it was computed
#
# The slide's function is $f(x, y, z) = (x + y)\,z$. Each operation on `Value`s
# returns a new `Value` that records its operation and its inputs (`op`, `parents`):
# that record is the computational graph. We name the intermediate sum $q = x + y$,
# as the slide does.

# %%
x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
q = x + y
q.label = "q"
f = q * z
f.label = "f"
print(f)
print("f was made by", repr(f.op), "from", [p.label for p in f.parents])
print("q was made by", repr(q.op), "from", [p.label for p in q.parents])

# %% [markdown]
# `f.backward()` walks the graph from `f` back to the inputs and applies the chain
# rule at every node. The slide's answers: $\partial f/\partial x = \partial f/\partial y = z$
# and $\partial f/\partial z = q = x + y$.

# %%
f.backward()
print(f"f = {f.data:g}   df/dx = {x.grad:g}   df/dy = {y.grad:g}   df/dz = {z.grad:g}")
assert f.data == -12.0  # the slide: f(-2, 5, -4) = -12
assert (x.grad, y.grad, z.grad) == (z.data, z.data, x.data + y.data) == (-4.0, -4.0, 3.0)

# %% [markdown]
# ## The graph, with its values and gradients
#
# `viz.draw_graph` draws one record per `Value` — its name, its forward `data` and its
# `grad` — and one small ellipse per operation. Inputs are light blue, the output has a
# red border.

# %%
viz.draw_graph(f, title="f = (x + y) * z after f.backward()")

# %% [markdown]
# ## The chain rule, step by step
#
# `viz.trace` writes the backward pass as the slide does: each node's gradient is the
# gradient arriving from above (*upstream*) times the node's *local* derivative. It
# computes the table from the same primitive rules as `backward`, without touching
# any `.grad`, and its numbers equal `backward`'s exactly.

# %%
t = viz.trace(f)
print(t)
assert t.grads["x"] == x.grad and t.grads["y"] == y.grad and t.grads["z"] == z.grad

# %% [markdown]
# ## Step through it: the backward explorer
#
# `viz.explore` plays the same walk over the drawing, one step at a time: first the
# forward pass (each node's `data`, in the engine's topological order), then the seed
# $df/df = 1$ and one step per edge in the order `backward` visits them, each the
# upstream gradient times the local derivative. Press **next** (or click the explorer
# and use →, ←, space), **play**, or drag the slider; click a node for its details.
# The numbers are the ones `viz.trace` printed above.

# %%
viz.explore(f, title="f = (x + y) * z")

# %% [markdown]
# ## The sigmoid neuron of the *Backpropagation* slide
#
# Given one training sample $(\mathbf{x}, y)$:
# $z = \mathbf{x}^\top \mathbf{w} + b$, $\hat y = \sigma(z)$,
# $\ell = \tfrac12(\hat y - y)^2$. The slide derives
#
# $$\frac{d\ell}{dz} = (\hat y - y)\,\sigma(z)\,(1 - \sigma(z)),\qquad
#   \frac{\partial \ell}{\partial \mathbf{w}} = \frac{d\ell}{dz}\,\mathbf{x},\qquad
#   \frac{\partial \ell}{\partial b} = \frac{d\ell}{dz}.$$
#
# The engine knows nothing of these formulas — only the local derivative of each
# primitive (`*`, `+`, `sigmoid`, `**2`). We build the neuron from `Value`s, call
# `backward`, and check the slide's formulas against the result. The sample and the
# weights are arbitrary.

# %%
xs = [2.0, -1.0]  # the sample's features
target = 1.0  # its label y
w = [Value(0.5, "w0"), Value(0.25, "w1")]
b = Value(0.1, "b")


def neuron_loss(w0: Value, w1: Value, b: Value) -> Value:
    """l = 1/2 (sigmoid(x^T w + b) - y)^2 for the sample above."""
    z = xs[0] * w0 + xs[1] * w1 + b
    z.label = "z"
    y_hat = z.sigmoid()
    y_hat.label = "ŷ"
    loss = 0.5 * (y_hat - target) ** 2
    loss.label = "ℓ"
    return loss


loss = neuron_loss(*w, b)
loss.backward()

# the slide's formulas, evaluated with plain floats
z_val = xs[0] * w[0].data + xs[1] * w[1].data + b.data
s = 1.0 / (1.0 + math.exp(-z_val))
dl_dz = (s - target) * s * (1.0 - s)
print(f"z = {z_val:.6f}   ŷ = {s:.6f}   ℓ = {loss.data:.6f}   dℓ/dz = {dl_dz:.6f}")
for i, wi in enumerate(w):
    print(f"dℓ/dw{i}: backward {wi.grad:+.12f}   slide dℓ/dz·x{i} {dl_dz * xs[i]:+.12f}")
print(f"dℓ/db : backward {b.grad:+.12f}   slide dℓ/dz     {dl_dz:+.12f}")
for i, wi in enumerate(w):
    assert math.isclose(wi.grad, dl_dz * xs[i], rel_tol=1e-12)
assert math.isclose(b.grad, dl_dz, rel_tol=1e-12)

# %% [markdown]
# The same neuron in the explorer: step to the end and watch $d\ell/dz$ reach $z$
# through the sigmoid's local derivative $\hat y(1 - \hat y)$, then split into
# $\partial \ell/\partial w_i = d\ell/dz \cdot x_i$ and $\partial \ell/\partial b = d\ell/dz$
# (`params=` draws the weights and the bias as parameters).

# %%
viz.explore(loss, params=[*w, b], title="the sigmoid neuron's loss")

# %% [markdown]
# ## The activation functions of the lecture, and their derivatives
#
# The slide *Activation functions h* lists identity, binary step, sigmoid, tanh, ReLU
# and softplus. `nn.ACTIVATIONS` has each as a function of `Value`s; below, each
# function's derivative is **not** a formula typed into this notebook: it is computed
# by the engine, `grad(h(v), v)`, at every point of the plot.
#
# Two of them have no derivative at $0$: the engine uses $0$ for ReLU there (as
# PyTorch does), and $0$ for the binary step everywhere — which is why a network of
# step units cannot be trained by gradient descent.

# %%
zs = [-4 + 8 * k / 400 for k in range(401)]
fig, axes = plt.subplots(2, 3, figsize=(9, 5), sharex=True)
for ax, (name, act) in zip(axes.flat, ACTIVATIONS.items(), strict=True):
    values, slopes = [], []
    for z0 in zs:
        v = Value(z0)
        out = act.value_fn(v)
        values.append(out.data)
        slopes.append(grad(out, v)[0])  # d h / d z, by the engine
    ax.plot(zs, values, label="h(z)")
    ax.plot(zs, slopes, "--", label="h'(z) (engine)")
    ax.set_title(f"{name}:  {act.formula}", fontsize=9)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_ylim(-1.5, 4.2)
axes[0, 0].legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# Each derivative the engine computed agrees with the textbook formula at every point
# of the plot (checked below; at $z = 0$ ReLU's and the step's derivatives are the
# engine's convention, $0$):

# %%
def sig(t: float) -> float:
    """The logistic function, as a plain float."""
    return 1.0 / (1.0 + math.exp(-t))


textbook = {
    "linear": lambda t: 1.0,
    "step": lambda t: 0.0,
    "sigmoid": lambda t: sig(t) * (1.0 - sig(t)),
    "tanh": lambda t: 1.0 - math.tanh(t) ** 2,
    "relu": lambda t: 1.0 if t > 0 else 0.0,
    "softplus": sig,
}
for name, act in ACTIVATIONS.items():
    worst = 0.0
    for z0 in zs:
        v = Value(z0)
        worst = max(worst, abs(grad(act.value_fn(v), v)[0] - textbook[name](z0)))
    print(f"{name:>9}: largest |engine - formula| over the plot = {worst:.1e}")
    assert worst < 1e-12

# %% [markdown]
# ## `gradcheck`: backward against finite differences
#
# `gradcheck(fn, inputs)` recomputes every input's derivative numerically, with the
# central difference $\big(f(x+\varepsilon) - f(x-\varepsilon)\big)/2\varepsilon$ in
# float64, and compares it with `backward`. On the neuron above, they agree:

# %%
report = gradcheck(neuron_loss, [*w, b])
print(report)
assert report.ok

# %% [markdown]
# At a kink the finite difference means nothing. ReLU at exactly $0$: the difference
# quotient straddles the corner and gives the average of the two one-sided slopes,
# while `backward` uses the convention $0$. `gradcheck` reports the mismatch *and* says
# why, so it is not mistaken for a bug in the engine. A step from the kink, the two
# agree again.

# %%
at_kink = gradcheck(lambda a: a.relu(), [Value(0.0, "a")])
print(at_kink)
print()
beside = gradcheck(lambda a: a.relu(), [Value(0.3, "a")])
print(beside)
assert not at_kink.ok and at_kink.kinks == (0,)
assert beside.ok and not beside.kinks

# %% [markdown]
# ## Second derivatives: `grad(..., create_graph=True)`
#
# With `create_graph=True`, `grad` returns the derivative as a `Value` — a new graph
# built from the same primitives — which can be differentiated again. For
# $h = \tanh v$: $h' = 1 - h^2$ and $h'' = -2h\,(1 - h^2)$; for the sigmoid,
# $\sigma'' = \sigma(1-\sigma)(1-2\sigma)$.

# %%
v = Value(0.5, "v")
h = v.tanh()
(dh,) = grad(h, v, create_graph=True)  # a Value: h'(v), with its own graph
(d2h,) = grad(dh, v)  # differentiate the derivative
th = math.tanh(v.data)
print(f"tanh at {v.data}:  h' = {dh.data:.12f} (formula {1 - th**2:.12f})")
print(f"                 h'' = {d2h:.12f} (formula {-2 * th * (1 - th**2):.12f})")
assert math.isclose(dh.data, 1 - th**2, rel_tol=1e-12)
assert math.isclose(d2h, -2 * th * (1 - th**2), rel_tol=1e-12)

p = v.sigmoid()
(dp,) = grad(p, v, create_graph=True)
(d2p,) = grad(dp, v)
sv = sig(v.data)
print(f"sigmoid at {v.data}: σ'' = {d2p:.12f} (formula {sv * (1 - sv) * (1 - 2 * sv):.12f})")
assert math.isclose(d2p, sv * (1 - sv) * (1 - 2 * sv), rel_tol=1e-12)

# %% [markdown]
# The derivative is an ordinary graph, so it can be drawn like any other. Calling
# `backward()` on it fills `v.grad` with the second derivative:

# %%
dh.label = "h'"
dh.backward()
assert math.isclose(v.grad, d2h, rel_tol=1e-12)
viz.draw_graph(dh, title="h' = d tanh(v)/dv as a graph; v.grad = h''(v)")
