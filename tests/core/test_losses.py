"""Every loss: its value from the formula and its gradient against centered differences."""

import numpy as np
import pytest
from helpers import numeric_gradient, rel_error

from gradviz.core.model import losses

M, C = 6, 4


def scores_away_from_hinges(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """Scores whose SVM margins s_j − s_y + 1 all stay at least 0.05 from 0."""
    while True:
        s = rng.standard_normal((C, M))
        margins = s - s[y, np.arange(M)] + 1
        margins[y, np.arange(M)] = 1.0
        if np.min(np.abs(margins)) > 0.05:
            return s


def test_softmax_ce_value(rng):
    s, y = rng.standard_normal((C, M)), rng.integers(0, C, M)
    loss, _, switches = losses.softmax_ce(s, y)
    p = np.exp(s) / np.exp(s).sum(axis=0)
    assert loss == pytest.approx(-np.mean(np.log(p[y, np.arange(M)])), rel=1e-12)
    assert switches is None


def test_softmax_ce_gradient(rng):
    s, y = rng.standard_normal((C, M)), rng.integers(0, C, M)
    _, ds, _ = losses.softmax_ce(s, y)
    num = numeric_gradient(lambda: losses.softmax_ce(s, y)[0], s)
    # ds is the gradient of the sum of per-example losses; J is their mean
    assert rel_error(ds / M, num) < 1e-7


def test_softmax_ce_is_stable_for_huge_scores(rng):
    s, y = rng.standard_normal((C, M)) + 1000.0, rng.integers(0, C, M)
    loss, ds, _ = losses.softmax_ce(s, y)
    loss0, ds0, _ = losses.softmax_ce(s - 1000.0, y)
    assert np.isfinite(loss)
    assert loss == pytest.approx(loss0, rel=1e-10)
    np.testing.assert_allclose(ds, ds0, atol=1e-12)


def test_svm_value_and_switches(rng):
    y = rng.integers(0, C, M)
    s = scores_away_from_hinges(rng, y)
    loss, _, active = losses.svm(s, y)
    expected = 0.0
    for i in range(M):
        for j in range(C):
            if j != y[i]:
                expected += max(0.0, s[j, i] - s[y[i], i] + 1)
    assert loss == pytest.approx(expected / M, rel=1e-12)
    margins = s - s[y, np.arange(M)] + 1
    want = margins > 0
    want[y, np.arange(M)] = False
    np.testing.assert_array_equal(active, want)


def test_svm_gradient(rng):
    y = rng.integers(0, C, M)
    s = scores_away_from_hinges(rng, y)
    _, ds, _ = losses.svm(s, y)
    num = numeric_gradient(lambda: losses.svm(s, y)[0], s)
    assert rel_error(ds / M, num) < 1e-7


def test_svm_loss_with_equal_scores_is_classes_minus_one():
    s, y = np.zeros((C, M)), np.arange(M) % C
    assert losses.svm(s, y)[0] == pytest.approx(C - 1)


def test_bce_value_and_gradient(rng):
    a = 1 / (1 + np.exp(-rng.standard_normal((1, M))))
    y = rng.integers(0, 2, (1, M)).astype(float)
    loss, da, switches = losses.bce(a, y)
    assert loss == pytest.approx(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)), rel=1e-12)
    assert switches is None
    num = numeric_gradient(lambda: losses.bce(a, y)[0], a)
    assert rel_error(da / M, num) < 1e-7


def test_mse_value_and_gradient(rng):
    a, y = rng.standard_normal((3, M)), rng.standard_normal((3, M))
    loss, da, switches = losses.mse(a, y)
    assert loss == pytest.approx(np.sum((a - y) ** 2) / (2 * M), rel=1e-12)
    assert switches is None
    num = numeric_gradient(lambda: losses.mse(a, y)[0], a)
    assert rel_error(da / M, num) < 1e-7


def test_softmax_ce_uniform_scores_give_log_classes():
    assert losses.softmax_ce(np.zeros((10, 4)), np.arange(4))[0] == pytest.approx(np.log(10))


@pytest.mark.parametrize("name", ["softmax_ce", "svm", "bce", "mse"])
def test_losses_are_complex_step_safe(rng, name):
    """Im(J(s + ih·e_k)) / h equals dJ/ds_k: the losses run on complex scores."""
    y = rng.integers(0, C, M)
    if name == "svm":
        s = scores_away_from_hinges(rng, y)
    elif name == "bce":
        s = 1 / (1 + np.exp(-rng.standard_normal((1, M))))
        y = rng.integers(0, 2, (1, M)).astype(float)
    elif name == "mse":
        s, y = rng.standard_normal((C, M)), rng.standard_normal((C, M))
    else:
        s = rng.standard_normal((C, M))
    fn = losses.LOSS_FUNCTIONS[name]
    _, ds, _ = fn(s, y)
    h = 1e-20
    slope = np.zeros_like(s)
    for k in range(s.size):
        z = s.astype(complex)
        z.flat[k] += 1j * h
        slope.flat[k] = np.imag(fn(z, y)[0]) / h
    assert rel_error(slope, ds / M) < 1e-12


def test_softmax_ce_shifts_each_example_by_its_own_maximum():
    """Examples at very different scales (±1000): a shift by the batch's maximum would underflow."""
    s, y = np.array([[1000.0, -1000.0], [999.0, -1001.0]]), np.array([1, 0])
    loss, ds, _ = losses.softmax_ce(s, y)
    per_example = [np.log1p(np.exp(-1.0)) + 1.0, np.log1p(np.exp(-1.0))]
    assert loss == pytest.approx(np.mean(per_example), rel=1e-14)
    p = 1 / (1 + np.exp(-1.0))
    np.testing.assert_allclose(ds, [[p, p - 1], [-p, 1 - p]], rtol=1e-14)


def test_svm_margin_exactly_zero_is_inactive():
    """CS231n's convention: a margin of exactly 0 (s_j = s_y − 1) adds nothing to the gradient."""
    s, y = np.array([[0.0, 3.0], [1.0, 0.5]]), np.array([1, 0])
    loss, ds, active = losses.svm(s, y)
    assert loss == pytest.approx(0.0)
    np.testing.assert_array_equal(active, [[False, False], [False, False]])
    np.testing.assert_array_equal(ds, np.zeros((2, 2)))


def test_svm_gradient_keeps_float32(rng):
    y = rng.integers(0, C, M)
    s = scores_away_from_hinges(rng, y).astype(np.float32)
    assert losses.svm(s, y)[1].dtype == np.float32


def test_bce_from_logits_gives_the_same_output_gradient_as_from_a(rng):
    """dA from the logits branch is (a − y) / (a (1 − a)), the planted act_deriv bug's input."""
    z = rng.standard_normal((1, M))
    a, y = 1 / (1 + np.exp(-z)), rng.integers(0, 2, (1, M)).astype(float)
    _, da, _ = losses.bce(a, y, logits=z)
    np.testing.assert_allclose(da, (a - y) / (a * (1 - a)), rtol=1e-12)
