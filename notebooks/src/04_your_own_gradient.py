# %% [markdown]
# # 4. Your own gradient: a new operation, checked like the built-in ones
#
# The engine's operations are rows of one table, and you can add a row. This notebook
# defines a new activation, **swish** $s(x) = x\,\sigma(x)$, first with a deliberately
# wrong derivative, and lets the checks find the mistake: a gradient check at one point,
# then a property test that tries many points (with
# [hypothesis](https://hypothesis.readthedocs.io)) and shrinks the failure to a small
# example. Then we fix the rule, check first and second derivatives, look at the new
# operation in the backward trace and in the drawing, and train a small network with it.
#
# (Generated from `notebooks/src/04_your_own_gradient.py` by `python notebooks/build.py`.)

# %%
# %matplotlib inline
import math

import hypothesis
from hypothesis import given, settings

import viz
from autograd import Value, fn, grad, ops, primitive
from autograd.testing import assert_gradcheck, graphs, values

# Reproducible runs for a notebook: the same examples every time, and no example
# database written to disk (in a test suite you would keep hypothesis's defaults).
settings.register_profile("notebook", derandomize=True, database=None, deadline=None)
settings.load_profile("notebook")
print("hypothesis", hypothesis.__version__)

# %% [markdown]
# ## A new operation in one call
#
# `primitive(name, forward, deriv, ...)` declares an operation: `forward` maps a float to
# a float, and `deriv(x, out)` returns its *local derivative* $ds/dx$ at the input `x`
# (with the output `out` at hand). The `formula` and `local` strings are what the trace
# and the drawings print. Here is swish with a classic mistake: the product rule
# forgotten, so the derivative of $x\,\sigma(x)$ is written as just $\sigma(x)$.

# %%
wrong_swish = primitive(
    "swish",
    lambda x: x * fn.sigmoid(x),
    lambda x, out: fn.sigmoid(x),  # WRONG: d(x s(x))/dx is not s(x)
    formula="x * sigmoid(x)",
    local=("sigmoid(x)",),
    np_forward=lambda x: x * fn.sigmoid(x),
)
x = Value(1.5, "x")
y = wrong_swish(x)
y.backward()
print(f"swish(1.5) = {y.data:.6f}   the rule says ds/dx = {x.grad:.6f}")

# %% [markdown]
# ## One gradient check
#
# `assert_gradcheck` compares the engine's derivative with a central finite difference,
# $\big(s(x + \varepsilon) - s(x - \varepsilon)\big) / 2\varepsilon$ with
# $\varepsilon = 10^{-6}$, computed from `forward` alone. At $x = 1.5$ they disagree, and
# the assertion's message is the table that says by how much:

# %%
try:
    assert_gradcheck(lambda a: wrong_swish(a), [1.5])
except AssertionError as err:
    print(err)
else:
    raise RuntimeError("the wrong rule should not pass")

# %% [markdown]
# ## A property test finds and shrinks a counter-example
#
# One point can be lucky: at $x = 0$ the wrong rule happens to be right, since
# $s'(0) = \sigma(0) = 1/2$. A property test states what must hold for *every* input and
# lets hypothesis search for one where it fails. `values()` draws floats (away from the
# edges of a primitive's domain, here the whole line); when a test fails, hypothesis
# *shrinks* the input to a simpler one that still fails and reports it.

# %%
found = []


@settings(max_examples=200)
@given(values())
def swish_gradient_is_right(x: float) -> None:
    try:
        assert_gradcheck(lambda a: wrong_swish(a), [x])
    except AssertionError:
        found.append(x)
        raise


try:
    swish_gradient_is_right()
except AssertionError:
    print(f"hypothesis tried {len(found)} failing inputs; it shrank them to x = {found[-1]!r}")
else:
    raise RuntimeError("hypothesis should have found the mistake")
assert found and found[-1] != 0.0

# %% [markdown]
# ## The right rule, checked to the second derivative
#
# With $\sigma' = \sigma(1 - \sigma)$, the product rule gives
# $s'(x) = \sigma(x) + x\,\sigma(x)\big(1 - \sigma(x)\big) = \sigma(x)\big(1 + x(1 - \sigma(x))\big)$.
# The rule is written with `autograd.fn`, whose functions accept a float, a `Value` or a
# numpy array: so the same line serves `backward` (floats), `grad(create_graph=True)`
# (Values: the second derivative is exact, not a finite difference) and the compiled
# engine (arrays). `domain` and `kink` are left at their defaults: swish is smooth on
# the whole line. (Defining a name again replaces the old definition.)

# %%
def swish_rule(x, out):
    s = fn.sigmoid(x)
    return s * (1 + x * (1 - s))


swish = primitive(
    "swish",
    lambda x: x * fn.sigmoid(x),
    swish_rule,
    formula="x * sigmoid(x)",
    local=("sigmoid(x) * (1 + x * (1 - sigmoid(x)))",),
    np_forward=lambda x: x * fn.sigmoid(x),
)


@settings(max_examples=200)
@given(values())
def right_swish(x: float) -> None:
    assert_gradcheck(lambda a: swish(a), [x], order=2)


right_swish()
print(assert_gradcheck(lambda a: swish(a), [1.5], order=2))

# %% [markdown]
# The second derivative by the engine, against the closed form
# $s''(x) = \sigma'(x)\big(2 + x(1 - 2\sigma(x))\big)$:

# %%
x = Value(1.5, "x")
(d1,) = grad(swish(x), [x], create_graph=True)
(d2,) = grad(d1, [x])
sig = 1 / (1 + math.exp(-1.5))
closed = sig * (1 - sig) * (2 + 1.5 * (1 - 2 * sig))
print(f"s'(1.5) = {d1.data:.12f}   s''(1.5) = {d2:.12f}   closed form {closed:.12f}")
assert math.isclose(d2, closed, rel_tol=1e-12)

# %% [markdown]
# ## In random graphs, with the built-in operations
#
# A rule can be right alone and still meet trouble in company (a shared input, a
# constant on the other side). `graphs(primitives=[...])` draws random expression graphs
# over the given operations, with shared sub-expressions and constants on either side,
# and inputs kept inside every operation's domain and away from its kinks:

# %%
seen = set()


@settings(max_examples=150)
@given(graphs(primitives=[swish, ops.MUL, ops.ADD, ops.TANH, ops.LOG, ops.RELU]))
def swish_in_graphs(case) -> None:
    f, inputs = case
    seen.update(p.name for p in f.primitives)
    assert_gradcheck(f, inputs, order=2)


swish_in_graphs()
print("every drawn graph checked; operations seen:", ", ".join(sorted(seen)))

# %% [markdown]
# ## The new operation in the trace and the drawing
#
# The trace prints each chain-rule step with the local derivative from the row's `local`
# formula, and the drawing shows the operation's name with its formula. The slide's
# sigmoid neuron, with swish instead of the sigmoid:

# %%
w, b, xin = Value(0.4, "w"), Value(-0.3, "b"), Value(1.2, "x")
z = w * xin + b
z.label = "z"
h = swish(z)
h.label = "h"
loss = (h - 0.5) ** 2 * 0.5
loss.label = "l"
loss.backward()
print(viz.trace(loss))

# %%
viz.draw_graph(loss)

# %% [markdown]
# And in the backward explorer (step through it with the buttons or the arrow keys):

# %%
viz.explore(loss)

# %% [markdown]
# ## A small network with swish
#
# `nn.register_activation` makes a one-input primitive an activation that layers use by
# its name. The network below trains on the moons on the compiled engine (swish has an
# array form, `np_forward`), and the numbers equal the eager engine's.

# %%
from nn import MLP, data, register_activation, train  # noqa: E402

register_activation(swish, init="he")
X, y = data.moons(200, noise=0.1, seed=0)
X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_fraction=0.25, seed=0)
net = MLP(2, [8, 8, 2], activation="swish", seed=0)
history = train(net, X_tr, y_tr, mode="stochastic", optimizer="adam", lr=0.02, epochs=60,
                X_test=X_te, y_test=y_te)
twin = MLP(2, [8, 8, 2], activation="swish", seed=0)
eager = train(twin, X_tr, y_tr, mode="stochastic", optimizer="adam", lr=0.02, epochs=60,
              X_test=X_te, y_test=y_te, engine="eager")
print(f"{history.engine} engine: final loss {history.loss[-1]:.4f}, "
      f"test accuracy {history.test_accuracy[-1]:.3f}")
assert history.engine == "compiled" and history.loss == eager.loss  # to the last bit
assert history.test_accuracy[-1] >= 0.9
print(net)

# %%
viz.plot_decision_boundary(net, X_te, y_te, title="2-8-8-2 with swish: test points")
