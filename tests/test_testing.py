"""The public property-testing toolkit, ``autograd.testing``, checked itself."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, fn, ops, primitive
from autograd.testing import MARGIN, assert_gradcheck, conditions, graphs, values

SWISH = primitive(
    "testing_swish",
    lambda x: x * fn.sigmoid(x),
    lambda x, out: fn.sigmoid(x) * (1 + x * (1 - fn.sigmoid(x))),
    np_forward=lambda x: x * fn.sigmoid(x),
)
WRONG = primitive("testing_wrong", lambda x: x * fn.sigmoid(x), lambda x, out: fn.sigmoid(x))


def test_assert_gradcheck_passes_a_right_rule_and_returns_the_report() -> None:
    report = assert_gradcheck(lambda a, b: SWISH(a) * b, [0.7, -1.2], order=2)
    assert report.ok and len(report.rows) == 2 + 4  # 2 first derivatives, 4 second


def test_assert_gradcheck_fails_a_wrong_rule_with_the_table_naming_the_input() -> None:
    with pytest.raises(AssertionError) as err:
        assert_gradcheck(lambda a, b: WRONG(a) + b, [1.5, 0.2])
    message = str(err.value)
    lines = message.splitlines()
    assert "gradient check failed" in lines[0] and "[1.5, 0.2]" in lines[0]
    row = next(line for line in lines if line.strip().startswith("x0"))
    assert row.rstrip().endswith("NO")
    assert "0.81757448" in row and "1.0412942" in row  # the rule's value, the true one
    assert next(line for line in lines if line.strip().startswith("x1")).rstrip().endswith("yes")


def test_a_difference_across_a_kink_is_flagged_in_the_message() -> None:
    with pytest.raises(AssertionError, match="kink"):
        assert_gradcheck(lambda a: a.relu() * 3.0, [0.0])


def test_assert_gradcheck_refuses_inputs_that_are_not_numbers() -> None:
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a finite number"):
        assert_gradcheck(lambda a, b: a * b, [1.0, math.nan])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_graphs_stay_inside_every_domain_and_away_from_every_kink(case) -> None:  # type: ignore[no-untyped-def]
    f, inputs = case
    assert conditions(f, inputs) == [], str(f)
    out = f(*[Value(x) for x in inputs])
    assert math.isfinite(out.data)


def test_conditions_name_each_problem_and_a_point_outside_the_domain() -> None:
    # log needs x > 0: at x = 0.5 nothing is wrong; near 0 it is inside but too close
    # to the edge (node 0 is the input x); sqrt(x - 1) at 0.5 cannot be evaluated at all.
    assert conditions(lambda x: x.log(), [0.5]) == []
    (near,) = conditions(lambda x: x.log(), [MARGIN / 2])
    assert near.startswith("node 1 (log): input 0 = ") and "is not inside (0, inf)" in near
    (kink,) = conditions(lambda x: x.relu(), [0.0])
    assert "within" in kink and "of its kink" in kink
    (outside,) = conditions(lambda x: (x - 1.0) ** 0.5, [0.5])
    assert outside.startswith("the function cannot be evaluated at [0.5]: ")
    assert "-0.5 ** 0.5 is not a real number" in outside


def _names_drawn(prims: list) -> Counter[str]:  # type: ignore[type-arg]
    seen: Counter[str] = Counter()
    allowed = {p.name for p in prims}

    @settings(max_examples=200, derandomize=True, database=None)
    @given(graphs(primitives=prims))
    def collect(case) -> None:  # type: ignore[no-untyped-def]
        f, _ = case
        names = [p.name for p in f.primitives]
        assert set(names) <= allowed
        seen.update(names)

    collect()
    return seen


@pytest.mark.parametrize(
    "prims",
    [list(ops.PRIMITIVES), [SWISH, ops.MUL, ops.LOG, ops.MAXIMUM]],
    ids=["built-ins", "a user primitive with three built-ins"],
)
def test_graphs_cover_every_primitive_they_are_given(prims: list) -> None:  # type: ignore[type-arg]
    assert set(_names_drawn(prims)) == {p.name for p in prims}


@given(st.data())
def test_values_stay_inside_the_domain_away_from_its_edges(data: st.DataObject) -> None:
    x = data.draw(values((0.0, math.inf)))
    assert MARGIN <= x <= 5.0
    y = data.draw(values((-1.0, 1.0)))
    assert -1.0 + MARGIN <= y <= 1.0 - MARGIN
    z = data.draw(values())
    assert -5.0 <= z <= 5.0


def test_the_graph_says_what_it_is() -> None:
    @settings(max_examples=1, derandomize=True, database=None)
    @given(graphs(primitives=[ops.TANH, ops.ADD], max_inputs=2, max_nodes=3))
    def one(case) -> None:  # type: ignore[no-untyped-def]
        f, _ = case
        text = str(f)
        # the nodes, or for a graph of no node the input it returns
        assert text == f.description
        assert text.startswith("v") if f.nodes else text == f"x{f.n_inputs - 1}"

    one()


def test_importing_autograd_testing_without_hypothesis_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "from autograd.testing import assert_gradcheck, values\n"
        "assert assert_gradcheck(lambda a: a * a, [2.0]).ok\n"
        "try:\n    values()\nexcept ImportError as err:\n    print(err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install hypothesis" in done.stdout
