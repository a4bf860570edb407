"""Blocks of any shape (a scalar, a CS231n 1-D bias, 3-D and 4-D conv blocks) through the report,
its exports, the diagnosis and the CLI table; and the CS231n notebooks' per-block number."""

import csv
import io
import json

import numpy as np
import pytest
from helpers import make_spec, rel_error

from gradviz.core import BlockResult, CheckReport, Network, diagnose_report, gradient_check
from gradviz.core.report.table import format_report

SHAPES = {"s": (), "b": (6,), "t": (2, 3, 4), "w": (4, 3, 5, 5)}


def block(name, shape, rng, wrong=(), factor=1.0, unchecked=()):
    """A block whose numeric gradient is the analytic one, except at ``wrong`` (times factor)."""
    a = rng.standard_normal(shape)
    n = a.copy()
    for index in wrong:
        n[index] = a[index] * factor
    for index in unchecked:
        n[index] = np.nan
    return BlockResult(name, a, n, np.zeros(shape, dtype=bool))


@pytest.fixture
def report(rng):
    blocks = {
        "s": block("s", (), rng),
        "b": block("b", (6,), rng, wrong=[(4,)], factor=1.5, unchecked=[(0,)]),
        "t": block("t", (2, 3, 4), rng, wrong=[(1, 2, 3)], factor=3.0),
        "w": block("w", (4, 3, 5, 5), rng, wrong=[(2, 0, 1, 1)], factor=-1.0),
    }
    return CheckReport(blocks, settings={"epsilon": 1e-7, "method": "centered", "dtype": "float64"},
                       loss=1.0)


def test_worst_and_component_give_index_tuples_of_the_block_rank(report):
    worst = report.worst(3)
    assert [(c.block, c.index) for c in worst] == [("w", (2, 0, 1, 1)), ("t", (1, 2, 3)), ("b", (4,))]
    w = report.blocks["w"]
    assert worst[0].analytic == w.analytic[2, 0, 1, 1]
    assert worst[0].numeric == -w.analytic[2, 0, 1, 1]
    scalar = report.component("s", 0)
    assert scalar.index == ()
    assert scalar.analytic == float(report.blocks["s"].analytic)
    assert report.failing_blocks() == ["b", "t", "w"]


def test_json_round_trip_keeps_every_shape(report):
    data = json.loads(report.to_json())
    assert data["blocks"]["s"]["shape"] == []
    assert data["blocks"]["w"]["shape"] == [4, 3, 5, 5]
    again = CheckReport.from_dict(data)
    for name, shape in SHAPES.items():
        original, rebuilt = report.blocks[name], again.blocks[name]
        assert rebuilt.analytic.shape == shape
        np.testing.assert_array_equal(rebuilt.analytic, original.analytic)
        np.testing.assert_array_equal(rebuilt.numeric, original.numeric)  # NaN where unchecked
        assert data["blocks"][name]["cs231n_rel_error"] == pytest.approx(original.cs231n_rel_error)
    assert again.difference == report.difference
    assert again.failing_blocks() == report.failing_blocks()


def test_csv_writes_the_index_as_a_tuple(report):
    rows = list(csv.reader(io.StringIO(report.to_csv())))
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    assert len(rows) - 1 == report.n_checked == 1 + 5 + 24 + 300
    assert ("s", "()") in by_key
    assert ("b", "(0,)") not in by_key  # unchecked
    assert float(by_key[("b", "(4,)")][3]) == report.blocks["b"].numeric[4]
    row = by_key[("w", "(2, 0, 1, 1)")]
    assert float(row[2]) == -float(row[3]) == report.blocks["w"].analytic[2, 0, 1, 1]


def test_cs231n_rel_error_is_the_notebooks_number(report):
    for b in report.blocks.values():
        checked = b.checked
        assert b.cs231n_rel_error == rel_error(b.analytic[checked], b.numeric[checked])
    assert report.blocks["s"].cs231n_rel_error == 0.0
    assert report.blocks["w"].cs231n_rel_error == pytest.approx(1.0)  # a sign flip: |2a| / 2|a|
    assert report.blocks["b"].cs231n_rel_error == pytest.approx(0.5 / 2.5)
    broken = BlockResult("x", [1.0, 2.0], [1.0, np.inf], [False, False])
    assert broken.cs231n_rel_error == np.inf
    assert np.isnan(BlockResult("x", [1.0], [np.nan], [False]).cs231n_rel_error)


def test_the_table_fits_every_shape_and_shows_the_cs231n_column(report):
    text = format_report(report)
    lines = text.splitlines()
    header = lines[0]
    assert "cs231n" in header.split()
    end_of_shape = header.index("shape") + len("shape")
    rows = {line.split()[0]: line for line in lines[1:5]}
    assert set(rows) == set(SHAPES)
    expected = {"s": "scalar", "b": "6", "t": "2×3×4", "w": "4×3×5×5"}
    for name, line in rows.items():
        assert line[:end_of_shape].endswith(expected[name])  # right-aligned under "shape"
        assert line[end_of_shape] == " "
        column = header.index("cs231n") + len("cs231n")
        assert float(line[column - 8 : column]) == pytest.approx(report.blocks[name].cs231n_rel_error,
                                                                 rel=0.06)
    assert rows["w"].endswith("FAIL")
    assert rows["s"].endswith("ok")
    assert "  w[2, 0, 1, 1]: " in text  # the worst components with their index


def test_a_long_shape_widens_the_column(rng):
    report = CheckReport({"kernel5d": block("kernel5d", (128, 64, 3, 3, 3), rng)})
    header, row = format_report(report).splitlines()[:2]
    assert row.index("128×64×3×3×3") + len("128×64×3×3×3") == header.index("shape") + len("shape")
    assert header.startswith("block    ")


def test_diagnosis_reads_rows_and_columns_on_the_last_two_axes(rng):
    t = rng.standard_normal((2, 3, 4))
    wrong = t.copy()
    wrong[:, 1, :] *= 1.7  # row 1 of every 3×4 slice
    w = rng.standard_normal((4, 3, 5, 5))
    wrong_w = w.copy()
    wrong_w[..., 2] += 0.5  # column 2 of every 5×5 kernel
    b = rng.standard_normal(6)
    wrong_b = b.copy()
    wrong_b[[0, 3]] += 0.4
    blocks = {
        "t": BlockResult("t", wrong, t, np.zeros(t.shape, bool)),
        "w": BlockResult("w", wrong_w, w, np.zeros(w.shape, bool)),
        "b": BlockResult("b", wrong_b, b, np.zeros(6, bool)),
        "s": BlockResult("s", np.array(2.0), np.array(1.0), np.array(False)),
    }
    report = CheckReport(blocks, settings={"epsilon": 1e-7, "method": "centered"}, loss=1.0)
    found = diagnose_report(report)
    assert (found["t"].kind, found["t"].indices) == ("rows", (1,))
    assert "rows 1 of the last two axes" in found["t"].message
    assert (found["w"].kind, found["w"].indices) == ("columns", (2,))
    assert (found["b"].kind, found["b"].indices) == ("rows", (0, 3))
    assert "entries 0, 3 (2 of 6 entries" in found["b"].message
    assert found["s"].kind == "scale"
    assert found["s"].factor == pytest.approx(2.0)


def test_a_transposed_kernel_is_misplaced(rng):
    w = rng.standard_normal((2, 3, 4, 4))
    blocks = {"w": BlockResult("w", np.swapaxes(w, -1, -2), w, np.zeros(w.shape, bool))}
    found = diagnose_report(CheckReport(blocks, settings={"epsilon": 1e-7}, loss=1.0))
    assert found["w"].kind == "misplaced"
    assert "transposed" in found["w"].message


def test_the_built_in_network_asks_for_x_and_y():
    with pytest.raises(ValueError, match="the built-in Network needs examples: pass X and y"):
        gradient_check(Network(make_spec((3,), "tanh", "bce")))
