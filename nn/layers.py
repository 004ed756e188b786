"""``Neuron``, ``Layer`` and ``MLP``: the lecture's networks, one scalar ``Value`` per weight.

A neuron computes ``z = x0*w0 + x1*w1 + ... + b`` (the slide's ``x^T w + b``) and then
its activation ``h(z)``. A layer is ``nout`` neurons reading the same inputs, and an MLP
is layers in a row. Weights are laid out as on the slides: ``weights[j][i]`` is the weight
from input ``i`` to neuron ``j`` (row ``j`` of the matrix ``W`` is neuron ``j``'s ``w_j^T``).

Random initialisation (when no weights are given) draws from an explicit
``numpy.random.Generator`` (never the global seed). ``init`` chooses the scheme:

* ``"auto"`` (default): He for relu/softplus, Glorot/Xavier for sigmoid/tanh/linear/step;
* ``"he"``: normal with std sqrt(2 / nin) -- keeps the variance of relu layers steady;
* ``"xavier"``: normal with std sqrt(2 / (nin + nout)) -- the same for roughly linear units;
* ``"normal"``: standard normal, std 1, like the lecture's ``np.random.randn`` (deep relu
  nets started this way often saturate or die: the lecture's quiz pattern).

Biases start at 0 unless given.

``MLP.to_torch()`` and ``MLP.from_torch(module)`` move a network to PyTorch and back
with the same float64 weights and activations (torch is imported only then; see
"PyTorch" at the end of this module).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Value
from autograd.numerics import fold_sum, vector_math
from nn.activations import ACTIVATIONS, get_activation
from nn.module import Module

_TERMS_PER_BLOCK = 1 << 16
"""How many products x_i * w_ji the exact numpy forward holds at once (512 KiB)."""

__all__ = ["INITS", "MLP", "Layer", "Neuron", "init_weights"]

INITS = ("auto", "he", "xavier", "normal")
"""The weight-initialisation schemes."""

Number = int | float


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {rng!r}")


def init_weights(
    nin: int,
    nout: int,
    activation: str = "relu",
    init: str = "auto",
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """An (nout, nin) array of initial weights drawn by the scheme ``init`` (see module doc)."""
    scheme = init
    if init == "auto":
        scheme = get_activation(activation).init
    if scheme == "he":
        std = math.sqrt(2.0 / nin)  # Var(w) = 2/nin keeps E[h^2] steady through relu
    elif scheme == "xavier":
        std = math.sqrt(2.0 / (nin + nout))  # Glorot: average of the fan-in and fan-out rules
    elif scheme == "normal":
        std = 1.0
    else:
        raise ValueError(f"unknown init {init!r}: choose one of {', '.join(INITS)}")
    return _rng(rng).standard_normal((nout, nin)) * std


def _check_size(what: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return int(n)


def _describe_shape(obj: Any) -> str:
    """A short description of a (possibly ragged) nested sequence, for error messages."""
    if isinstance(obj, np.ndarray):
        return f"an array of shape {obj.shape}"
    if isinstance(obj, (int, float, np.number)) and not isinstance(obj, bool):
        return f"the number {obj!r}"
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        if all(isinstance(r, Sequence) and not isinstance(r, str) for r in obj) and obj:
            lengths = [len(r) for r in obj]
            if len(set(lengths)) == 1:
                return f"shape ({len(obj)}, {lengths[0]})"
            return f"{len(obj)} rows of lengths {lengths}"
        return f"a list of length {len(obj)}"
    return f"{type(obj).__name__} {obj!r}"


def _as_floats(obj: Any, n: int) -> list[float] | None:
    """``obj`` as a list of n floats, or None if it is not a flat sequence of n numbers."""
    if isinstance(obj, np.ndarray):
        if obj.ndim != 1 or obj.shape[0] != n:
            return None
        obj = obj.tolist()
    if not isinstance(obj, Sequence) or isinstance(obj, str) or len(obj) != n:
        return None
    out = []
    for v in obj:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            return None
        out.append(float(v))
    return out


def _weight_rows(weights: Any, nin: int, nout: int, where: str) -> list[list[float]]:
    """``weights`` as nout rows of nin floats; a ValueError describing the mismatch otherwise."""
    if isinstance(weights, np.ndarray):
        weights = weights.tolist() if weights.ndim == 2 else weights
    rows = None
    if isinstance(weights, Sequence) and not isinstance(weights, str) and len(weights) == nout:
        rows = [_as_floats(row, nin) for row in weights]
    if rows is None or any(r is None for r in rows):
        raise ValueError(
            f"{where}: weights must have shape ({nout}, {nin}) (weights[j][i] is the weight "
            f"from input i to neuron j), got {_describe_shape(weights)}"
        )
    return rows  # type: ignore[return-value]


def _bias_list(bias: Any, nout: int, where: str) -> list[float]:
    """``bias`` as nout floats: None -> zeros, a number -> repeated, or nout numbers."""
    if bias is None:
        return [0.0] * nout
    if isinstance(bias, (int, float, np.number)) and not isinstance(bias, bool):
        return [float(bias)] * nout
    out = _as_floats(bias, nout)
    if out is None:
        raise ValueError(
            f"{where}: bias must be a number or {nout} numbers (one per neuron), "
            f"got {_describe_shape(bias)}"
        )
    return out


def _as_inputs(x: Any, nin: int, who: str) -> list[Any]:
    """An input vector (list, tuple or 1-D array) as a list; ValueError if its length is wrong."""
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(f"{who} expects a vector of {nin} inputs, got an array of {x.shape}")
        x = x.tolist()
    elif isinstance(x, (Value, int, float)):
        x = [x]
    try:
        n = len(x)
    except TypeError:
        raise TypeError(f"{who} expects a sequence of {nin} inputs, got {x!r}") from None
    if n != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {n}")
    return list(x)


class Neuron(Module):
    """One unit: z = x0*w0 + x1*w1 + ... + b, output h(z)."""

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        weights: Sequence[Number] | np.ndarray | None = None,
        bias: Number | None = None,
        *,
        rng: np.random.Generator | int | None = None,
        init: str = "auto",
    ) -> None:
        self.nin = _check_size("nin", nin)
        self._act = get_activation(activation)
        self.activation = activation
        if weights is None:
            ws = init_weights(self.nin, 1, activation, init, rng)[0].tolist()
        else:
            ws = _as_floats(weights, self.nin)
            if ws is None:
                raise ValueError(
                    f"Neuron: weights must be {self.nin} numbers (one per input), "
                    f"got {_describe_shape(weights)}"
                )
        b = _bias_list(bias, 1, "Neuron")[0]
        self.w: list[Value] = [Value(wi, f"w{i}") for i, wi in enumerate(ws)]
        self.b: Value = Value(b, "b")

    def forward(self, x: Sequence[Value | Number]) -> Value:
        """h(x^T w + b) for an input vector of length ``nin``."""
        w = self.w
        if type(x) is not list or len(x) != self.nin:
            x = _as_inputs(x, self.nin, "Neuron")
        # z = x0*w0 + x1*w1 + ... + b, built left to right from the first product (no 0 start)
        z = x[0] * w[0]
        for i in range(1, len(w)):
            z = z + x[i] * w[i]
        z = z + self.b
        return self._act.value_fn(z)

    def extra_repr(self) -> str:
        """nin and activation."""
        return f"nin={self.nin}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs (a fully connected layer)."""

    _repr_children = False

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        weights: Sequence[Sequence[Number]] | np.ndarray | None = None,
        bias: Number | Sequence[Number] | None = None,
        *,
        rng: np.random.Generator | int | None = None,
        init: str = "auto",
        name: str = "Layer",
    ) -> None:
        self.nin = _check_size("nin", nin)
        self.nout = _check_size("nout", nout)
        get_activation(activation)  # validate the name before drawing anything
        self.activation = activation
        if weights is None:
            rows = init_weights(self.nin, self.nout, activation, init, rng).tolist()
        else:
            rows = _weight_rows(weights, self.nin, self.nout, name)
        biases = _bias_list(bias, self.nout, name)
        self.neurons: list[Neuron] = [
            Neuron(self.nin, activation, row, b) for row, b in zip(rows, biases, strict=True)
        ]

    def forward(self, x: Sequence[Value | Number]) -> list[Value]:
        """The nout neuron outputs for one input vector."""
        if type(x) is not list or len(x) != self.nin:
            x = _as_inputs(x, self.nin, "Layer")
        return [n(x) for n in self.neurons]

    @property
    def weights(self) -> list[list[float]]:
        """The current weights as nout rows of nin floats (weights[j][i]: input i -> neuron j)."""
        return [[w.data for w in n.w] for n in self.neurons]

    @property
    def biases(self) -> list[float]:
        """The current biases, one per neuron."""
        return [n.b.data for n in self.neurons]

    def extra_repr(self) -> str:
        """nin, nout and activation (not the neurons: like torch's Linear)."""
        return f"nin={self.nin}, nout={self.nout}, activation={self.activation!r}"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one fully connected layer per size.

    Hidden layers use ``activation``, the last one ``output_activation``. Without
    ``weights`` each layer is drawn from ``numpy.random.default_rng(seed)`` by ``init``:
    "auto" (default) is He normal, std sqrt(2/nin), for relu/softplus and Glorot normal,
    std sqrt(2/(nin+nout)), for sigmoid/tanh/linear/step; "normal" is std 1, like the
    lecture's ``np.random.randn``. Biases start at 0 unless ``biases`` are given.
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        weights: Sequence[Any] | None = None,
        biases: Sequence[Any] | None = None,
        seed: int | None = None,
        init: str | None = None,
    ) -> None:
        self.nin = _check_size("nin", nin)
        if isinstance(sizes, (int, str)) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"sizes must be a non-empty list of layer widths, got {sizes!r}")
        self.sizes = [_check_size(f"sizes[{k}]", s) for k, s in enumerate(sizes)]
        get_activation(activation)
        get_activation(output_activation)
        init = "auto" if init is None else init
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}: choose one of {', '.join(INITS)}")
        self.activation = activation
        self.output_activation = output_activation
        self.init = init
        n_layers = len(self.sizes)
        for what, given in (("weights", weights), ("biases", biases)):
            if given is not None and (
                isinstance(given, str)
                or not isinstance(given, (Sequence, np.ndarray))
                or len(given) != n_layers
            ):
                raise ValueError(
                    f"{what} must list one entry per layer ({n_layers}), got "
                    f"{_describe_shape(given)}"
                )
        rng = np.random.default_rng(seed)
        fan_in = [self.nin, *self.sizes[:-1]]
        self.layers: list[Layer] = []
        for k, (nin_k, nout_k) in enumerate(zip(fan_in, self.sizes, strict=True)):
            act = output_activation if k == n_layers - 1 else activation
            self.layers.append(
                Layer(
                    nin_k,
                    nout_k,
                    act,
                    None if weights is None else weights[k],
                    None if biases is None else biases[k],
                    rng=rng,
                    init=init,
                    name=f"layer {k} ({nin_k} -> {nout_k})",
                )
            )

    def forward(self, x: Sequence[Value | Number] | np.ndarray) -> list[Value]:
        """The ``sizes[-1]`` outputs for one input vector of length ``nin``."""
        x = _as_inputs(x, self.nin, "MLP")
        # Plain numbers become input leaves once here, rather than one constant node per
        # weight they meet in the first layer.
        x = [xi if type(xi) is Value else Value(xi, f"x{i}") for i, xi in enumerate(x)]
        for layer in self.layers:
            x = layer(x)
        return x

    def layer_outputs_numpy(
        self, X: np.ndarray, *, output_activation: bool = True, exact: bool = True
    ) -> list[np.ndarray]:
        """Every layer's outputs for every row of X: one (n, size) array per layer (numpy).

        The arithmetic is the eager forward's, in the same order (z = x0*w0 + x1*w1 + ...
        + b, then the activation's kernel from the primitive table), element by element,
        so the numbers agree with ``net(x)`` to the last bit for relu networks (and to
        within a rounding of exp for the others). With ``output_activation=False`` the
        last entry holds the last layer's pre-activations z (the logits). ``exact=False``
        computes z = X W^T + b as a matrix product (BLAS) and the activations with
        numpy's vector math: equal to rounding, and much faster on wide layers.
        """
        A = np.asarray(X, dtype=np.float64)
        if A.ndim != 2 or A.shape[1] != self.nin:
            raise ValueError(f"MLP expects an array of shape (n, {self.nin}), got {A.shape}")
        if not np.isfinite(A).all():  # as Value refuses them: no silent nan through relu
            row, column = (int(i) for i in np.argwhere(~np.isfinite(A))[0])
            raise ValueError(
                f"X[{row}][{column}] is {float(A[row, column])!r}: the inputs must be finite"
            )
        outputs = []
        last = len(self.layers) - 1
        for k, layer in enumerate(self.layers):
            W = np.array(layer.weights)  # (nout, nin)
            b = np.array(layer.biases)
            if exact:
                # Z[:, j] = x0*w_j0 + x1*w_j1 + ... + b_j, summed in the eager order (left
                # to right, where np.sum may add pairwise); (nin, rows, nout): x_i * w_ji,
                # laid out in C order so the sum needs no copy, a block of rows at a time
                # so that the terms stay in the cache
                Z = np.empty((len(A), len(b)))
                rows = max(1, _TERMS_PER_BLOCK // W.size)
                for r in range(0, len(A), rows):
                    chunk = A[r : r + rows]
                    terms = np.multiply(chunk.T[:, :, None], W.T[:, None, :], order="C")
                    Z[r : r + rows] = fold_sum(terms, axis=0) + b
            else:
                Z = A @ W.T + b
            if k == last and not output_activation:
                A = Z
            elif exact:
                A = ACTIVATIONS[layer.activation].np_fn(Z)
            else:
                with vector_math():
                    A = ACTIVATIONS[layer.activation].np_fn(Z)
            outputs.append(A)
        return outputs

    def forward_numpy(
        self, X: np.ndarray, *, output_activation: bool = True, exact: bool = True
    ) -> np.ndarray:
        """Outputs for every row of X as an (n, sizes[-1]) array: numpy only, no graph.

        Same numbers as ``net(x)`` row by row (see ``layer_outputs_numpy``, also for
        ``exact``); with ``output_activation=False``, the last layer's pre-activations.
        """
        return self.layer_outputs_numpy(X, output_activation=output_activation, exact=exact)[-1]

    def weight_params(self) -> list[Value]:
        """Every weight Value (no bias), layer by layer, neuron by neuron, input by input."""
        return [w for layer in self.layers for n in layer.neurons for w in n.w]

    def bias_params(self) -> list[Value]:
        """Every bias Value, layer by layer, neuron by neuron."""
        return [n.b for layer in self.layers for n in layer.neurons]

    @property
    def weights(self) -> list[list[list[float]]]:
        """The current weights, weights[l][j][i] (input i -> neuron j of layer l)."""
        return [layer.weights for layer in self.layers]

    @property
    def biases(self) -> list[list[float]]:
        """The current biases, biases[l][j]."""
        return [layer.biases for layer in self.layers]

    def extra_repr(self) -> str:
        """Inputs, layer sizes and activations."""
        return (
            f"nin={self.nin}, sizes={self.sizes}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}"
        )

    def to_torch(self) -> Any:
        """The same network as a ``torch.nn.Sequential``, with identical float64 weights.

        Each layer becomes a ``torch.nn.Linear`` (its ``weight`` is our (nout, nin)
        matrix, its ``bias`` our biases) followed by its activation: ``ReLU``,
        ``Sigmoid``, ``Tanh``, ``Softplus`` (threshold 40, see ``_torch_activation``),
        ``BinaryStep`` (below) for step, and nothing for linear. Outputs and gradients
        agree with this network's to rounding (1e-12). torch is imported here, not
        before; an ImportError says how to install it.
        """
        torch = _import_torch("MLP.to_torch")
        modules: list[Any] = []
        for layer in self.layers:
            # skip_init: no random initialisation (torch's global generator is untouched)
            linear = torch.nn.utils.skip_init(
                torch.nn.Linear, layer.nin, layer.nout, dtype=torch.float64
            )
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(layer.weights, dtype=torch.float64))
                linear.bias.copy_(torch.tensor(layer.biases, dtype=torch.float64))
            modules.append(linear)
            activation = _torch_activation(torch, layer.activation)
            if activation is not None:
                modules.append(activation)
        return torch.nn.Sequential(*modules)

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """An MLP with the weights and activations of a torch ``Sequential`` (or ``Linear``).

        Accepted: ``Linear`` layers (float32 or float64; a layer without bias gets zero
        biases), each followed by at most one of ``ReLU``, ``Sigmoid``, ``Tanh``,
        ``Softplus(beta=1)``, ``BinaryStep`` or ``Identity`` (none: linear), nested
        ``Sequential``s flattened. Every hidden layer must use the same activation (an
        MLP has one); the last layer's is the output activation. Anything else raises a
        ValueError (a TypeError for a module that is not a Sequential or Linear) naming
        the module that cannot be converted.
        """
        torch = _import_torch("MLP.from_torch")
        layers = _torch_layers(torch, module)
        weights, biases = [], []
        for k, (linear, _) in enumerate(layers):
            W = linear.weight.detach().to("cpu", torch.float64).numpy()
            b = (
                np.zeros(W.shape[0])
                if linear.bias is None
                else linear.bias.detach().to("cpu", torch.float64).numpy()
            )
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise ValueError(f"MLP.from_torch: layer {k} ({linear}) holds nan or inf")
            weights.append(W)
            biases.append(b)
        hidden = {act for _, act in layers[:-1]}
        if len(hidden) > 1:
            raise ValueError(
                "MLP.from_torch: the hidden layers use different activations "
                f"({', '.join(act for _, act in layers[:-1])}); an MLP has one for all of them"
            )
        return cls(
            layers[0][0].in_features,
            [linear.out_features for linear, _ in layers],
            activation=hidden.pop() if hidden else "relu",
            output_activation=layers[-1][1],
            weights=weights,
            biases=biases,
        )


# ---------------------------------------------------------------------------- #
# PyTorch: the same network as a torch.nn.Sequential, and back.                  #
# ---------------------------------------------------------------------------- #

TORCH_INSTALL_HINT = (
    "install it with `pip install torch` (for the CPU-only build, which is much smaller: "
    "pip install torch --index-url https://download.pytorch.org/whl/cpu)"
)
"""How to install PyTorch, as the error of ``to_torch``/``from_torch`` says."""


def _import_torch(who: str) -> Any:
    """The torch module, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as err:
        raise ImportError(
            f"{who} needs PyTorch, which is not installed; {TORCH_INSTALL_HINT}"
        ) from err
    return torch


# torch's Softplus returns x itself where x > threshold (default 20). Ours is exact
# there: x + log1p(exp(-x)), which exceeds x by e^-x, 2e-9 at x = 20. From x = 37 on
# e^-x is below half an ulp of x, so with threshold 40 both give the same floats.
_SOFTPLUS_THRESHOLD = 40.0

_TORCH_CLASSES: dict[str, type] = {}


def _binary_step_class() -> type:
    """``BinaryStep``: a torch module with our step's forward and derivative (made once)."""
    cls = _TORCH_CLASSES.get("BinaryStep")
    if cls is not None:
        return cls
    torch = _import_torch("BinaryStep")

    class _StepFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return (x >= 0).to(x.dtype)  # 1 for x >= 0 (also -0.0), 0 below

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            return torch.zeros_like(grad)  # d step / dx = 0 everywhere, as autograd.ops.STEP

    class BinaryStep(torch.nn.Module):
        """h(z) = 1 if z >= 0 else 0 (the lecture's binary step); its gradient is 0 everywhere.

        torch has no such module (``torch.heaviside`` has no derivative at all); this one
        matches ``Value.step``: the same forward, and a zero gradient, so nothing below a
        step layer learns, in either library.
        """

        def forward(self, x: Any) -> Any:
            """1.0 where x >= 0, else 0.0, in x's dtype."""
            return _StepFunction.apply(x)

    # importable as nn.layers.BinaryStep (module __getattr__ below), so pickle finds it
    BinaryStep.__module__ = __name__
    BinaryStep.__qualname__ = "BinaryStep"
    _TORCH_CLASSES["BinaryStep"] = BinaryStep
    return BinaryStep


def __getattr__(name: str) -> Any:
    # ``nn.layers.BinaryStep`` is made on first use: defining it needs torch.
    if name == "BinaryStep":
        return _binary_step_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _torch_activation(torch: Any, name: str) -> Any:
    """The torch module computing the activation ``name`` (None for linear)."""
    if name == "linear":
        return None
    if name == "step":
        return _binary_step_class()()
    if name == "softplus":
        return torch.nn.Softplus(beta=1.0, threshold=_SOFTPLUS_THRESHOLD)
    known = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
    if name not in known:
        raise ValueError(
            f"to_torch: the activation {name!r} has no PyTorch module here (it converts "
            "linear, step, sigmoid, tanh, relu and softplus)"
        )
    return known[name]()


def _torch_activation_name(torch: Any, module: Any) -> str | None:
    """Our name for a torch activation module, or None if it is not one we have."""
    if isinstance(module, torch.nn.Identity):
        return "linear"
    if isinstance(module, _binary_step_class()):
        return "step"
    if isinstance(module, torch.nn.Softplus):
        # beta scales the input: softplus(beta x) / beta is not our softplus. (Above
        # ``threshold`` torch returns x, within e^-threshold of ours.)
        return "softplus" if module.beta == 1 else None
    for cls, name in (
        (torch.nn.ReLU, "relu"),
        (torch.nn.Sigmoid, "sigmoid"),
        (torch.nn.Tanh, "tanh"),
    ):
        if isinstance(module, cls):
            return name
    return None


def _flat_modules(torch: Any, module: Any) -> list[Any]:
    if isinstance(module, torch.nn.Sequential):
        return [m for child in module for m in _flat_modules(torch, child)]
    return [module]


def _torch_layers(torch: Any, module: Any) -> list[tuple[Any, str]]:
    """(Linear, activation name) per layer of a torch Sequential; ValueError if not an MLP."""
    if not isinstance(module, (torch.nn.Sequential, torch.nn.Linear)):
        raise TypeError(
            "MLP.from_torch expects a torch.nn.Sequential of Linear layers and activations "
            f"(or one Linear), got {type(module).__name__}"
        )
    layers: list[list[Any]] = []
    for k, m in enumerate(_flat_modules(torch, module)):
        if isinstance(m, torch.nn.Linear):
            if layers and m.in_features != layers[-1][0].out_features:
                raise ValueError(
                    f"MLP.from_torch: module {k} ({m}) takes {m.in_features} inputs but the "
                    f"layer before it has {layers[-1][0].out_features} outputs"
                )
            layers.append([m, "linear"])
            continue
        name = _torch_activation_name(torch, m)
        if name is None:
            raise ValueError(
                f"MLP.from_torch cannot convert module {k} ({m}): an MLP holds only Linear "
                "layers and the activations ReLU, Sigmoid, Tanh, Softplus(beta=1), "
                "BinaryStep and Identity"
            )
        if not layers:
            raise ValueError(f"MLP.from_torch: module {k} ({m}) comes before any Linear layer")
        if name != "linear":
            if layers[-1][1] != "linear":
                raise ValueError(
                    f"MLP.from_torch: module {k} ({m}) is a second activation after one "
                    f"layer ({layers[-1][1]} already); an MLP layer has one"
                )
            layers[-1][1] = name
    if not layers:
        raise ValueError("MLP.from_torch: the module holds no Linear layer")
    return [(linear, act) for linear, act in layers]
