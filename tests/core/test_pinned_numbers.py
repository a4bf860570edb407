"""Numbers pinned down so that a one-line mistake in the engine moves them: the fast engine's
Taylor helpers against mpmath, bce at large logits, the quick check in every dtype and at a large
loss, the ε sweep's slopes and best steps, and the fast engine's kinks on deep ReLU nets."""

from dataclasses import replace

import mpmath
import numpy as np
import pytest
from helpers import make_data, make_spec

from gradviz.core import LayerSpec, Network, NetworkSpec, epsilon_sweep, gradient_check, quick_check
from gradviz.core.check import deltas, fastcheck

mpmath.mp.prec = 120
DTYPES = [np.float64, np.float32]
G = {
    "tanh": (mpmath.tanh, mpmath.atanh),
    "sigmoid": (lambda z: 1 / (1 + mpmath.exp(-z)), lambda a: mpmath.log(a / (1 - a))),
}


def mp_values(f, *arrays):
    return np.array([float(f(*(mpmath.mpf(float(v)) for v in vs))) for vs in zip(*arrays, strict=True)])


def relative_error_in_u(got, true, dtype) -> float:
    return float(np.max(np.abs(got.astype(np.float64) - true) / np.abs(true))) / deltas.unit_roundoff(dtype)


# -- Taylor helpers against mpmath --------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("helper", "exact"),
                         [(deltas.tanh_of, mpmath.tanh), (deltas.expm1_of, mpmath.expm1)])
def test_series_helpers_are_within_two_units_of_roundoff(dtype, helper, exact):
    rng = np.random.default_rng(0)
    u = deltas.unit_roundoff(dtype)
    for scale in (1e-6, 1e-4, 1e-3, 1e-2):
        x = (rng.uniform(-1, 1, 200) * scale).astype(dtype)
        got = helper(x, u)
        assert got.dtype == dtype
        # ≤ 2u; float32 is summed in float64 and rounded once, so it stays within 1.25u
        assert relative_error_in_u(got, mp_values(exact, x), dtype) <= (2.0 if dtype is np.float64 else 1.25)


def activation_changes(kind, dtype, seed, scales):
    """(scale, a0, dz, exact g(g⁻¹(a0) + δ) − a0) for 150 random units per scale, z0 in [−4, 4]."""
    g, inverse = G[kind]
    rng = np.random.default_rng(seed)
    for scale in scales:
        z0 = rng.uniform(-4, 4, 150).astype(dtype)
        dz = (rng.uniform(-1, 1, 150) * scale).astype(dtype)
        a0 = deltas.ops.activation_forward(z0, kind)
        yield scale, a0, dz, mp_values(lambda a, d: g(inverse(a) + d) - a, a0, dz)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["tanh", "sigmoid"])
def test_taylor_polynomial_of_an_activation_change(dtype, kind):
    """Σ c_p δ^p against g(g⁻¹(a0) + δ) − a0 in 120-bit arithmetic, saturated units included."""
    u = deltas.unit_roundoff(dtype)
    for scale, a0, dz, true in activation_changes(kind, dtype, 1, (1e-6, 1e-4, 1e-3)):
        degree = int(deltas.taylor_degrees(kind, np.array([scale]), u)[0])
        if degree > deltas.MAX_DEGREE:  # the fast engine computes such a change directly
            continue
        c = deltas.taylor_coefficients(kind, None, a0, degree).astype(np.float64)
        poly = sum(c[p] * dz.astype(np.float64) ** (p + 1) for p in range(degree))
        assert relative_error_in_u(poly, true, dtype) <= 5.0, scale


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["tanh", "sigmoid"])
def test_activation_change_by_its_identity(dtype, kind):
    u = deltas.unit_roundoff(dtype)
    for scale, a0, dz, true in activation_changes(kind, dtype, 2, (1e-6, 1e-3, 0.5)):
        got, switches = deltas.activation_change(kind, None, a0, dz, u)
        assert switches is None
        assert relative_error_in_u(got, true, dtype) <= 6.0, scale


# -- bce from logits --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("z", [30.0, -30.0, 700.0, -700.0, 1000.0, -1000.0])
def test_bce_at_large_logits(dtype, z):
    """J = mean(softplus(z) − y·z) and dJ/dW = mean((σ(z) − y)·x) to a few units of roundoff,
    with no overflow (a warning would fail the test)."""
    spec = NetworkSpec(1, [LayerSpec(1, "sigmoid")], loss="bce", dtype=dtype)
    net = Network(spec, params={"W1": np.array([[z]]), "b1": np.zeros((1, 1))})
    X, y = np.ones((1, 2)), np.array([[0.0, 1.0]])
    J, grads = net.loss(X, y)
    softplus = [mpmath.log1p(mpmath.exp(s * mpmath.mpf(z))) for s in (1, -1)]  # y = 0, y = 1
    u = deltas.unit_roundoff(dtype)
    expected_J = float(sum(softplus) / 2)
    assert expected_J == pytest.approx(J, rel=4 * u)
    # dW = ((σ(z) − 0)·1 + (σ(z) − 1)·1) / 2, with σ(z) − 1 = −σ(−z)
    expected_dW = float((1 / (1 + mpmath.exp(-mpmath.mpf(z))) - 1 / (1 + mpmath.exp(mpmath.mpf(z)))) / 2)
    assert np.isfinite(grads["W1"]).all()
    assert float(grads["W1"][0, 0]) == pytest.approx(expected_dW, rel=4 * u, abs=1e-300)
    assert float(grads["b1"][0, 0]) == pytest.approx(expected_dW, rel=4 * u, abs=1e-300)


def test_a_saturated_bce_output_is_checked_by_the_reference_loop():
    spec = NetworkSpec(1, [LayerSpec(1, "sigmoid")], loss="bce", dtype="float32")
    net = Network(spec, params={"W1": np.array([[30.0]]), "b1": np.zeros((1, 1))})
    report = gradient_check(net, np.ones((1, 2)), np.array([[0.0, 1.0]]), epsilon=1e-2)
    assert report.engine == "reference"
    assert any("output sigmoid saturates" in w for w in report.warnings)
    with pytest.raises(ValueError, match="saturates"):
        gradient_check(net, np.ones((1, 2)), np.array([[0.0, 1.0]]), epsilon=1e-2, engine="fast")


# -- the fast engine's bound and kinks ---------------------------------------------------------
def test_the_rounding_bound_has_a_floor():
    u = deltas.unit_roundoff(np.float32)
    assert fastcheck.rounding_bound(np.float32, 0.0, 1e-2) == pytest.approx(50 * u / 1e-2)
    scaled = fastcheck.rounding_bound(np.float32, 0.0, 1e-2, loss_scale=1e3)
    assert scaled == pytest.approx(50 * u * 1e3 / 1e-2)
    assert fastcheck.rounding_bound(np.float64, 7.0, 1e-7) == pytest.approx(50 * 2.0**-53 * 7 / 1e-7)


@pytest.mark.parametrize("epsilon", [1e-2, 5e-2])
def test_relu_kink_flags_with_layers_after_the_perturbed_one(epsilon):
    """W1 has three ReLU layers after it, W2 two: the fast engine flags exactly the components
    the reference loop flags, and their numbers agree within the bound."""
    layers = [LayerSpec(6, "relu"), LayerSpec(5, "relu"), LayerSpec(5, "relu"), LayerSpec(3, "linear")]
    spec = NetworkSpec(4, layers, loss="softmax_ce", seed=3)
    net = Network(spec)
    X, y = make_data(spec, 6, np.random.default_rng(4))
    fast = gradient_check(net, X, y, engine="fast", epsilon=epsilon, blocks=["W1", "b1", "W2"])
    reference = gradient_check(net, X, y, engine="reference", epsilon=epsilon, blocks=["W1", "b1", "W2"])
    bound = fastcheck.rounding_bound("float64", reference.loss, epsilon)
    for name, ref in reference.blocks.items():
        np.testing.assert_array_equal(fast.blocks[name].kink, ref.kink, err_msg=name)
        assert np.max(np.abs(fast.blocks[name].numeric - ref.numeric)) <= bound
    assert reference.blocks["W1"].kink.sum() >= 3
    assert not reference.blocks["W1"].kink.all()


# -- the quick check ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_quick_check_in_each_dtype(dtype):
    spec = make_spec((5,), "tanh", "softmax_ce", seed=2, dtype=dtype, input_dim=4)
    net = Network(spec)
    X, y = make_data(spec, 4, np.random.default_rng(0))
    assert quick_check(net, X, y).passed
    net.inject_bug("dW_x2", 1)
    report = quick_check(net, X, y)
    assert report.failing_blocks() == ["W1"]
    assert report.settings["dtype"] == dtype


def test_quick_check_on_a_large_loss():
    """Targets of ±1000 on a linear output: J ≈ 10^6, and still a correct net passes and a wrong
    db is caught."""
    spec = NetworkSpec(3, [LayerSpec(4, "tanh"), LayerSpec(2, "linear")], loss="mse", seed=1)
    net = Network(spec)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((3, 5)), rng.choice([-1000.0, 1000.0], (2, 5))
    report = quick_check(net, X, y)
    assert report.passed
    net.inject_bug("db_x4", 2)
    assert quick_check(net, X, y).failing_blocks() == ["b2"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss_scale": 0}, "loss_scale"),
        ({"loss_scale": -0.0}, "loss_scale"),
        ({"loss_scale": float("nan")}, "loss_scale"),
        ({"loss_scale": float("inf")}, "loss_scale"),
        ({"loss_scale": 10**309}, "loss_scale"),
        ({"seed": -1}, "seed"),
        ({"seed": "a"}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"tolerance": 0}, "tolerance"),
        ({"tolerance": float("nan")}, "tolerance"),
        ({"tolerance": "a"}, "tolerance"),
        ({"epsilon": 1e155}, "epsilon"),
        ({"localize": "yes"}, "localize"),
    ],
)
def test_quick_check_validates_like_gradient_check(kwargs, match):
    spec = make_spec((3,), "tanh", "softmax_ce")
    net = Network(spec)
    net.inject_bug("dW_x2", 1)
    X, y = make_data(spec, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=match):
        quick_check(net, X, y, **kwargs)


# -- the ε sweep -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sweep():
    spec = make_spec((4, 4), "tanh")
    net = Network(spec)
    X, y = make_data(spec, 4, np.random.default_rng(1))
    return net, X, y, epsilon_sweep(net, X, y, block="W1")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sweep_slopes_within_a_tenth(sweep, dtype):
    s = sweep[3]
    assert s.slopes[(dtype, "centered")] == pytest.approx(2, abs=0.1)
    assert s.slopes[(dtype, "forward")] == pytest.approx(1, abs=0.1)
    assert s.rounding_slopes[(dtype, "centered")] == pytest.approx(-1, abs=0.1)
    assert s.rounding_slopes[(dtype, "forward")] == pytest.approx(-1, abs=0.1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_best_steps_follow_the_unit_roundoff(sweep, dtype):
    """Best ε within half a decade of u^(1/3) (centered) and u^(1/2) (forward)."""
    u = deltas.unit_roundoff(dtype)
    best = sweep[3].best_epsilon
    assert abs(np.log10(best[(dtype, "centered")]) - np.log10(u) / 3) <= 0.5
    assert abs(np.log10(best[(dtype, "forward")]) - np.log10(u) / 2) <= 0.5 + 0.25


def test_float32_curves_are_measured_against_the_float64_gradient(sweep):
    net, X, y, _ = sweep
    eps = [1e-3, 1e-2, 1e-1]
    s = epsilon_sweep(net, X, y, block="W2", index=(1, 2), dtypes=("float32",), methods=("centered",),
                      epsilons=eps)
    net32 = Network(replace(net.spec, dtype="float32"), params=net.params)
    # the float64 analytic gradient at the float32 θ (a float32 one differs by ~1e-3 of the error)
    truth = float(Network(net.spec, params=net32.params).loss(X, y)[1]["W2"][1, 2])
    expected = []
    for e in eps:
        values = []
        for sign in (1, -1):
            params = {k: v.copy() for k, v in net32.params.items()}
            params["W2"][1, 2] += np.float32(sign * e)
            values.append(float(net32.evaluate(X, y, params=params, masks=None, backprop=False).J))
        expected.append(abs((values[0] - values[1]) / (2 * e) - truth))
    np.testing.assert_allclose(s.curves[("float32", "centered")][1], expected, rtol=1e-9)
