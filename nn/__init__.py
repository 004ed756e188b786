"""nn: neurons, layers and MLPs built from ``autograd.Value``, with losses and optimizers.

A small library after ``torch.nn``: ``Module`` (named parameters, ``zero_grad``, a
readable ``repr``), ``Neuron``, ``Layer``, ``MLP``; the losses of the lecture in
``nn.losses``; ``nn.optim.SGD`` and ``nn.optim.Adam``; two-class data sets and the
handwritten digits in ``nn.data``; ``train`` for full-batch and stochastic gradient
descent; ``save`` and ``load`` for models as JSON; ``MLP.to_torch`` and
``MLP.from_torch`` to move a network to PyTorch and back; ``nn.files``, the one file
writer every layer above uses.

>>> from nn import MLP
>>> net = MLP(2, [4, 6, 6, 4, 2], seed=0)  # the lecture's second network
>>> len(net.parameters())
122
"""

from nn import data, files, losses, optim
from nn.activations import ACTIVATIONS, Activation, get_activation, register_activation
from nn.evaluate import accuracy, evaluate, predict, predict_proba
from nn.layers import INITS, MLP, Layer, Neuron, init_weights
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse,
    squared_error,
)
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer
from nn.serialize import load, save
from nn.train import History, TrainingDivergedError, train

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "SGD",
    "Activation",
    "Adam",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "TrainingDivergedError",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "data",
    "evaluate",
    "files",
    "get_activation",
    "init_weights",
    "load",
    "losses",
    "mse",
    "optim",
    "predict",
    "predict_proba",
    "register_activation",
    "save",
    "squared_error",
    "train",
]
