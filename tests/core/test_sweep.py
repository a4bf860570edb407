"""The epsilon sweep: truncation slopes ≈ 2 centered and ≈ 1 one-sided, rounding slopes ≈ −1,
best steps where the lectures put them, float32 needing a larger step, and the user's net
untouched."""

import numpy as np
import pytest
from helpers import make_data, make_spec, snapshot

from gradviz.core import Network, Sweep, epsilon_sweep


@pytest.fixture(scope="module")
def tanh_problem():
    spec = make_spec((4, 4), "tanh")
    net = Network(spec)
    X, y = make_data(spec, 4, np.random.default_rng(1))
    return net, X, y


@pytest.fixture(scope="module")
def block_sweep(tanh_problem):
    net, X, y = tanh_problem
    return epsilon_sweep(net, X, y, block="W1")


def test_curves_cover_every_dtype_and_method(block_sweep):
    assert isinstance(block_sweep, Sweep)
    keys = {(d, m) for d in ("float64", "float32") for m in ("centered", "forward")}
    assert set(block_sweep.curves) == keys
    for eps, errors in block_sweep.curves.values():
        assert eps.shape == errors.shape == (23,)
        assert eps[0] == pytest.approx(1e-12)
        assert eps[-1] == pytest.approx(1e-1)
    assert block_sweep.index is None
    assert block_sweep.components.tolist() == list(range(12))


def test_truncation_slopes_are_two_centered_and_one_forward(block_sweep):
    assert 1.6 <= block_sweep.slopes[("float64", "centered")] <= 2.4
    assert 0.7 <= block_sweep.slopes[("float64", "forward")] <= 1.3
    assert 1.6 <= block_sweep.slopes[("float32", "centered")] <= 2.4


@pytest.mark.parametrize("method", ["centered", "forward"])
def test_rounding_slopes_are_minus_one(block_sweep, method):
    assert -1.4 <= block_sweep.rounding_slopes[("float64", method)] <= -0.6


def test_best_steps(block_sweep):
    best = block_sweep.best_epsilon
    assert 1e-7 <= best[("float64", "centered")] <= 1e-3
    assert best[("float32", "centered")] > best[("float64", "centered")]
    assert best[("float64", "forward")] < best[("float64", "centered")]
    # at its best step the centered formula beats the one-sided one
    assert block_sweep.best_error[("float64", "centered")] < block_sweep.best_error[("float64", "forward")]
    for key, (eps, errors) in block_sweep.curves.items():
        assert block_sweep.best_error[key] == errors.min()
        assert block_sweep.best_epsilon[key] == eps[np.argmin(errors)]


def test_lines_print_the_slopes(block_sweep):
    lines = block_sweep.lines()
    assert len(lines) == 4
    assert lines[0].startswith("W1, float64 centered: slope +2.0")
    assert "best ε 1e-05" in lines[0]


def test_a_single_component_against_the_float64_analytic_gradient(tanh_problem):
    net, X, y = tanh_problem
    sweep = epsilon_sweep(net, X, y, block="W2", index=(1, 2), dtypes=("float64",), methods=("centered",),
                          epsilons=[1e-6, 1e-4, 1e-2])
    _, grads = net.loss(X, y)
    _eps, errors = sweep.curves[("float64", "centered")]
    assert sweep.index == (1, 2)
    assert sweep.components.tolist() == [1 * 4 + 2]
    # the error at ε = 1e-2 is the truncation error ε²·f'''/6: far above rounding, far below |dθ|
    assert 1e-9 < errors[-1] < 1e-3 * abs(grads["W2"][1, 2])
    assert errors[0] < 1e-8
    flat = epsilon_sweep(net, X, y, block="W2", index=6, dtypes=("float64",), methods=("centered",),
                         epsilons=[1e-6, 1e-4, 1e-2])
    np.testing.assert_array_equal(flat.curves[("float64", "centered")][1], errors)


def test_richardson_converges_faster(tanh_problem):
    net, X, y = tanh_problem
    sweep = epsilon_sweep(net, X, y, block="b1", dtypes=("float64",), methods=("centered", "richardson"))
    assert sweep.slopes[("float64", "richardson")] > 3.0
    assert sweep.best_error[("float64", "richardson")] < sweep.best_error[("float64", "centered")]


def test_the_users_net_is_untouched():
    spec = make_spec((3,), "tanh", keep_prob=0.8)
    net = Network(spec)
    net.inject_bug("dW_x2", 1)
    X, y = make_data(spec, 3, np.random.default_rng(2))
    before, rng_state = snapshot(net.params), net.rng.bit_generator.state
    sweep = epsilon_sweep(net, X, y, block="W1", epsilons=[1e-6, 1e-4, 1e-2])
    assert snapshot(net.params) == before
    assert net.rng.bit_generator.state == rng_state
    assert net.spec.dtype == "float64"
    # the planted bug travels with the copies: the error stays at the bug's size at every step
    assert np.all(sweep.curves[("float64", "centered")][1] > 0.3)


class Quadratic:
    """J = Σ w⁴ / 4 in float64 or float32, with an exact gradient w³: a protocol model."""

    def __init__(self, dtype):
        self.params = {"w": np.array([[0.5, -1.2, 0.8]], dtype=dtype)}

    def loss(self, X, y):
        w = self.params["w"]
        return float(np.sum(w**4) / 4), {"w": w**3}


def test_a_user_model_is_swept_in_its_own_dtype():
    model = Quadratic("float32")
    sweep = epsilon_sweep(model, None, None, block="w")
    assert set(sweep.curves) == {("float32", "centered"), ("float32", "forward")}
    assert "float64 needs the built-in Network" in sweep.notes[0]
    assert sweep.best_epsilon[("float32", "centered")] >= 1e-4
    with pytest.raises(ValueError, match="own dtype"):
        epsilon_sweep(model, None, None, block="w", dtypes=("float64",))
    cubic = epsilon_sweep(Quadratic("float64"), None, None, block="w", dtypes=("float64",))
    assert 1.6 <= cubic.slopes[("float64", "centered")] <= 2.4


@pytest.mark.parametrize(("options", "match"), [
    ({"block": "W9"}, "block must name a parameter among W1, b1"),
    ({"block": "W1", "index": (9, 9)}, "index must be a position in shape"),
    ({"block": "W1", "epsilons": [1e-3, -1, 1e-2]}, "epsilons must hold"),
    ({"block": "W1", "dtypes": ("float128",)}, "dtypes must be chosen among"),
    ({"block": "W1", "methods": ("complex",)}, "methods must be chosen among centered, forward"),
])
def test_bad_arguments_name_the_field(tanh_problem, options, match):
    net, X, y = tanh_problem
    with pytest.raises(ValueError, match=match):
        epsilon_sweep(net, X, y, **options)


def test_to_dict_lists_every_curve(block_sweep):
    data = block_sweep.to_dict()
    assert data["block"] == "W1"
    assert data["index"] is None
    assert len(data["curves"]) == 4
    first = data["curves"][0]
    assert first["dtype"] == "float64"
    assert first["method"] == "centered"
    assert first["slope"] == block_sweep.slopes[("float64", "centered")]
