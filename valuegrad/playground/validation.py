"""The playground's settings: their names, defaults and bounds, and the checks on every input.

Everything a client sends (the JSON of a settings change, a list of points, an uploaded
CSV, a WebSocket message) goes through the functions here before it reaches a trainer.
A bad input raises :class:`InputError`, which names the offending field and value; the
app turns it into HTTP 400 (the body is not JSON, or not an object) or 422 (a field
with a bad value) with the JSON body ``{"error": message, "field": ..., "value": ...}``,
and the page shows the message.

The names are the page's (``batchSize``, ``trainPercent``), so a settings dict, the URL
of a run and ``window.valuegradPlayground.set({...})`` all use the same words.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from nn.activations import ACTIVATIONS
from nn.data import DATASETS

__all__ = [
    "ACTIVATION_NAMES",
    "DATASET_NAMES",
    "LIMITS",
    "MODES",
    "OPTIMIZERS",
    "InputError",
    "Limits",
    "Settings",
    "apply_settings",
    "parse_csv",
    "parse_json_object",
    "parse_points",
]

DATASET_NAMES = (*DATASETS, "custom")
"""The five generated data sets, and "custom" (the rows of an uploaded CSV)."""
ACTIVATION_NAMES = tuple(ACTIVATIONS)
"""The six activations of the lecture's slide."""
OPTIMIZERS = ("sgd", "momentum", "adam")
"""Plain SGD, SGD with momentum 0.9, and Adam."""
MODES = ("batch", "stochastic")
"""Full-batch gradient descent, or shuffled mini-batches of ``batchSize``."""
MOMENTUM = 0.9
"""The momentum of the "momentum" optimizer."""


@dataclass(frozen=True)
class Limits:
    """The bounds on what one client can make the server do (said in the page and --help)."""

    max_sessions: int = 32
    """Sessions (browser tabs) at once; one more is refused with HTTP 503."""
    idle_timeout: float = 600.0
    """Seconds without a request, a message or a connected page before a session expires."""
    max_points: int = 1000
    """Points in one data set: generated, uploaded and added by clicking, together."""
    max_hidden_layers: int = 6
    max_width: int = 8
    """Neurons in one hidden layer (the output layer has the two class logits)."""
    max_upload_bytes: int = 64 * 1024
    """Size of an uploaded CSV file."""
    max_message_bytes: int = 256 * 1024
    """Size of a JSON request body or WebSocket message."""
    max_epochs: int = 50_000
    """Epochs in one run; training pauses there (the history stays bounded)."""
    max_coordinate: float = 100.0
    """|x| and |y| of a point."""
    max_batch_size: int = 1000
    max_lr: float = 10.0
    max_l2: float = 1.0
    max_noise: float = 1.0
    min_points: int = 10

    def to_dict(self) -> dict[str, Any]:
        """The bounds as JSON-ready data."""
        return asdict(self)


LIMITS = Limits()
"""The default bounds."""


class InputError(ValueError):
    """A bad input from a client: the message, the field it concerns and its value."""

    def __init__(
        self, message: str, field: str | None = None, value: Any = None, status: int = 422
    ):
        super().__init__(message)
        self.field = field
        self.value = value
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the error response: ``{"error", "field", "value"}``, always
        valid JSON (a non-finite number is shown as its text, a long value is clipped)."""
        value = _jsonable(self.value)
        text = json.dumps(value, allow_nan=False)
        if len(text) > 200:
            value = text[:200] + "..."
        return {"error": str(self), "field": self.field, "value": value}


def _jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` with what JSON cannot hold (nan, inf, other objects) turned into text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no nan or inf
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)) and depth < 4:
        return [_jsonable(v, depth + 1) for v in value[:50]]
    return repr(value)[:200]


Point = tuple[float, float, int]


@dataclass(frozen=True)
class Settings:
    """One run's settings: the data, the network, the optimizer and the seed."""

    dataset: str = "moons"
    points: int = 200
    noise: float = 0.1
    trainPercent: int = 50  # noqa: N815 (the page's name)
    layers: tuple[int, ...] = (4, 4)
    activation: str = "tanh"
    optimizer: str = "sgd"
    lr: float = 0.1
    l2: float = 0.0
    mode: str = "stochastic"
    batchSize: int = 10  # noqa: N815
    seed: int = 0
    custom: tuple[Point, ...] = field(default=(), repr=False)
    """The rows of an uploaded CSV (used when ``dataset == "custom"``)."""
    added: tuple[Point, ...] = field(default=(), repr=False)
    """Points added by clicking: they always go to the training set."""

    def to_dict(self, *, with_custom: bool = True) -> dict[str, Any]:
        """The settings as JSON-ready data (points as ``[x, y, label]`` lists)."""
        d = asdict(self)
        d["layers"] = list(self.layers)
        d["added"] = [list(p) for p in self.added]
        d["custom"] = [list(p) for p in self.custom] if with_custom else len(self.custom)
        return d

    @property
    def sizes(self) -> list[int]:
        """The MLP's layer sizes: the hidden widths, then the two class logits."""
        return [*self.layers, 2]

    def data_key(self) -> tuple:
        """What the data depend on (a change means new data and a new run)."""
        return (self.dataset, self.points, self.noise, self.trainPercent, self.seed, self.custom)

    def run_key(self) -> tuple:
        """What the run depends on from its start (a change means a reset)."""
        return (*self.data_key(), self.layers, self.activation, self.optimizer, self.added)


# ------------------------------------------------------------------ single values
def _number(name: str, v: Any, low: float, high: float, *, low_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise InputError(f"{name} must be a finite number, got {v!r}", name, v)
    if (v <= low if low_open else v < low) or v > high:
        bracket = "(" if low_open else "["
        raise InputError(f"{name} must be in {bracket}{low:g}, {high:g}], got {v!r}", name, v)
    return float(v)


def _integer(name: str, v: Any, low: int, high: int) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # JSON from a page may write 10 as 10.0
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise InputError(f"{name} must be an integer, got {v!r}", name, v)
    if not low <= v <= high:
        raise InputError(f"{name} must be an integer from {low} to {high}, got {v!r}", name, v)
    return int(v)


def _choice(name: str, v: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, got {v!r}", name, v)
    return v


def _layers(v: Any, limits: Limits) -> tuple[int, ...]:
    if isinstance(v, str):  # "4,2" from a text box or a URL; "" is no hidden layer
        parts = [p.strip() for p in v.split(",") if p.strip()]
        try:
            v = [int(p) for p in parts]
        except ValueError:
            raise InputError(
                f"layers must be widths separated by commas, like 4,2; got {v!r}", "layers", v
            ) from None
    if not isinstance(v, (list, tuple)):
        raise InputError(f"layers must be a list of widths, got {v!r}", "layers", v)
    if len(v) > limits.max_hidden_layers:
        raise InputError(
            f"layers: at most {limits.max_hidden_layers} hidden layers, got {len(v)}",
            "layers",
            list(v),
        )
    widths = []
    for k, w in enumerate(v):
        if (
            isinstance(w, bool)
            or not isinstance(w, numbers.Integral)
            or not 1 <= w <= limits.max_width
        ):
            raise InputError(
                f"layers[{k}] must be a width from 1 to {limits.max_width}, got {w!r}",
                "layers",
                list(v),
            )
        widths.append(int(w))
    return tuple(widths)


def parse_points(v: Any, what: str, limits: Limits = LIMITS) -> tuple[Point, ...]:
    """A list of ``[x, y, label]`` (label 0 or 1) as checked points; InputError otherwise."""
    if not isinstance(v, (list, tuple)):
        raise InputError(f"{what} must be a list of [x, y, label] points, got {v!r}", what, v)
    if len(v) > limits.max_points:
        raise InputError(f"{what}: at most {limits.max_points} points, got {len(v)}", what, len(v))
    out = []
    for k, p in enumerate(v):
        if not isinstance(p, (list, tuple)) or len(p) != 3:
            raise InputError(f"{what}[{k}] must be [x, y, label], got {p!r}", what, p)
        x = _number(f"{what}[{k}] x", p[0], -limits.max_coordinate, limits.max_coordinate)
        y = _number(f"{what}[{k}] y", p[1], -limits.max_coordinate, limits.max_coordinate)
        label = p[2]
        if isinstance(label, float) and label.is_integer():
            label = int(label)
        if isinstance(label, bool) or label not in (0, 1):
            raise InputError(f"{what}[{k}] label must be 0 or 1, got {label!r}", what, p)
        out.append((x, y, int(label)))
    return tuple(out)


# ------------------------------------------------------------------ settings
_FIELDS = tuple(Settings.__dataclass_fields__)


def apply_settings(base: Settings, changes: Any, limits: Limits = LIMITS) -> Settings:
    """``base`` with ``changes`` (a dict of setting names) applied, all checked together.

    Nothing is applied unless every change is valid. The total number of points
    (generated or uploaded, plus added) must stay within ``limits.max_points``.
    """
    if not isinstance(changes, dict):
        raise InputError(
            f"settings must be a JSON object, got {type(changes).__name__}", None, None, 400
        )
    for name in changes:
        if name not in _FIELDS:
            raise InputError(
                f"unknown setting {name!r}: the settings are {', '.join(_FIELDS)}", name, None
            )
    c = dict(changes)
    new: dict[str, Any] = {}
    if "dataset" in c:
        new["dataset"] = _choice("dataset", c["dataset"], DATASET_NAMES)
    if "points" in c:
        new["points"] = _integer("points", c["points"], limits.min_points, limits.max_points)
    if "noise" in c:
        new["noise"] = _number("noise", c["noise"], 0.0, limits.max_noise)
    if "trainPercent" in c:
        new["trainPercent"] = _integer("trainPercent", c["trainPercent"], 10, 90)
    if "layers" in c:
        new["layers"] = _layers(c["layers"], limits)
    if "activation" in c:
        new["activation"] = _choice("activation", c["activation"], ACTIVATION_NAMES)
    if "optimizer" in c:
        new["optimizer"] = _choice("optimizer", c["optimizer"], OPTIMIZERS)
    if "lr" in c:
        new["lr"] = _number("lr", c["lr"], 0.0, limits.max_lr, low_open=True)
    if "l2" in c:
        new["l2"] = _number("l2", c["l2"], 0.0, limits.max_l2)
    if "mode" in c:
        new["mode"] = _choice("mode", c["mode"], MODES)
    if "batchSize" in c:
        new["batchSize"] = _integer("batchSize", c["batchSize"], 1, limits.max_batch_size)
    if "seed" in c:
        new["seed"] = _integer("seed", c["seed"], 0, 2**31 - 1)
    if "custom" in c:
        new["custom"] = parse_points(c["custom"], "custom", limits)
    if "added" in c:
        new["added"] = parse_points(c["added"], "added", limits)
    settings = replace(base, **new)
    check_data(settings, limits)
    return settings


def check_data(settings: Settings, limits: Limits = LIMITS) -> None:
    """InputError unless the data set has enough points, and not too many."""
    if settings.dataset == "custom":
        base, what = len(settings.custom), "uploaded rows"
        if base < 4:
            raise InputError(
                f"the custom data set needs at least 4 rows (upload a CSV first), got {base}",
                "custom",
                base,
            )
    else:
        base, what = settings.points, "generated points"
    total = base + len(settings.added)
    if total > limits.max_points:
        raise InputError(
            f"at most {limits.max_points} points per data set, got {base} {what} "
            f"and {len(settings.added)} added",
            "added" if settings.added else "points",
            total,
        )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json_object(body: bytes, limits: Limits = LIMITS) -> dict[str, Any]:
    """A request body or message as a JSON object; InputError (status 400) otherwise."""
    if len(body) > limits.max_message_bytes:
        raise InputError(
            f"the message has {len(body)} bytes, more than the limit of {limits.max_message_bytes}",
            "body",
            len(body),
            413,
        )
    if not body.strip():
        return {}
    try:
        doc = json.loads(body, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"the body is not valid JSON: {err}", "body", None, 400) from None
    except (ValueError, RecursionError) as err:  # a huge integer, a deep nesting, NaN
        reason = "it is nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise InputError(f"the body is not usable JSON: {reason}", "body", None, 400) from None
    if not isinstance(doc, dict):
        raise InputError(
            f"the body must be a JSON object, got {type(doc).__name__}", "body", None, 400
        )
    return doc


def parse_csv(data: bytes, limits: Limits = LIMITS) -> tuple[Point, ...]:
    """The rows ``x,y,label`` of an uploaded CSV (an optional header line is skipped).

    Labels are 0 or 1 (also accepted: -1 for 0, as in the TensorFlow Playground's data).
    An InputError names the line and what is wrong with it.
    """
    if len(data) > limits.max_upload_bytes:
        raise InputError(
            f"the CSV has {len(data)} bytes, more than the limit of {limits.max_upload_bytes}",
            "csv",
            len(data),
            413,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the CSV is not UTF-8 text", "csv", None) from None
    rows: list[Point] = []
    reader = csv.reader(io.StringIO(text))
    try:
        lines = list(reader)
    except csv.Error as err:
        raise InputError(f"the CSV cannot be read: {err}", "csv", None) from None
    for lineno, row in enumerate(lines, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue  # blank line
        if len(cells) != 3:
            raise InputError(
                f"CSV line {lineno}: expected 3 columns x,y,label, got {len(cells)}: "
                f"{','.join(row)!r}",
                "csv",
                ",".join(row),
            )
        try:
            x, y, label = float(cells[0]), float(cells[1]), float(cells[2])
        except ValueError:
            if lineno == 1 and not rows:
                continue  # a header line such as x,y,label
            raise InputError(
                f"CSV line {lineno}: x, y and label must be numbers, got {','.join(row)!r}",
                "csv",
                ",".join(row),
            ) from None
        if label == -1.0:
            label = 0.0
        if label not in (0.0, 1.0):
            raise InputError(
                f"CSV line {lineno}: the label must be 0 or 1, got {cells[2]!r}",
                "csv",
                ",".join(row),
            )
        for name, v in (("x", x), ("y", y)):
            if not math.isfinite(v) or abs(v) > limits.max_coordinate:
                raise InputError(
                    f"CSV line {lineno}: {name} must be a finite number within "
                    f"±{limits.max_coordinate:g}, got {v!r}",
                    "csv",
                    ",".join(row),
                )
        rows.append((x, y, int(label)))
        if len(rows) > limits.max_points:
            raise InputError(
                f"the CSV has more than {limits.max_points} rows (the limit per data set)",
                "csv",
                len(rows),
            )
    if len(rows) < 4:
        raise InputError(
            f"the CSV needs at least 4 rows x,y,label, got {len(rows)}", "csv", len(rows)
        )
    if len({r[2] for r in rows}) < 2:
        raise InputError("the CSV needs points of both classes (labels 0 and 1)", "csv", None)
    return tuple(rows)
