"""save / load: exact round trips, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

import nn
import nn.serialize
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
    with pytest.raises(OSError, match=r"cannot write .*model.json: disk full"):
        save(MLP(2, [5], seed=1), target)
    assert target.read_bytes() == before  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_save_keeps_the_permission_bits_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_text("{}")
    target.chmod(0o644)
    save(MLP(2, [2], seed=0), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600
    assert load(target).sizes == [2]


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
        (b'{"format": "valuegrad.nn.MLP", "version": 1, "nin": 2}', r'field "sizes" is missing'),
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


# ------------------------------------------------------------- damaged files
# Each case damages a valid file of the 2-3-2 network and names the exact message: the
# element at fault by its place in the file (weights[l][j][i], biases[l][j], a field),
# what was expected and what the file holds, spelled as JSON spells it.
def _set(path: list, value: object):
    def damage(doc: dict) -> None:
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value

    return damage


def _drop(path: list):
    def damage(doc: dict) -> None:
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        del node[last]

    return damage


DAMAGED = [
    (_set(["weights", 1, 1, 2], "1"), 'weights[1][1][2]: expected a number, got "1"'),
    (_set(["weights", 1, 1, 2], None), "weights[1][1][2]: expected a number, got null"),
    (_set(["weights", 1, 1, 2], True), "weights[1][1][2]: expected a number, got true"),
    (_set(["weights", 0, 2, 0], False), "weights[0][2][0]: expected a number, got false"),
    (
        _set(["weights", 1, 0, 0], [0.5]),
        "weights[1][0][0]: expected a number, got a list of 1 item",
    ),
    (_set(["weights", 1, 0, 0], {"w": 1}), "weights[1][0][0]: expected a number, got an object"),
    (_set(["weights", 0, 0], 0.5), "weights[0][0]: expected a list of numbers, got 0.5"),
    (
        _set(["weights", 0], "dense"),
        'weights[0]: expected a list of 3 rows of 2 numbers, got "dense"',
    ),
    (_set(["biases", 0, 2], "0.1"), 'biases[0][2]: expected a number, got "0.1"'),
    (_set(["biases", 1, 0], None), "biases[1][0]: expected a number, got null"),
    (_set(["biases", 1], 0.8), "biases[1]: expected a list of 2 numbers, got 0.8"),
    (
        _drop(["weights", 1, 0, 2]),
        "weights[1]: expected shape (2, 3) (layer 1: 2 neurons, 3 inputs each), got 2 rows "
        "of different lengths (weights[1][0] has 2, weights[1][1] has 3)",
    ),
    (
        _drop(["weights", 0, 1]),
        "weights[0]: expected shape (3, 2) (layer 0: 3 neurons, 2 inputs each), got shape (2, 2)",
    ),
    (
        _set(["weights", 0], [[1, 2, 3]] * 3),
        "weights[0]: expected shape (3, 2) (layer 0: 3 neurons, 2 inputs each), got shape (3, 3)",
    ),
    (
        _set(["weights", 0], []),
        "weights[0]: expected shape (3, 2) (layer 0: 3 neurons, 2 inputs each), got shape (0,)",
    ),
    (
        _drop(["biases", 1, 1]),
        "biases[1]: expected shape (2,) (layer 1: one bias per neuron), got shape (1,)",
    ),
    (
        _set(["weights"], [[[1, 2]] * 3]),
        "weights: expected a list of 2 layers (one per entry of sizes), got a list of 1 item",
    ),
    (
        _set(["biases"], None),
        "biases: expected a list of 2 layers (one per entry of sizes), got null",
    ),
    (_set(["version"], True), "version: expected an integer, got true"),
    (_set(["version"], "1"), 'version: expected an integer, got "1"'),
    (_set(["version"], 1.0), "version: expected an integer, got 1.0"),
    (_set(["version"], 2), "unsupported model file version 2 (this valuegrad reads 1)"),
    (_drop(["version"]), 'the field "version" is missing'),
    (_drop(["biases"]), 'the field "biases" is missing'),
    (
        _set(["comment"], "hi"),
        'unexpected field "comment" (a version 1 model file has exactly format, version, '
        "nin, sizes, activation, output_activation, weights, biases)",
    ),
    (_set(["nin"], True), "nin: expected a positive integer, got true"),
    (_set(["nin"], 2.0), "nin: expected a positive integer, got 2.0"),
    (_set(["nin"], 0), "nin: expected a positive integer, got 0"),
    (
        _set(["sizes"], []),
        "sizes: expected a non-empty list of layer widths, got a list of 0 items",
    ),
    (_set(["sizes", 1], "2"), 'sizes[1]: expected a positive integer, got "2"'),
    (_set(["sizes", 0], -3), "sizes[0]: expected a positive integer, got -3"),
    (
        _set(["activation"], "gelu"),
        'activation: expected one of "linear", "step", "sigmoid", "tanh", "relu", '
        '"softplus", got "gelu"',
    ),
    (
        _set(["output_activation"], None),
        'output_activation: expected one of "linear", "step", "sigmoid", "tanh", "relu", '
        '"softplus", got null',
    ),
]


@pytest.mark.parametrize(("damage", "message"), DAMAGED)
def test_every_damaged_element_is_named_by_its_place_in_the_file(
    tmp_path: Path, damage, message: str
) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 2], activation="sigmoid", seed=0), path)
    doc = json.loads(path.read_text())
    damage(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("spelled", "message"),
    [
        ("NaN", "expected a finite number, got NaN"),
        ("Infinity", "expected a finite number, got Infinity"),
        ("-Infinity", "expected a finite number, got -Infinity"),
        ("1e999", "expected a finite number, got 1e999"),  # out of the float range
        ("-2.5e400", "expected a finite number, got -2.5e400"),
    ],
)
def test_non_finite_numbers_are_refused_where_they_stand(
    tmp_path: Path, spelled: str, message: str
) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 2], seed=0), path)
    doc = json.loads(path.read_text())
    doc["weights"][1][0][2] = "HERE"
    path.write_text(json.dumps(doc).replace('"HERE"', spelled))
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == f"{path}: weights[1][0][2]: {message}"


def test_a_file_nested_100000_deep_is_a_value_error_not_a_recursion_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep.json"
    depth = 100_000
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == (
        f"{path}: not a valuegrad model file (lists nested 100,000 levels deep at line 1, "
        "column 100000, where a model file nests at most 4)"
    )
    # the same inside a real model's weights, on the second line
    text = '{"format": "valuegrad.nn.MLP", "version": 1,\n"weights": '
    path.write_text(text + "[" * depth + "]" * depth + "}")
    with pytest.raises(ValueError, match=r"nested 100,001 levels deep at line 2, column 100011"):
        load(path)


def test_a_weight_nested_a_few_levels_too_deep_is_named(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 2], seed=0), path)
    doc = json.loads(path.read_text())
    doc["weights"][0][1][1] = [[[[[[0.5]]]]]]
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == f"{path}: weights[0][1][1]: expected a number, got a list of 1 item"


def test_a_field_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 2], seed=0), path)
    text = path.read_text()
    path.write_text(text.replace('"nin": 2', '"nin": 2, "nin": 3'))
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == f'{path}: the field "nin" appears twice in one object'


def test_long_strings_and_huge_integers_are_shown_short(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 2], seed=0), path)
    doc = json.loads(path.read_text())
    doc["weights"][0][0][0] = "x" * 10_000 + "\n"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == (f'{path}: weights[0][0][0]: expected a number, got "{"x" * 39}…"')
    doc["weights"][0][0][0] = 0.5
    doc["sizes"][0] = -(10**30)
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == f"{path}: sizes[0]: expected a positive integer, got " + (
        "a negative integer of 31 digits"
    )


def test_nothing_is_built_from_a_bad_file(tmp_path: Path, monkeypatch) -> None:
    # every check runs before the model is built: a bad last bias stops the load
    path = tmp_path / "model.json"
    save(MLP(2, [3, 2], seed=0), path)
    built = []
    monkeypatch.setattr(nn.serialize, "MLP", lambda *a, **k: built.append(a))
    doc = json.loads(path.read_text())
    doc["biases"][1][1] = None
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"biases\[1\]\[1\]"):
        load(path)
    assert built == []


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.json")


def test_only_mlps_can_be_saved(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="MLP"):
        save(nn.Neuron(2), tmp_path / "n.json")  # type: ignore[arg-type]
