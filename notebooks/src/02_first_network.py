# %% [markdown]
# # 2. The lecture's first network, step by step
#
# *Build our first neural network*: one training example $\mathbf{x}$ with target
# $\mathbf{y}$, a network that should output $[\mathbf{p}]_0 \approx [\mathbf{y}]_0$,
# $[\mathbf{p}]_1 \approx [\mathbf{y}]_1$, and the least-squares loss
# $\ell = \tfrac12\lVert\mathbf{p} - \mathbf{y}\rVert^2$. The lecture's four steps:
# design the network, implement it (forward pass, loss, gradients), train it, check
# the losses.
#
# The network, its weights and the slide's printed numbers live in
# `valuegrad.lecture`; every comparison with the slides below is an `assert`.
#
# (Generated from `notebooks/src/02_first_network.py` by `python notebooks/build.py`.)

# %%
# %matplotlib inline
import itertools
import math

import viz
from autograd import Value, gradcheck, toposort
from nn import squared_error
from valuegrad import lecture
from viz.plots import plot_losses

print("x =", lecture.X, "  y =", lecture.Y)

# %% [markdown]
# ## 1. Design
#
# Two inputs, a hidden layer of three sigmoid neurons, two sigmoid outputs. Neuron
# $j$ computes $z_j = \mathbf{x}^\top\mathbf{w}_j + b_j$ and outputs $\sigma(z_j)$;
# neurons $0, 1, 2$ are hidden, $3, 4$ are the outputs. `lecture.first_network()`
# builds it with the lecture's weights; `viz.draw_network` draws every weight on its
# edge and every bias in its neuron.

# %%
net = lecture.first_network()
print(net)
print("W0 (hidden, row j = w_j):", lecture.HIDDEN_WEIGHTS, "  bias", lecture.HIDDEN_BIAS)
print("W1 (output, row j = w_3+j):", lecture.OUTPUT_WEIGHTS, "  bias", lecture.OUTPUT_BIAS)
viz.draw_network(net, input_names=["x0", "x1"], output_names=["p0", "p1"],
                 title="the first network, 2-3-2, with the lecture's weights")

# %% [markdown]
# **A note on $W_1$.** The slide prints $W_1$ with rows $(.5, .6, .7)$ and
# $(.55, .65, .75)$ and never prints the output bias. Its numbers only come out with
# the list $.5, .55, \dots, .75$ laid row by row — as the lecture's *code* fills the
# weights — and an output bias of $.8$. Solving $b = z - \mathbf{h}^\top\mathbf{w}$ with
# the slide's own $\mathbf{h}$ and $z_3, z_4$ shows it: with the rows as the code lays
# them both output neurons need the same bias, with the rows as printed they would need
# two different ones.

# %%
h_slide = lecture.SLIDE["h"]
z_slide = lecture.SLIDE["z"][3:]  # z3, z4 as printed
printed_w1 = [[0.5, 0.6, 0.7], [0.55, 0.65, 0.75]]  # as on the slide
for name, rows in [("rows as the code lays them", lecture.OUTPUT_WEIGHTS),
                   ("rows as printed", printed_w1)]:
    biases = [zk - sum(h * w for h, w in zip(h_slide, row, strict=True))
              for zk, row in zip(z_slide, rows, strict=True)]
    print(f"{name:>27}: b3 = {biases[0]:.4f}, b4 = {biases[1]:.4f}")
    if rows is lecture.OUTPUT_WEIGHTS:
        assert all(abs(bk - lecture.OUTPUT_BIAS) < 5e-4 for bk in biases)
    else:
        assert abs(biases[0] - biases[1]) > 0.01

# %% [markdown]
# ## 2. The forward pass and the loss
#
# `lecture.forward_pass` runs the network on $\mathbf{x}$, reads every pre-activation
# $z_j$, hidden output $[\mathbf{h}]_j$ and output $[\mathbf{p}]_j$, and
# backpropagates the loss. Below, the slide's numbers (four decimals) next to the
# engine's. The slide's $z_2$ is a typo: $0.05 \cdot 0.35 + 0.10 \cdot 0.4 + 0.45$ —
# the printed digits are swapped (shown in the last column).

# %%
fp = lecture.forward_pass(net)
rows = (
    [(f"z{j}", lecture.SLIDE["z"][j], fp.z[j]) for j in range(5)]
    + [(f"[h]{j}", lecture.SLIDE["h"][j], fp.h[j]) for j in range(3)]
    + [(f"[p]{j}", lecture.SLIDE["p"][j], fp.output[j]) for j in range(2)]
    + [("loss", lecture.SLIDE["loss"], fp.loss)]
)
print(f"{'':>6} {'slide':>8} {'engine':>12}  matches to 4 decimals")
for name, slide, ours in rows:
    ok = abs(ours - slide) < 5e-5
    note = "" if ok else "   <- typo on the slide: the digits 7 and 5 are swapped"
    print(f"{name:>6} {slide:>8.4f} {ours:>12.8f}  {'yes' if ok else 'NO'}{note}")
    if name != "z2":
        assert ok, name
z2 = 0.05 * 0.35 + 0.10 * 0.4 + 0.45
assert abs(fp.z[2] - z2) < 1e-15 and abs(fp.z[2] - 0.5075) < 1e-12
assert abs(fp.loss - 0.3671) < 5e-5

# %% [markdown]
# ## The whole graph, one cluster per neuron
#
# Every node of the loss's computational graph, drawn with its value and — after
# `backward` — its gradient. Each dashed cluster holds the nodes one neuron built;
# the amber leaves are the parameters, named by their place in the network
# (`layers.0.neurons.2.w.1` is $[\mathbf{w}_2]_1$).

# %%
net.zero_grad()
p = net(lecture.X)
loss = squared_error(p, lecture.Y)
loss.label = "loss"
loss.backward()
print(f"loss = {loss.data:.6f}; the graph has {len(toposort(loss))} nodes")
viz.draw_graph(loss, module=net, cluster="neuron", title="ℓ = ½‖p − y‖², after backward")

# %% [markdown]
# ## The quiz: $\partial\ell/\partial[\mathbf{w}_0]_0$, three ways
#
# The slide works $\partial\ell/\partial[\mathbf{w}_3]_0
# = ([\mathbf{p}]_0 - [\mathbf{y}]_0)\,[\mathbf{p}]_0(1 - [\mathbf{p}]_0)\,[\mathbf{h}]_0$
# and asks for $\partial\ell/\partial[\mathbf{w}_0]_0$. The weight $[\mathbf{w}_0]_0$
# feeds $z_0$, hence $[\mathbf{h}]_0$, which feeds *both* outputs, so the chain rule
# sums over the two paths:
#
# $$\frac{\partial\ell}{\partial[\mathbf{w}_0]_0}
#   = \Big(\sum_{k=0}^{1}
#       \underbrace{([\mathbf{p}]_k - [\mathbf{y}]_k)\,[\mathbf{p}]_k(1-[\mathbf{p}]_k)}
#                  _{\partial\ell/\partial z_{3+k}}
#       \,[\mathbf{w}_{3+k}]_0\Big)\,
#     [\mathbf{h}]_0(1 - [\mathbf{h}]_0)\,[\mathbf{x}]_0 .$$
#
# **(a) By hand**, with the forward pass's numbers:

# %%
x0 = lecture.X[0]
h0 = fp.h[0]
dl_dz_out = [(pk - yk) * pk * (1 - pk) for pk, yk in zip(fp.output, lecture.Y, strict=True)]
dl_dh0 = sum(d * row[0] for d, row in zip(dl_dz_out, lecture.OUTPUT_WEIGHTS, strict=True))
by_hand = dl_dh0 * h0 * (1 - h0) * x0
print(f"dℓ/dz3, dℓ/dz4 = {dl_dz_out[0]:.6f}, {dl_dz_out[1]:.6f}")
print(f"dℓ/d[h]0 = {dl_dh0:.6f}   dℓ/dz0 = {dl_dh0 * h0 * (1 - h0):.6f}")
print(f"(a) by hand:   dℓ/d[w0]0 = {by_hand:.9f}")

# the slide's own example, dℓ/d[w3]0, the same way
w3_0 = (fp.output[0] - lecture.Y[0]) * fp.output[0] * (1 - fp.output[0]) * h0
assert math.isclose(w3_0, fp.gradients["[w3]0"], rel_tol=1e-12)

# %% [markdown]
# **(b) By `backward`** — the gradient the engine left on the parameter in the graph
# drawn above (and the one `forward_pass` read):

# %%
w0_0 = net.layers[0].neurons[0].w[0]
print(f"(b) backward:  dℓ/d[w0]0 = {w0_0.grad:.9f}   (forward_pass: {fp.gradients['[w0]0']:.9f})")
assert w0_0.grad == fp.gradients["[w0]0"]
assert math.isclose(w0_0.grad, by_hand, rel_tol=1e-12)

# %% [markdown]
# **(c) By `gradcheck`** — central finite differences on the loss as a function of
# every parameter at once (each input is put in place of one parameter of a fresh copy
# of the network):

# %%
def loss_of(*params: Value) -> Value:
    """The first network's loss on (x, y) with its parameters replaced by ``params``."""
    fresh = lecture.first_network()
    it = iter(params)
    for layer in fresh.layers:
        for neuron in layer.neurons:
            neuron.w = [next(it) for _ in neuron.w]
            neuron.b = next(it)
    return squared_error(fresh(lecture.X), lecture.Y)


inputs = [Value(v.data, name) for name, v in lecture.parameter_names(net)]
report = gradcheck(loss_of, inputs)
print(report)
assert report.ok
numeric = report[0].numeric  # row 0 is [w0]0
print(f"\n(c) gradcheck: dℓ/d[w0]0 = {numeric:.9f}")
assert report[0].label == "[w0]0" and math.isclose(numeric, by_hand, rel_tol=1e-6)

# %% [markdown]
# The three agree. Next to them, the slide's quiz answer, and the exact value rounded
# to as many decimals as the slide gives: the slide's answer is not a rounding of it.

# %%
quiz = lecture.SLIDE["dl/d[w0]0"]
print(f"dℓ/d[w0]0 = {w0_0.grad:.6f}   slide's quiz answer {quiz}   rounded like it {w0_0.grad:.4f}")
assert abs(w0_0.grad - 0.000528) < 5e-7 and round(w0_0.grad, 4) != quiz

# %% [markdown]
# ## 3. Train: stochastic gradient descent
#
# The lecture's loop: on its single sample, repeat *forward, backward, update*
# $[\mathbf{w}_i]_j \leftarrow [\mathbf{w}_i]_j - \eta\,\partial\ell/\partial[\mathbf{w}_i]_j$.
# As in the lecture's code, only the weights are updated (the biases stay as
# given). `lecture.run_regression` does this with `nn.train` and `nn.SGD`.

# %%
result = lecture.run_regression(steps=1000, lr=0.5)
print(f"{result.steps} iterations, η = {result.lr}, biases trained: {result.train_biases}")
print(f"loss: {result.initial.loss:.6f} before training -> {result.final.loss:.6f} after")
print("output p:", [round(v, 6) for v in result.initial.output], "->",
      [round(v, 6) for v in result.final.output], "  target y:", lecture.Y)
assert result.losses[0] == fp.loss
assert result.model.biases == [[lecture.HIDDEN_BIAS] * 3, [lecture.OUTPUT_BIAS] * 2]

# %% [markdown]
# ## 4. Check the training losses
#
# One point per iteration: the loss before that iteration's update. As on the slide,
# it decreases at every step (checked below the plot); the log scale shows it keeps
# falling long after the curve on a linear axis would look flat.

# %%
decreasing = all(b < a for a, b in itertools.pairwise(result.losses))
print("the loss decreased at every iteration:", decreasing)
assert decreasing and result.final.loss < result.losses[-1]
plot_losses(result.losses, title=f"first network: loss per SGD iteration (η = {result.lr})")

# %% [markdown]
# The trained network. Which layer's weights moved more?

# %%
for k, (before, after) in enumerate(zip(net.weights, result.model.weights, strict=True)):
    moved = [abs(a - b) for rb, ra in zip(before, after, strict=True)
             for b, a in zip(rb, ra, strict=True)]
    print(f"layer {k}: mean |change| of its weights = {sum(moved) / len(moved):.4f}")
viz.draw_network(result.model, input_names=["x0", "x1"], output_names=["p0", "p1"],
                 title=f"after {result.steps} iterations")
