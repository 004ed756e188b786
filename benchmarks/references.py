"""The lecture's second network written directly in numpy (and in PyTorch, if installed).

These are the speed references for the compiled engine: a ReLU MLP with a softmax
cross-entropy loss, trained on the same data, from the same initial weights, with the
same sequence of mini-batches and the same optimizer as ``nn.train``. The numpy version
is written the way the lecture's own code is: one weight matrix per layer, forward with
matrix products, backward by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Epochs = Sequence[Sequence[np.ndarray]]  # per epoch, the row indices of each update


class NumpySGD:
    """Plain SGD with optional momentum (PyTorch's update rule) on a list of arrays."""

    def __init__(self, params: list[np.ndarray], lr: float, momentum: float = 0.0) -> None:
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        """p <- p - lr * v with v <- momentum * v + g."""
        for p, g, v in zip(self.params, grads, self.velocity, strict=True):
            if self.momentum:
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g


class NumpyAdam:
    """Adam with bias correction (PyTorch's update rule) on a list of arrays."""

    def __init__(
        self,
        params: list[np.ndarray],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        """One Adam update."""
        self.t += 1
        b1, b2 = self.betas
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1**self.t)
            v_hat = v / (1 - b2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _numpy_forward(weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray) -> list:
    acts = [X]
    for k, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = acts[-1] @ W.T + b
        acts.append(np.maximum(z, 0.0) if k < len(weights) - 1 else z)
    return acts


def numpy_train(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    epochs: Epochs,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: float = 0.0,
) -> tuple[list[float], list[float]]:
    """Train in place (W[l] is (nout, nin)); returns (loss of every update, accuracy per epoch).

    Like ``nn.train``, it measures the training accuracy after every epoch.
    """
    params = [a for pair in zip(weights, biases, strict=True) for a in pair]
    opt: Any = NumpyAdam(params, lr) if optimizer == "adam" else NumpySGD(params, lr, momentum)
    losses, accuracies = [], []
    for batches in epochs:
        for rows in batches:
            losses.append(_numpy_step(weights, biases, X[rows], y[rows], opt))
        logits = _numpy_forward(weights, biases, X)[-1]
        accuracies.append(float(np.mean(logits.argmax(axis=1) == y)))
    return losses, accuracies


def _numpy_step(
    weights: list[np.ndarray], biases: list[np.ndarray], xb: np.ndarray, yb: np.ndarray, opt: Any
) -> float:
    """One update on one batch; returns its mean loss before the update."""
    loss, grads = numpy_loss_and_grads(weights, biases, xb, yb)
    opt.step(grads)
    return loss


def numpy_loss_and_grads(
    weights: list[np.ndarray], biases: list[np.ndarray], xb: np.ndarray, yb: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """Mean softmax cross-entropy of a batch and its gradients [dW0, db0, dW1, db1, ...]."""
    n = len(yb)
    # forward: a_{l+1} = relu(a_l W_l^T + b_l), the last layer linear
    acts = _numpy_forward(weights, biases, xb)
    logits = acts[-1]
    shift = logits - logits.max(axis=1, keepdims=True)
    log_p = shift - np.log(np.exp(shift).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(n), yb].mean())
    # backward: dL/dlogits = (softmax - onehot) / n
    delta = np.exp(log_p)
    delta[np.arange(n), yb] -= 1.0
    delta /= n
    grads: list[np.ndarray] = []
    for k in range(len(weights) - 1, -1, -1):
        grads = [delta.T @ acts[k], delta.sum(axis=0), *grads]
        if k:
            delta = (delta @ weights[k]) * (acts[k] > 0.0)
    return loss, grads


def torch_train(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    epochs: Epochs,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: float = 0.0,
) -> tuple[list[float], list[float]]:
    """The same training in PyTorch (CPU, float64): (loss of every update, accuracy per epoch)."""
    import torch

    model = torch_mlp(weights, biases)
    if optimizer == "adam":
        opt: Any = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
    losses, accuracies = [], []
    for batches in epochs:
        for rows in batches:
            idx = torch.from_numpy(np.asarray(rows))
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(inputs[idx]), labels[idx])
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        with torch.no_grad():
            accuracies.append(float((model(inputs).argmax(dim=1) == labels).double().mean()))
    return losses, accuracies


def numpy_hinge_step(
    weights: list[np.ndarray], biases: list[np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """micrograd's demo loss, mean(max(0, 1 - y * score)), and its gradients, by hand."""
    acts = [X]
    for k, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = acts[-1] @ W.T + b
        acts.append(np.maximum(z, 0.0) if k < len(weights) - 1 else z)
    score = acts[-1][:, 0]
    margin = 1.0 - y * score
    loss = float(np.maximum(margin, 0.0).mean())
    # d loss / d score = -y / n where the margin is positive
    delta = (-(y * (margin > 0.0)) / len(y))[:, None]
    grads: list[np.ndarray] = []
    for k in range(len(weights) - 1, -1, -1):
        grads = [delta.T @ acts[k], delta.sum(axis=0), *grads]
        if k:
            delta = (delta @ weights[k]) * (acts[k] > 0.0)
    return loss, grads


def torch_hinge_step(model: Any, X: Any, y: Any) -> float:
    """One forward and backward of micrograd's demo loss in PyTorch; returns the loss."""
    import torch

    model.zero_grad()
    loss = torch.relu(1.0 - y * model(X)[:, 0]).mean()
    loss.backward()
    return float(loss.detach())


def torch_mlp(weights: list[np.ndarray], biases: list[np.ndarray]) -> Any:
    """A float64 ReLU MLP in PyTorch with the given weights (the last layer linear)."""
    import torch

    torch.set_num_threads(1)
    layers = []
    for W, b in zip(weights, biases, strict=True):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])
