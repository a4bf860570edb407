"""The fast engine's exact changes, against formulas written here: per-example loss changes on both
of their paths (series and direct), the hinge switches at a margin of exactly 0, and the kinks,
degrees and coefficients of the Taylor steps at their edges."""

import numpy as np
import pytest

from gradviz.core.check import deltas
from gradviz.core.model import layers as ops

U = deltas.unit_roundoff(np.float64)


def per_example_loss(loss, a, y):
    """ℓ_j for a (m, n): softmax_ce −log p_y, svm Σ hinges, bce −y log a − (1 − y) log(1 − a), mse."""
    rows = np.arange(a.shape[0])
    if loss == "softmax_ce":
        return np.logaddexp.reduce(a, axis=1) - a[rows, y]
    if loss == "svm":
        margins = a - a[rows, y][:, None] + 1
        margins[rows, y] = 0
        return np.maximum(margins, 0).sum(axis=1)
    if loss == "bce":
        return -(y * np.log(a[:, 0]) + (1 - y) * np.log(1 - a[:, 0]))
    return 0.5 * ((a - y.T) ** 2).sum(axis=1)


def case(loss, m, n, rng):
    if loss == "bce":
        return rng.uniform(0.2, 0.8, (m, 1)), (np.arange(m) % 2).astype(float)
    a = rng.standard_normal((m, n)) + 40 * np.arange(m)[:, None]  # examples at different scales
    y = rng.standard_normal((n, m)) if loss == "mse" else np.arange(m) % n
    return a, y


@pytest.mark.parametrize("loss", ["softmax_ce", "svm", "bce", "mse"])
@pytest.mark.parametrize("scale", [1e-3, 3.0])  # the series path and the direct path
@pytest.mark.parametrize(("m", "E"), [(3, 4), (1, 2), (3, 1)])
def test_loss_changes_are_the_loss_at_the_moved_point_minus_the_loss(rng, loss, scale, m, E):
    a, y = case(loss, m, 3, rng)
    da = rng.uniform(-1, 1, (m, a.shape[1], E)) * scale
    if loss == "bce":
        da *= 0.05  # a + Δa stays inside (0, 1)
    change, _ = deltas.LossChange(loss, a, y)(da, U)
    assert change.shape == (m, E)
    expected = np.stack([per_example_loss(loss, a + da[:, :, e], y) - per_example_loss(loss, a, y)
                         for e in range(E)], axis=1)
    np.testing.assert_allclose(change, expected, rtol=1e-9, atol=1e-12)


def test_labels_may_arrive_as_whole_floats(rng):
    a = rng.standard_normal((2, 3))
    da = rng.standard_normal((2, 3, 1)) * 1e-3
    for loss in ("softmax_ce", "svm"):
        as_floats = deltas.LossChange(loss, a, np.array([2.0, 0.0]))(da, U)[0]
        np.testing.assert_array_equal(as_floats, deltas.LossChange(loss, a, np.array([2, 0]))(da, U)[0])


def test_a_hinge_reaching_a_margin_of_exactly_zero_stays_off():
    """As in losses.svm: a margin of exactly 0 adds nothing, so reaching it switches nothing."""
    a, y = np.array([[0.5, 2.0]]), np.array([1])
    change, switched = deltas.LossChange("svm", a, y)(np.array([[[0.5], [0.0]]]), U)
    assert change.tolist() == [[0.0]]
    assert switched.tolist() == [[False]]
    change, switched = deltas.LossChange("svm", a, y)(np.array([[[0.75], [0.0]]]), U)
    assert change.tolist() == [[0.25]]
    assert switched.tolist() == [[True]]


def test_largest_is_the_largest_magnitude():
    assert deltas._largest(np.zeros(0)) == 0.0
    assert deltas._largest(np.array([-3.0, 1.0])) == 3.0
    assert deltas._largest(np.array([3j, -1.0])) == 3.0


def test_taylor_degrees_are_the_smallest_that_reach_rounding():
    limits = deltas._degree_limits("tanh", U)
    deltas_max = np.array([0.0, limits[0], np.nextafter(limits[0], 1), limits[2], limits[-1] * 1.01])
    degrees = deltas.taylor_degrees("tanh", deltas_max, U)
    assert degrees.tolist() == [1, 1, 2, 3, deltas.MAX_DEGREE + 1]
    relu = deltas.taylor_degrees("relu", np.array([0.0, 5.0]), U)
    assert relu.tolist() == [1, 1]
    assert relu.dtype.kind == "i"


@pytest.mark.parametrize("kind", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_taylor_coefficients_keep_float32_and_take_the_off_slope_at_a_kink(kind):
    z0 = np.array([[0.0, 1.0, -1.0]], dtype=np.float32)
    a0 = ops.activation_forward(z0, kind)
    c = deltas.taylor_coefficients(kind, z0, a0, 2)
    assert c.dtype == np.float32
    slope = ops.activation_backward(np.ones_like(z0), z0, a0, kind)
    np.testing.assert_allclose(c[0], slope, rtol=1e-6)


def test_relu_intervals_at_a_kink_and_for_a_unit_the_change_misses():
    """z = 0 is off (as z > 0 says): moving up switches it at once; w = 0 never moves it."""
    lo, hi = deltas.relu_interval(np.array([[0.0]]), np.array([[1.0], [-1.0], [0.0]]))
    assert lo.ravel().tolist() == [-np.inf, 0.0, -np.inf]
    assert hi.ravel().tolist() == [0.0, np.inf, np.inf]
