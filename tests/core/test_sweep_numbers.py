"""The epsilon sweep's numbers pinned: which points each slope is fitted over (a decade or more
from the best ε, else every usable point on that side), the sampled components, exact errors of
protocol models whose truncation error is known in closed form, and the network copies (the
user's parameters, dropout off, a float64 reference)."""

import math
from dataclasses import replace

import numpy as np
import pytest
from helpers import exactly, make_data, make_spec

from gradviz.core import Network, epsilon_sweep
from gradviz.core.teach.sweep import Sweep, _fit_curve

KEY = ("float64", "centered")


def fitted(eps, errors, relative):
    sweep = Sweep("w", None, np.arange(1))
    _fit_curve(sweep, KEY, np.asarray(eps, dtype=float), np.asarray(errors, dtype=float),
               np.asarray(relative, dtype=float))
    return sweep


def slope_through(x, y, points):
    return float(np.polyfit([x[i] for i in points], [y[i] for i in points], 1)[0])


def test_slopes_are_fitted_over_the_points_a_decade_or_more_from_the_best():
    """log10 ε: 0, 0.5 (NaN), 1, 2, 2.5, 3 (best), 3.5, 4, 5, 6, 7 (relative 0.5). Left of the best:
    0, 1 and 2 (2 is exactly a decade off); right: 4 (exactly a decade), 5 and 6. NaN and saturated
    errors are never fitted; 2.5 and 3.5 only when a side lacks far points."""
    x = [0, 0.5, 1, 2, 2.5, 3, 3.5, 4, 5, 6, 7]
    y = [-4, None, -5, -7, -7.5, -9, -8.0, -8, -5, -3, -1]
    eps = [10.0**k for k in x]
    errors = [math.nan if v is None else 10.0**v for v in y]
    relative = [0.5 if k == 7 else e for k, e in zip(x, errors, strict=True)]
    assert eps[x.index(2)] * 10 == eps[x.index(3)] == eps[x.index(4)] / 10  # exact decades
    sweep = fitted(eps, errors, relative)
    assert sweep.best_epsilon[KEY] == 1000.0
    assert sweep.best_error[KEY] == 1e-9
    assert sweep.rounding_slopes[KEY] == pytest.approx(slope_through(x, y, [0, 2, 3]), abs=1e-12)
    assert sweep.slopes[KEY] == pytest.approx(slope_through(x, y, [7, 8, 9]), abs=1e-12)


def test_zero_errors_are_never_fitted():
    """The first exact agreement is the best ε; a second one is left out of the slope."""
    x, errors = [0, 1, 2, 3, 4], [1e-3, 0.0, 1e-8, 0.0, 1e-4]
    sweep = fitted([10.0**k for k in x], errors, errors)
    assert (sweep.best_epsilon[KEY], sweep.best_error[KEY]) == (10.0, 0.0)
    assert sweep.slopes[KEY] == pytest.approx(2.0, abs=1e-12)


def test_a_side_with_fewer_than_two_far_points_uses_every_usable_point_on_it():
    x = [0.5, 1.5, 2, 2.5, 2.8, 3.2]  # best at 2: one far point left, none usable right
    y = [-3, -6.5, -7, -6, -5, -1]
    relative = [0.1, 0.1, 0.1, 0.1, 0.1, 0.5]  # 3.2 is saturated
    sweep = fitted([10.0**k for k in x], [10.0**v for v in y], relative)
    assert sweep.best_epsilon[KEY] == 100.0
    assert sweep.rounding_slopes[KEY] == pytest.approx(slope_through(x, y, [0, 1]), abs=1e-12)
    assert sweep.slopes[KEY] == pytest.approx(slope_through(x, y, [3, 4]), abs=1e-12)


def test_two_far_points_are_enough_and_one_point_gives_no_slope():
    x = [1, 2, 2.7, 3, 3.5, 4]  # best at 3.5: nothing usable right of it; left far: 1 and 2
    y = [-4, -5, -7, -6, -9, -3]
    sweep = fitted([10.0**k for k in x], [10.0**v for v in y], [0.1, 0.1, 0.1, 0.1, 0.1, 0.9])
    assert sweep.best_epsilon[KEY] == pytest.approx(10**3.5)
    assert sweep.rounding_slopes[KEY] == pytest.approx(-1.0, abs=1e-12)
    assert math.isnan(sweep.slopes[KEY])
    assert sweep.lines() == ["w, float64 centered: slope n/a where truncation dominates, -1.00 where "
                             "rounding dominates; best ε 3e+03 (error 1.0e-09)"]


class Exponential:
    """J = Σ e^(w·x) + y with data x and an offset y: dJ/dw = x·e^(w·x) exactly; the centered
    difference is x·e^(wx)·sinh(xε)/(xε), so its error is |dJ/dw|·(sinh(xε)/(xε) − 1) in closed form."""

    def __init__(self, w, dtype="float64"):
        self.params = {"w": np.asarray(w, dtype=dtype)}

    def loss(self, X, y):
        w = self.params["w"]
        J = float(np.sum(np.exp(w * X)) + y)
        return J, {"w": X * np.exp(w * X)}


def centered_error(a, x, eps):
    return abs(a) * (np.sinh(x * eps) / (x * eps) - 1)


def test_a_protocol_model_sweeps_its_own_loss_with_its_own_data():
    model, X = Exponential([[0.3, -2.0], [1.0, 0.5]]), np.array([[2.0, 1.0], [1.0, -1.0]])
    eps = [1e-3, 1e-2, 1e-1, 1.0, 2.0]
    sweep = epsilon_sweep(model, X, 0.0, block="w", index=(0, 1), epsilons=eps, methods="centered",
                          dtypes=("float64",))
    a = 1.0 * math.exp(-2.0)
    got_eps, errors = sweep.curves[KEY]
    assert got_eps.dtype == np.float64
    np.testing.assert_allclose(errors[2:], centered_error(a, 1.0, np.array(eps[2:])), rtol=1e-8)
    # sinh(ε)/ε − 1 ≥ 1/2 past ε ≈ 1.6: the last point is saturated and left out of the slope
    assert sweep.slopes[KEY] == pytest.approx(np.polyfit(np.log10(eps[1:4]), np.log10(errors[1:4]), 1)[0])
    assert sweep.to_dict() == {
        "block": "w", "index": [0, 1], "components": [1],
        "curves": [{"dtype": "float64", "method": "centered", "epsilons": eps, "errors": errors.tolist(),
                    "slope": sweep.slopes[KEY], "rounding_slope": sweep.rounding_slopes[KEY],
                    "best_epsilon": sweep.best_epsilon[KEY], "best_error": sweep.best_error[KEY]}],
        "notes": [],
    }


@pytest.mark.parametrize("x", [0.0, 1.0])
def test_a_zero_gradient_has_nothing_to_fit_and_a_unit_gradient_is_ordinary(x):
    """At w = 0 the gradient x·e^0 is exactly 0 (x = 0: no relative error, no usable point) or
    exactly 1 (x = 1: the centered slope 2)."""
    sweep = epsilon_sweep(Exponential([[0.0]]), np.array([[x]]), 0.0, block="w", index=0,
                          epsilons=[1e-3, 1e-2, 1e-1], methods=("centered",), dtypes=("float64",))
    if x == 0:
        assert math.isnan(sweep.slopes[KEY])
    else:
        assert sweep.slopes[KEY] == pytest.approx(2.0, abs=0.01)


def test_a_custom_model_in_float64_notes_the_dtypes_it_skips():
    sweep = epsilon_sweep(Exponential([[0.1]]), np.ones((1, 1)), 0.0, block="w", index=0,
                          dtypes=("float32", "float64", "float16"), epsilons=[1e-3, 1e-2, 1e-1])
    assert sweep.notes == ["float32, float16 needs the built-in Network: a custom model is swept in its "
                           "own dtype (float64) only"]


def test_a_block_sweep_samples_32_seeded_components_of_a_big_block():
    model = Exponential(np.linspace(-1, 1, 100).reshape(10, 10))
    sweep = epsilon_sweep(model, np.ones((10, 10)), 0.0, block="w", epsilons=[1e-3, 1e-2, 1e-1],
                          methods=("forward",), dtypes=("float64",))
    expected = np.sort(np.random.default_rng(0).choice(100, 32, replace=False))
    np.testing.assert_array_equal(sweep.components, expected)
    assert len(set(sweep.components.tolist())) == 32
    assert sweep.block == "w"
    assert sweep.target == "w"


@pytest.mark.parametrize(("options", "message"), [
    ({"epsilons": ["a", "b", "c"]}, "epsilons must be numbers"),
    ({"epsilons": [1e-3, 1e-2]}, "epsilons must hold at least 3 distinct finite numbers > 0; "
                                 "got [0.001, 0.01]"),
    ({"epsilons": [0.0, 1e-3, 1e-2]}, "epsilons must hold at least 3 distinct finite numbers > 0; "
                                      "got [0.0, 0.001, 0.01]"),
    ({"methods": 5}, "methods must be chosen among centered, forward, richardson; got 5"),
])
def test_sweep_arguments_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=exactly(message)):
        epsilon_sweep(Exponential([[0.1]]), np.ones((1, 1)), 0.0, block="w", **options)


@pytest.mark.parametrize("model", [object(), type("NoLoss", (), {"params": {"w": np.zeros(2)}})()])
def test_a_model_without_the_protocol_is_refused(model):
    with pytest.raises(ValueError, match=exactly("a model needs .params (a dict of arrays) and "
                                                 ".loss(X, y) -> (J, grads)")):
        epsilon_sweep(model, None, None, block="v")  # refused before the block is looked up


def by_hand(net, X, y, name, index, eps):
    """|a − (J(θ+ε) − J(θ−ε)) / 2ε| in float64 without dropout, from Network.evaluate alone."""
    params = {k: v.astype(np.float64) for k, v in net.params.items()}
    plain = Network(replace(net.spec, dtype="float64"), params=params)
    a = plain.evaluate(X, y, masks=None).grads[name][index]
    out = []
    for e in eps:
        moved = {k: v.copy() for k, v in params.items()}
        moved[name][index] += e
        plus = plain.evaluate(X, y, params=moved, masks=None, backprop=False).J
        moved[name][index] -= 2 * e
        minus = plain.evaluate(X, y, params=moved, masks=None, backprop=False).J
        out.append(abs(a - (plus - minus) / (2 * e)))
    return np.array(out)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_network_is_swept_at_the_users_parameters_without_dropout_against_float64(dtype):
    spec = make_spec((3,), "tanh", keep_prob=0.5, dtype=dtype)
    net = Network(spec)
    rng = np.random.default_rng(7)
    net.set_params({k: rng.standard_normal(v.shape).astype(dtype) for k, v in net.params.items()})
    X, y = make_data(spec, 5, np.random.default_rng(3))
    eps = [1e-3, 1e-2, 1e-1]
    sweep = epsilon_sweep(net, X, y, block="W1", index=(1, 0), epsilons=eps, dtypes=("float64",),
                          methods=("centered",))
    np.testing.assert_allclose(sweep.curves[KEY][1][1:], by_hand(net, X, y, "W1", (1, 0), eps)[1:], rtol=1e-7)
