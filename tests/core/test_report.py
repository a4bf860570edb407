"""CheckReport and BlockResult: error definitions, thresholds, failing blocks, worst, export."""

import csv
import io
import json
import math

import numpy as np
import pytest
from helpers import make_data, make_spec

from gradviz.core import BlockResult, CheckReport, Component, Network, gradient_check
from gradviz.core.report.check_report import KINK, MISMATCH, norm_ratio, relative_error, status_of

NAN = np.nan


def hand_report() -> CheckReport:
    """W1 (2, 2): one component wrong at a kink; b1 (2, 1): one wrong component; W2 partly unchecked."""
    W1 = BlockResult("W1", [[1.0, 2.0], [0.0, -4.0]], [[1.0, 2.5], [0.0, -4.0]],
                     [[False, True], [False, False]])
    b1 = BlockResult("b1", [[0.5], [3.0]], [[0.5], [-3.0]], [[False], [False]])
    W2 = BlockResult("W2", [[1.0, 1.0, 1.0]], [[1.0, NAN, 1.0 + 1e-9]], [[False, True, False]])
    return CheckReport({"W1": W1, "b1": b1, "W2": W2},
                       settings={"epsilon": 1e-7, "method": "centered", "sample": None},
                       warnings=["a warning"], loss=0.75, engine="reference", elapsed=0.5)


def test_relative_error_definition():
    a = np.array([1.0, 0.0, 2.0, 1e-3, 5.0])
    n = np.array([1.1, 0.0, -2.0, 0.0, NAN])
    rel = relative_error(a, n)
    assert rel[0] == pytest.approx(0.1 / 1.1)
    assert rel[1] == 0.0  # both zero
    assert rel[2] == pytest.approx(2.0)
    assert rel[3] == pytest.approx(1.0)
    assert np.isnan(rel[4])  # unchecked


def test_block_fields():
    W1 = hand_report().blocks["W1"]
    np.testing.assert_array_equal(W1.abs_error, [[0.0, 0.5], [0.0, 0.0]])
    np.testing.assert_allclose(W1.rel_error, [[0.0, 0.5 / 2.5], [0.0, 0.0]])
    assert W1.n_checked == 4
    W2 = hand_report().blocks["W2"]
    np.testing.assert_array_equal(W2.checked, [[True, False, True]])
    assert not W2.kink.any()  # a kink flag on an unchecked component is dropped
    assert W2.n_checked == 2


def test_difference_is_the_norm_ratio():
    report = hand_report()
    W1 = report.blocks["W1"]
    expected = np.linalg.norm(W1.numeric - W1.analytic) / (
        np.linalg.norm(W1.numeric) + np.linalg.norm(W1.analytic))
    assert W1.difference == pytest.approx(expected, rel=1e-14)
    assert W1.difference_without_kinks == 0.0
    num = np.array([1.0, 2.5, 0.0, -4.0, 0.5, -3.0, 1.0, 1.0 + 1e-9])
    ana = np.array([1.0, 2.0, 0.0, -4.0, 0.5, 3.0, 1.0, 1.0])
    total = np.linalg.norm(num - ana) / (np.linalg.norm(num) + np.linalg.norm(ana))
    assert report.difference == pytest.approx(total, rel=1e-14)
    assert norm_ratio(np.zeros(3), np.zeros(3)) == 0.0
    assert norm_ratio(np.array([1.0, np.inf]), np.ones(2)) == math.inf
    assert norm_ratio(np.ones(2), np.array([1.0, np.nan])) == math.inf


@pytest.mark.parametrize(
    ("difference", "status"),
    [(0.0, "great"), (1e-7, "great"), (1.01e-7, "ok"), (1e-5, "ok"), (1.01e-5, "worry"),
     (1e-3, "worry"), (1.01e-3, "wrong"), (0.5, "wrong"), (math.nan, "wrong"), (math.inf, "wrong")],
)
def test_status_thresholds(difference, status):
    assert status_of(difference) == status


def test_passed_and_status():
    report = hand_report()
    assert report.status == "wrong"
    assert not report.passed
    fine = CheckReport({"b": BlockResult("b", [[1.0]], [[1.0 + 1e-6]], [[False]])})  # 5e-7
    assert fine.status == "ok"
    assert fine.passed


def test_failing_blocks_excludes_kinks():
    report = hand_report()
    # W1's only mismatch is at a kink; b1 has a real one; W2 is off by 1e-9 (below 1e-5)
    assert report.failing_blocks() == ["b1"]
    assert report.blocks["W1"].difference > 1e-5
    assert not report.blocks["W1"].failing
    assert report.n_kinks == 1
    assert report.n_checked == 8


def test_worst_order():
    worst = hand_report().worst(3)
    assert [(c.block, c.index) for c in worst] == [("b1", (1, 0)), ("W1", (0, 1)), ("W2", (0, 2))]
    first = worst[0]
    assert first == Component("b1", (1, 0), 3.0, -3.0, 6.0, 2.0, False)
    assert worst[1].kink
    everything = hand_report().worst(100)
    assert len(everything) == 8  # unchecked components are never listed
    rels = [c.rel_error for c in everything]
    assert rels == sorted(rels, reverse=True)


def test_worst_among_some_kinds():
    report = hand_report()
    assert [(c.block, c.index, c.kind) for c in report.worst(5, kinds=(MISMATCH,))] == [
        ("b1", (1, 0), "mismatch")]
    assert report.worst(5, kinds=(KINK,))[0].index == (0, 1)


def test_worst_breaks_ties_by_absolute_error():
    block = BlockResult("W", [[1.0, 10.0]], [[2.0, 20.0]], [[False, False]])
    worst = CheckReport({"W": block}).worst(2)
    assert [c.index for c in worst] == [(0, 1), (0, 0)]


def test_verdict_and_summary():
    report = hand_report()
    assert "wrong" in report.verdict()
    assert f"{report.difference:.2e}" in report.verdict()
    summary = report.summary()
    assert summary[:2] == [report.headline(), report.verdict()]
    assert summary[0].startswith("bug: ")
    assert "failing blocks: b1" in summary
    assert "a warning" in summary


def assert_same_report(a: CheckReport, b: CheckReport):
    assert list(a.blocks) == list(b.blocks)
    for name, block in a.blocks.items():
        other = b.blocks[name]
        np.testing.assert_array_equal(block.analytic, other.analytic)
        np.testing.assert_array_equal(block.numeric, other.numeric)  # NaN where unchecked
        np.testing.assert_array_equal(block.kink, other.kink)
        assert block.analytic.shape == other.analytic.shape
    assert (a.settings, a.warnings, a.loss, a.engine, a.elapsed) == (
        b.settings, b.warnings, b.loss, b.engine, b.elapsed)
    assert a.failing_blocks() == b.failing_blocks()
    assert a.difference == b.difference
    assert a.status == b.status


def test_dict_round_trip():
    report = hand_report()
    data = report.to_dict()
    assert data["status"] == "wrong"
    assert data["passed"] is False
    assert data["failing_blocks"] == ["b1"]
    assert data["blocks"]["W2"]["numeric"] == [[1.0, None, 1.0 + 1e-9]]
    assert data["blocks"]["W1"]["shape"] == [2, 2]
    assert_same_report(CheckReport.from_dict(data), report)


def test_json_round_trip():
    report = hand_report()
    text = report.to_json()
    assert "NaN" not in text  # unchecked components are null
    assert_same_report(CheckReport.from_dict(json.loads(text)), report)


def test_round_trip_of_a_real_check(rng):
    spec = make_spec((3,), "relu", "svm", seed=2)
    net = Network(spec)
    net.inject_bug("db_x4", 1)
    report = gradient_check(net, *make_data(spec, 4, rng), sample=2)
    again = CheckReport.from_dict(json.loads(report.to_json(indent=2)))
    assert_same_report(again, report)
    assert again.failing_blocks() == ["b1"]


def test_csv_columns_and_rows(tmp_path):
    report = hand_report()
    path = tmp_path / "report.csv"
    text = report.to_csv(str(path))
    assert path.read_text(encoding="utf-8") == text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["block", "index", "analytic", "numeric", "abs_error", "rel_error", "kink",
                       "kind", "numeric_second"]
    body = rows[1:]
    assert len(body) == report.n_checked  # one row per checked component
    by_key = {(r[0], r[1]): r for r in body}
    assert ("W2", "(0, 1)") not in by_key
    row = by_key[("W1", "(0, 1)")]
    assert [float(v) for v in row[2:6]] == [2.0, 2.5, 0.5, 0.2]
    assert row[6:] == ["1", "kink", ""]
    assert by_key[("b1", "(1, 0)")][6:8] == ["0", "mismatch"]
    assert float(by_key[("W2", "(0, 2)")][3]) == 1.0 + 1e-9  # full precision


def test_relative_error_at_infinities():
    a = np.array([1.0, np.inf, np.inf, 0.0, 2.0])
    n = np.array([np.inf, np.inf, -np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(relative_error(a, n)[:4], [1.0, 0.0, 1.0, 0.0])
    assert np.isnan(relative_error(a, n)[4])  # unchecked


def test_worst_picks_the_same_components_as_a_full_sort(rng):
    a = rng.standard_normal((40, 30))
    n = a * rng.choice([1.0, 1.0, 2.0, 0.5], size=a.shape)
    n[rng.random(a.shape) < 0.1] = np.nan
    report = CheckReport({"W1": BlockResult("W1", a, n, np.zeros(a.shape, bool))})
    b = report.blocks["W1"]
    flat = np.flatnonzero(b.checked)
    order = flat[np.lexsort((-b.abs_error.flat[flat], -b.rel_error.flat[flat]))][:7]
    expected = [tuple(int(i) for i in np.unravel_index(f, a.shape)) for f in order]
    assert [c.index for c in report.worst(7)] == expected
