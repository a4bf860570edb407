"""Every layer op against centered differences (float64, seeded, rel error ≲ 1e-7)."""

import numpy as np
import pytest
from helpers import numeric_gradient_array, rel_error

from gradviz.core.model import layers as ops

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |z| ≥ 0.1, so a step of 1e-6 never crosses the ReLU kink."""
    return rng.choice([-1.0, 1.0], size=shape) * (0.1 + np.abs(rng.standard_normal(shape)))


def test_affine_forward_is_W_A_plus_b(rng):
    A, W, b = rng.standard_normal((3, 5)), rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    Z = ops.affine_forward(A, W, b)
    expected = np.array([[W[i] @ A[:, j] + b[i, 0] for j in range(5)] for i in range(4)])
    np.testing.assert_allclose(Z, expected, rtol=1e-12)


def test_affine_backward_matches_numeric(rng):
    m = 5
    A, W, b = rng.standard_normal((3, m)), rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    dZ = rng.standard_normal((4, m))
    dA, dW, db = ops.affine_backward(dZ, A, W)
    assert (dA.shape, dW.shape, db.shape) == (A.shape, W.shape, b.shape)

    # dZ is the gradient of the sum; dW and db are of the mean (course convention: / m)
    num_dA = numeric_gradient_array(lambda: ops.affine_forward(A, W, b), A, dZ)
    num_dW = numeric_gradient_array(lambda: ops.affine_forward(A, W, b), W, dZ) / m
    num_db = numeric_gradient_array(lambda: ops.affine_forward(A, W, b), b, dZ) / m
    assert rel_error(dA, num_dA) < 1e-7
    assert rel_error(dW, num_dW) < 1e-7
    assert rel_error(db, num_db) < 1e-7


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activation_backward_matches_numeric(rng, kind):
    Z = away_from_zero(rng, (4, 6))
    dA = rng.standard_normal(Z.shape)
    A = ops.activation_forward(Z, kind)
    dZ = ops.activation_backward(dA, Z, A, kind)
    num = numeric_gradient_array(lambda: ops.activation_forward(Z, kind), Z, dA)
    assert rel_error(dZ, num) < 1e-7


@pytest.mark.parametrize(
    ("kind", "g"),
    [
        ("relu", lambda z: np.maximum(z, 0)),
        ("leaky_relu", lambda z: np.where(z > 0, z, 0.01 * z)),
        ("tanh", np.tanh),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_activation_forward_formulas(rng, kind, g):
    Z = rng.standard_normal((3, 4))
    np.testing.assert_allclose(ops.activation_forward(Z, kind), g(Z), rtol=1e-12)


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_wrong_activation_derivative_differs(rng, kind):
    Z = away_from_zero(rng, (3, 4))
    dA = rng.standard_normal(Z.shape)
    A = ops.activation_forward(Z, kind)
    right = ops.activation_backward(dA, Z, A, kind)
    wrong = ops.activation_backward(dA, Z, A, kind, wrong=True)
    assert rel_error(right, wrong) > 1e-2


@pytest.mark.parametrize(("kind", "slope"), [
    ("tanh", lambda z: 1 / np.cosh(z) ** 2),
    ("sigmoid", lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
])
def test_saturated_derivatives_keep_their_digits(kind, slope):
    # 1 − a² of a rounded a ≈ ±1 keeps u/(1 − a²) of its digits; g'(z) from z keeps them all
    Z = np.array([[0.3, -4.0, 10.7, -15.0, 25.0]])
    A = ops.activation_forward(Z, kind)
    exact = slope(Z.astype(np.longdouble)).astype(np.float64)
    np.testing.assert_allclose(ops.activation_backward(np.ones_like(Z), Z, A, kind), exact, rtol=1e-14)


def test_switches_only_for_kinked_activations(rng):
    Z = away_from_zero(rng, (3, 4))
    for kind in ("relu", "leaky_relu"):
        np.testing.assert_array_equal(ops.activation_switches(Z, kind), Z > 0)
    for kind in ("tanh", "sigmoid", "linear"):
        assert ops.activation_switches(Z, kind) is None


def test_unknown_activation_raises(rng):
    Z = rng.standard_normal((2, 2))
    with pytest.raises(ValueError, match="activation"):
        ops.activation_forward(Z, "swish")
    with pytest.raises(ValueError, match="activation"):
        ops.activation_backward(Z, Z, Z, "swish")


@pytest.mark.parametrize("keep_prob", [0.5, 0.8, 1.0])
def test_dropout_backward_matches_numeric(rng, keep_prob):
    A = rng.standard_normal((4, 6))
    mask = ops.dropout_mask(rng, A.shape, keep_prob)
    dout = rng.standard_normal(A.shape)
    dA = ops.dropout_backward(dout, mask, keep_prob)
    num = numeric_gradient_array(lambda: ops.dropout_forward(A, mask, keep_prob), A, dout)
    assert rel_error(dA, num) < 1e-7


def test_dropout_is_inverted(rng):
    A = rng.standard_normal((3, 5))
    mask = ops.dropout_mask(rng, A.shape, 0.6)
    out = ops.dropout_forward(A, mask, 0.6)
    np.testing.assert_allclose(out, np.where(mask, A / 0.6, 0.0), rtol=1e-15)


def test_dropout_mask_keeps_about_keep_prob(rng):
    mask = ops.dropout_mask(rng, (200, 500), 0.7)
    assert mask.dtype == bool
    assert abs(mask.mean() - 0.7) < 0.01


def test_dropout_bug_flags_change_the_gradient(rng):
    dout = rng.standard_normal((3, 8))
    mask = ops.dropout_mask(rng, dout.shape, 0.5)
    right = ops.dropout_backward(dout, mask, 0.5)
    no_mask = ops.dropout_backward(dout, mask, 0.5, apply_mask=False)
    no_scale = ops.dropout_backward(dout, mask, 0.5, apply_scale=False)
    np.testing.assert_allclose(no_mask, dout / 0.5)
    np.testing.assert_allclose(no_scale, dout * mask)
    assert rel_error(right, no_mask) > 0.1
    assert rel_error(right, no_scale) > 0.1


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_ops_are_complex_step_safe(rng, kind):
    """Complex step: Im(g(z + ih)) / h equals g'(z) to rounding error."""
    Z = away_from_zero(rng, (3, 4))
    h = 1e-20
    A = ops.activation_forward(Z, kind)
    slope = np.imag(ops.activation_forward(Z + 1j * h, kind)) / h
    expected = ops.activation_backward(np.ones_like(Z), Z, A, kind)
    assert rel_error(slope, expected) < 1e-12
