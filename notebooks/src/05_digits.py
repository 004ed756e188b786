# %% [markdown]
# # 5. Handwritten digits: p = Wx, one hidden layer, and the cost of a bigger network
#
# The lecture's slides *A simple neural network for classification* take images of
# digits: *the potential outputs are 0, 1, 2, ..., 9*. Instead of a single weight
# vector, *we want 10 weight vectors (one for each digit)* $\mathbf w_0, \dots,
# \mathbf w_9$, stacked as the rows of a matrix:
#
# $$\mathbf W = \begin{bmatrix} \mathbf w_0^\top \\ \vdots \\ \mathbf w_9^\top
# \end{bmatrix}, \qquad \mathbf p = \mathbf W \mathbf x,$$
#
# and $\mathbf W$ should make $[\mathbf p]_j$ the largest score when the digit is $j$.
# The next slide, *Hidden layers*, adds one:
# $\mathbf p = \mathbf W_2\, h(\mathbf W_1 \mathbf x + \mathbf b_0) + \mathbf b_1$.
# We train both on real handwritten digits, look at the ten weight vectors as images,
# compare the two networks, and end with the slide *Computation cost*.
#
# The experiments are the functions of `valuegrad.digits`; the pictures come from
# `viz.plots`. (Generated from `notebooks/src/05_digits.py` by
# `python notebooks/build.py`.)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from autograd import toposort
from nn import MLP, cross_entropy, data, train
from valuegrad import digits
from viz.plots import plot_confusion_matrix, plot_digit_weights, plot_digits, plot_misclassified

plt.rcParams["figure.dpi"] = 80  # keeps the committed notebook's images small

print(digits.DIGITS_DEFAULTS)

# %% [markdown]
# ## The data
#
# The slides use MNIST (28×28 pixels). `nn.data.digits()` gives the smaller UCI
# handwritten digits that scikit-learn ships (so no download): 1,797 images of 8×8
# pixels, each pixel a count from 0 to 16 of the ink in a 4×4 block of a 32×32 scan,
# scaled here to $[0, 1]$. Each image is one row of 64 numbers, read row by row: the
# input vector $\mathbf x$ of the slide.

# %%
X, y = data.digits()
print("X:", X.shape, X.dtype, f"values {X.min()}..{X.max()}", "  y:", y.shape, y.dtype)
print("images per digit:", np.bincount(y).tolist())
assert X.shape == (1797, 64) and np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
print("the first image (x 16), an 8x8 zero:")
print((X[0] * 16).astype(int).reshape(8, 8))

# %% [markdown]
# A quarter of the images are held out for testing. The split is *stratified*: each
# digit sends the same share of its images to the test set, so both halves keep the
# class proportions (`train_test_split(..., stratify=True)`).

# %%
X_train, X_test, y_train, y_test = digits.split_digits()
print(f"{len(y_train)} training images, {len(y_test)} test images")
print("test images per digit:    ", np.bincount(y_test).tolist())
print("training images per digit:", np.bincount(y_train).tolist())

first = [int(np.flatnonzero(y_train == d)[k]) for k in range(2) for d in range(10)]
means = np.array([X_train[y_train == d].mean(axis=0) for d in range(10)])
plot_digits(np.vstack([X_train[first], means]),
            [str(y_train[k]) for k in first] + [f"mean {d}" for d in range(10)],
            title="Training images, and the mean image of each digit (last row)")

# %% [markdown]
# ## The linear classifier p = Wx
#
# `digits.linear_classifier()` is an `nn.MLP` with one linear layer of 10 neurons,
# 64 inputs each: neuron $j$ computes $[\mathbf p]_j = \mathbf w_j^\top \mathbf x$, so
# its weights are the row $\mathbf w_j$ of $\mathbf W$. The slide has no bias, so the
# biases (which `MLP` always has) stay at 0 and are not trained. It starts from
# $\mathbf W = 0$: the loss is convex in $\mathbf W$, so there is no symmetry to break,
# and a pixel that no training image inks gets no gradient
# ($\partial\ell/\partial[\mathbf W]_{ji} = x_i(\mathrm{softmax}(\mathbf p)_j - t_j) =
# 0$), so it keeps its starting weight; from 0 it stays blank in the pictures below.
#
# The loss is the cross-entropy of the softmax of the scores, as for the second
# network. The network's output *is* the matrix product:

# %%
net = digits.linear_classifier()
print(net)
W = np.random.default_rng(0).normal(size=(10, 64))
probe = MLP(64, [10], output_activation="linear", weights=[W])
x = X_train[0]
print("network output p: ", np.round(probe.forward_numpy(x[None])[0], 4))
print("the matrix product Wx:", np.round(W @ x, 4))
assert np.allclose(probe.forward_numpy(x[None])[0], W @ x, rtol=1e-13)

# %% [markdown]
# Training with the defaults printed at the top (Adam, mini-batches of 32, 20 epochs)
# on the **compiled** engine, which records one sample's graph once and replays it
# over whole mini-batches. It does the eager
# engine's arithmetic in the same order, so the results are the same to the last bit —
# checked here on one epoch of 48 images for both networks of this notebook:

# %%
small = (X_train[:48], X_test, y_train[:48], y_test)
for hidden in ([], [32]):
    eager = digits.run_digits(hidden, split=small, epochs=1, batch_size=16, engine="eager")
    compiled = digits.run_digits(hidden, split=small, epochs=1, batch_size=16, engine="compiled")
    same = (eager.history.step_loss == compiled.history.step_loss
            and eager.model.weights == compiled.model.weights)
    print(f"{digits.network_name(hidden):>15}: eager and compiled identical: {same}")
    assert same

# %%
split = (X_train, X_test, y_train, y_test)
linear = digits.run_digits([], split=split)
h = linear.history
for e in (0, 4, 9, 19):
    print(f"epoch {e + 1:>2}: loss {h.loss[e]:.4f}  train acc {h.train_accuracy[e]:.3f}  "
          f"test acc {h.test_accuracy[e]:.3f}")
print(f"{h.engine} engine, {h.steps} updates, {linear.trained_parameters} trained weights")
assert h.engine == "compiled" and linear.model.biases == [[0.0] * 10]

# %% [markdown]
# ### The ten weight vectors, made visible
#
# Row $j$ of $\mathbf W$ has one weight per pixel, so it is itself an 8×8 image.
# $[\mathbf p]_j = \mathbf w_j^\top\mathbf x$ adds up the ink of $\mathbf x$ weighted
# by image $j$: a blue pixel is ink that speaks *for* digit $j$, a red one ink that
# speaks *against* it. Compare with the mean images above: the 0's weights are red in
# the middle, where a zero has its hole and most other digits have ink.

# %%
display(plot_digit_weights(
    linear.model.layers[0], titles=[f"w{j}: digit {j}" for j in range(10)],
    title="p = Wx: the ten weight vectors w_j (rows of W) as 8x8 images"))
W = np.array(linear.model.layers[0].weights)
centre = W[0].reshape(8, 8)[3:5, 3:5]
print("w0 in the middle 2x2 pixels:", np.round(centre, 2).tolist())
assert centre.mean() < 0

# %% [markdown]
# The scores of one test image: the largest is the prediction.

# %%
k = 0
scores = linear.model.forward_numpy(X_test[k][None])[0]
fig, (a, b) = plt.subplots(1, 2, figsize=(7, 2.2), gridspec_kw={"width_ratios": [1, 3]})
a.imshow(X_test[k].reshape(8, 8), cmap="gray_r")
a.set_title(f"test image {k}: a {y_test[k]}", fontsize=9)
a.set_axis_off()
b.bar(range(10), scores, color=["C1" if j == scores.argmax() else "C0" for j in range(10)])
b.set_xticks(range(10))
b.set_xlabel("digit j")
b.set_ylabel("[p]_j = w_j . x")
fig.tight_layout()
plt.show()
print("scores:", np.round(scores, 2), " predicted:", scores.argmax(), " true:", y_test[k])

# %% [markdown]
# ## One hidden layer: p = W₂ h(W₁x + b₀) + b₁
#
# `digits.hidden_network()` puts 32 ReLU units between the pixels and the scores:
# 64-32-10, $32 \cdot 64 + 32 + 10 \cdot 32 + 10 = 2410$ parameters, trained with the
# same settings (He initialisation, the seed draws it).

# %%
hidden = digits.run_digits([32], split=split)
print(hidden.model)
g = hidden.history
print(f"parameters: {hidden.model.num_parameters()};  {g.engine} engine, {g.steps} updates")
print(f"{'network':>15} {'trained parameters':>18} {'train acc':>9} {'test acc':>8}")
for r in (linear, hidden):
    print(f"{r.name:>15} {r.trained_parameters:>18} {r.train_accuracy:>9.3f} {r.test_accuracy:>8.3f}")
assert hidden.model.num_parameters() == 2410

# %% [markdown]
# The first layer's 32 weight vectors are 8×8 images too. They are no longer one per
# digit: each is a pattern the hidden unit responds to, and the second layer combines
# them into the ten scores. A few stay faint: those units output 0 for every training
# image — dead ReLUs, as in notebook 3 — so no gradient reaches their weights any more
# and they stay near their random start.

# %%
display(plot_digit_weights(hidden.model.layers[0], title="64-32-10: the 32 weight vectors of W1"))
hidden_out = hidden.model.layer_outputs_numpy(X_train)[0]
dead = np.flatnonzero(np.all(hidden_out <= 0, axis=0))
print(f"dead hidden units (0 on every training image): {len(dead)} of 32, {dead.tolist()}")
W1 = np.array(hidden.model.layers[0].weights)
print(f"largest |weight| of a dead unit {np.abs(W1[dead]).max():.2f}, of a live one "
      f"{np.abs(np.delete(W1, dead, axis=0)).max():.2f}")

# %% [markdown]
# ### Over several seeds
#
# One run proves little (the lecture's quiz on the second network). The seed draws the
# hidden network's initial weights and, for both, the order of the mini-batches:

# %%
accs = {linear.name: [linear.test_accuracy], hidden.name: [hidden.test_accuracy]}
for seed in (1, 2):
    for h_ in ([], [32]):
        r = digits.run_digits(h_, split=split, seed=seed)
        accs[r.name].append(r.test_accuracy)
for name, a in accs.items():
    print(f"{name:>15}: test accuracy over seeds 0, 1, 2: {np.round(a, 3).tolist()}  "
          f"(mean {np.mean(a):.3f})")

# %% [markdown]
# The hidden layer helps, but less than one might expect: on these small, centred
# images the ten templates of $\mathbf p = \mathbf W\mathbf x$ already get about 96%
# right; the hidden layer makes it about 97% (the README has the figures over ten
# seeds). Both fit the training set almost perfectly.
#
# ## Which digits get confused
#
# Row $i$, column $j$ of a confusion matrix counts the test images of digit $i$ that
# the network called $j$. Correct answers are on the diagonal (blue); mistakes are
# orange, darker for more frequent ones.

# %%
display(plot_confusion_matrix(
    {f"{r.name}: test accuracy {r.test_accuracy:.3f}": r.confusion for r in (linear, hidden)},
    title=f"Confusion matrices on the {len(y_test)} test images"))
for r in (linear, hidden):
    worst = ", ".join(f"{i} as {j} ({n}x)" for i, j, n in digits.most_confused(r.confusion))
    print(f"{r.name:>15}: most confused: {worst}")

# %% [markdown]
# And the images themselves: every test image the hidden network gets wrong, with its
# true label and the network's answer. Several are hard to read for a person too.

# %%
plot_misclassified(X_test, y_test, hidden.predicted)

# %% [markdown]
# ## Computation cost
#
# The slide *Computation cost* designs a network for MNIST: $28 \times 28 = 784$
# inputs, hidden layers of 512 and 256 units, 10 outputs, and asks how many
# optimization variables it has: $784 \cdot 512 + 512 \cdot 256 + 256 \cdot 10 =
# 535{,}040$ weights (plus 778 biases).

# %%
big = MLP(784, [512, 256, 10], seed=0)
weights = sum(layer.nin * layer.nout for layer in big.layers)
print(f"784-512-256-10: {weights:,} weights, {big.num_parameters():,} parameters with biases")
assert weights == 784 * 512 + 512 * 256 + 256 * 10 == 535_040

# %% [markdown]
# In a scalar engine every weight is a node of the graph, and so is every product and
# every partial sum: a layer of $n_\text{out}$ neurons on $n_\text{in}$ inputs adds
# $n_\text{in} n_\text{out}$ weights, as many products and as many additions, plus
# $n_\text{out}$ biases and activations. Counted that way (and checked against the
# recorded graph of the 64-32-10 network), one sample's graph of the slide's network
# holds 1.6 million nodes:

# %%
def graph_nodes(sizes: list[int]) -> int:
    """Nodes of one sample's loss graph: inputs, then per layer weights, products, sums,
    biases and ReLUs (none on the last), then the cross-entropy's 9 logaddexp and 1 minus."""
    nodes = sizes[0]
    for k, (nin, nout) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        relu = nout if k < len(sizes) - 2 else 0
        nodes += 3 * nin * nout + nout + relu
    return nodes + sizes[-1]


recorded = len(toposort(cross_entropy(hidden.model(list(X_test[0])), int(y_test[0]))))
print(f"64-32-10: {graph_nodes([64, 32, 10]):,} nodes counted, {recorded:,} recorded")
assert recorded == graph_nodes([64, 32, 10])
print(f"784-512-256-10: {graph_nodes([784, 512, 256, 10]):,} nodes per sample")

# %% [markdown]
# The compiled engine records that graph once and replays it in batches. How recording
# time, memory and replay time grow from 64-16-10 up to this network, and how an epoch
# of the digits network compares with the same network written by hand in numpy and in
# PyTorch, is measured by `python -m benchmarks.scale` (the README's *Speed* section
# has the table).
#
# ## The same network in PyTorch
#
# The lecture's last section shows the second network in Keras (*TensorFlow and
# others*). The model built and understood here moves, unchanged, to PyTorch:
# `MLP.to_torch()` returns a `torch.nn.Sequential` with the same float64 weights and
# activations, and `MLP.from_torch(module)` goes back. (torch is optional: it is
# imported only by these two calls.)

# %%
try:
    import torch
except ImportError:
    torch = None
    print("torch is not installed here (sh bootstrap.sh dev installs it)")
if torch is not None:
    model = hidden.model.to_torch()
    print(model)
    with torch.no_grad():
        theirs = model(torch.from_numpy(X_test)).numpy()
    ours = hidden.model.forward_numpy(X_test)
    print(f"largest difference of the 4500 scores: {np.abs(theirs - ours).max():.1e}")
    print("same predictions:", bool(np.array_equal(theirs.argmax(axis=1), hidden.predicted)))
    back = MLP.from_torch(model)
    print("back from torch, the same weights:", back.weights == hidden.model.weights)
    assert np.abs(theirs - ours).max() < 1e-12 and back.weights == hidden.model.weights
