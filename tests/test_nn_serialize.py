"""save / load: exact round trips, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import MLP, load, save
from nn.serialize import FORMAT


def trained_looking_mlp() -> MLP:
    net = MLP(2, [4, 6, 2], activation="tanh", output_activation="sigmoid", seed=11)
    # awkward floats: many digits, tiny, huge, negative zero
    net.layers[0].neurons[0].w[0].data = 0.1 + 0.2
    net.layers[0].neurons[0].b.data = 1e-310
    net.layers[1].neurons[1].w[3].data = -1.2345678901234567e300
    net.layers[2].neurons[0].b.data = -0.0
    return net


def test_round_trip_is_exact(tmp_path: Path) -> None:
    net = trained_looking_mlp()
    path = save(net, tmp_path / "model.json")
    back = load(path)
    assert isinstance(back, MLP)
    assert (back.nin, back.sizes, back.activation, back.output_activation) == (
        2,
        [4, 6, 2],
        "tanh",
        "sigmoid",
    )
    names = [n for n, _ in net.named_parameters()]
    assert names == [n for n, _ in back.named_parameters()]
    for a, b in zip(net.parameters(), back.parameters(), strict=True):
        assert a.data == b.data and str(a.data) == str(b.data)  # bit-exact, sign of zero too
    x = np.array([[0.3, -0.7], [1.5, 2.0]])
    assert np.array_equal(net.forward_numpy(x), back.forward_numpy(x))


def test_the_file_is_plain_json_with_the_documented_layout(tmp_path: Path) -> None:
    net = MLP(
        2,
        [3, 2],
        "sigmoid",
        "sigmoid",
        weights=[[[0.15, 0.2], [0.25, 0.3], [0.35, 0.4]], [[0.5, 0.55, 0.6], [0.65, 0.7, 0.75]]],
        biases=[0.45, 0.8],
    )
    save(net, tmp_path / "first.json")
    doc = json.loads((tmp_path / "first.json").read_text())
    assert doc["format"] == FORMAT and doc["version"] == 1
    assert doc["weights"] == [
        [[0.15, 0.2], [0.25, 0.3], [0.35, 0.4]],
        [[0.5, 0.55, 0.6], [0.65, 0.7, 0.75]],
    ]
    assert doc["biases"] == [[0.45] * 3, [0.8] * 2]


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "model.json"
    save(MLP(2, [2], seed=0), target)
    before = target.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(MLP(2, [5], seed=1), target)
    assert target.read_bytes() == before  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_exports() -> None:
    assert nn.save is save and nn.load is load


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"the file is empty"),
        (None, r"truncated"),  # the first half of a real file
        (b"hello world", r"not valid JSON"),
        (b"\xff\xfe\x00binary", r"not UTF-8"),
        (b"[1, 2, 3]", r'no "format": "valuegrad.nn.MLP" field'),
        (b'{"format": "keras", "layers": []}', r'no "format"'),
        (b'{"format": "valuegrad.nn.MLP", "version": 7}', r"unsupported model file version 7"),
        (b'{"format": "valuegrad.nn.MLP", "version": 1, "nin": 2}', r"field 'sizes' is missing"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(
    tmp_path: Path, content: bytes | None, match: str
) -> None:
    path = tmp_path / "bad.json"
    if content is None:
        save(MLP(2, [3, 2], seed=0), path)
        content = path.read_bytes()[: len(path.read_bytes()) // 2]
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)


def test_inconsistent_shapes_are_reported_not_half_loaded(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 2], seed=0), path)
    doc = json.loads(path.read_text())
    doc["weights"][1][0].pop()  # layer 1, neuron 0 loses a weight
    path.write_text(json.dumps(doc))
    with pytest.raises(
        ValueError, match=r"model.json: the model in this file is inconsistent.*layer 1"
    ):
        load(path)
    doc = json.loads(path.read_text())
    doc["weights"][1][0].append(1e999)  # parses as inf
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="inconsistent"):
        load(path)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.json")


def test_only_mlps_can_be_saved(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="MLP"):
        save(nn.Neuron(2), tmp_path / "n.json")  # type: ignore[arg-type]
