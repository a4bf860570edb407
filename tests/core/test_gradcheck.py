"""gradient_check on the built-in Network: methods, dtypes, dropout modes, terms, blocks and
samples, loss_scale, progress and cancel, bug localization, kinks, and input validation.

Every test runs twice: with the reference loop and with engine "auto" (the fast engine where it
applies), since both must keep the same contract.
"""

import functools
import json
import math
import sys

import numpy as np
import pytest
from helpers import drain, make_data, make_spec, snapshot

import gradviz.core
from gradviz.core import (
    BUG_KINDS,
    LayerSpec,
    Network,
    NetworkSpec,
    gradient_check,
    iter_gradient_check,
    numeric_derivative,
    validate_data,
)

M = 5


@pytest.fixture(autouse=True, params=["reference", "auto"])
def engine(request, monkeypatch):
    """Bind this module's gradient_check and iter_gradient_check to one engine."""
    module = sys.modules[__name__]
    for name in ("gradient_check", "iter_gradient_check"):
        bound = functools.partial(getattr(gradviz.core, name), engine=request.param)
        monkeypatch.setattr(module, name, bound)
    return request.param


def smooth_net(**kwargs) -> Network:
    return Network(make_spec((4, 4), "tanh", "softmax_ce", seed=1, **kwargs))


@pytest.fixture
def data(rng):
    return make_data(make_spec(), M, rng)



def test_the_engine_is_the_one_asked_for(data, engine):
    report = gradient_check(smooth_net(), *data)
    assert report.engine == ("reference" if engine == "reference" else "fast")


# -- numeric_derivative: the lecture's θ³ example -------------------------------------------------
def test_numeric_derivative_cube_centered_and_forward():
    def f(t):
        return t**3

    centered = numeric_derivative(f, 1.0, 0.01, "centered")
    forward = numeric_derivative(f, 1.0, 0.01, "forward")
    assert centered == pytest.approx(3.0001, abs=1e-12)
    assert forward == pytest.approx(3.0301, abs=1e-12)
    assert abs(centered - 3) == pytest.approx(1e-4, rel=1e-6)
    assert abs(forward - 3) == pytest.approx(0.0301, rel=1e-6)


def test_numeric_derivative_complex_and_richardson():
    def f(t):
        return t**3

    assert numeric_derivative(f, 1.0, 1e-20, "complex") == 3.0
    # Richardson cancels the h² term: exact for a cubic up to rounding
    assert numeric_derivative(f, 1.0, 0.01, "richardson") == pytest.approx(3.0, abs=1e-10)
    assert numeric_derivative(np.sin, 0.5, 1e-3, "richardson") == pytest.approx(np.cos(0.5), abs=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1e-7, math.nan, math.inf, True, "1e-7"])
def test_numeric_derivative_rejects_bad_epsilon(bad):
    with pytest.raises(ValueError, match="epsilon"):
        numeric_derivative(np.sin, 0.0, bad)


# -- methods ------------------------------------------------------------------------------------
def test_centered_passes_great(data):
    report = gradient_check(smooth_net(), *data)
    assert report.difference < 1e-7
    assert report.status == "great"
    assert report.passed
    assert report.failing_blocks() == []
    assert report.warnings == []
    assert report.n_checked == smooth_net().spec.n_params


def test_forward_passes_with_a_looser_bound_and_is_less_accurate(data):
    net = smooth_net()
    assert gradient_check(net, *data, method="forward").difference < 1e-5
    forward = gradient_check(net, *data, method="forward", epsilon=1e-3)
    centered = gradient_check(net, *data, method="centered", epsilon=1e-3)
    # O(ε) against O(ε²)
    assert forward.difference > 30 * centered.difference
    assert any("one-sided" in w for w in forward.warnings)


def test_complex_step_is_exact_to_rounding_on_a_smooth_net(data):
    report = gradient_check(smooth_net(l2=0.3), *data, method="complex", epsilon=1e-20)
    assert report.difference <= 1e-12
    for block in report.blocks.values():
        assert np.nanmax(block.rel_error) <= 1e-12


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid"])
@pytest.mark.parametrize("loss", ["svm", "bce", "mse"])
def test_complex_step_runs_through_every_op(rng, activation, loss):
    spec = make_spec((4, 3), activation, loss, seed=2, keep_prob=0.7, l2=0.1)
    X, y = make_data(spec, M, rng)
    report = gradient_check(Network(spec), X, y, method="complex", epsilon=1e-20, dropout="frozen")
    assert report.difference <= 1e-12


def test_richardson_passes(data):
    report = gradient_check(smooth_net(), *data, method="richardson", epsilon=1e-3)
    assert report.difference < 1e-9
    assert report.status == "great"


# -- dtypes -------------------------------------------------------------------------------------
def test_float32_with_tiny_epsilon_fails_and_says_why(data):
    report = gradient_check(smooth_net(dtype="float32"), *data, epsilon=1e-7)
    assert not report.passed
    assert report.settings["dtype"] == "float32"
    assert any("below the float32 spacing" in w for w in report.warnings)


@pytest.mark.parametrize("epsilon", [1e-3, 1e-2])
def test_float32_with_a_suitable_epsilon_passes_at_worry_or_better(data, epsilon):
    report = gradient_check(smooth_net(dtype="float32"), *data, epsilon=epsilon)
    assert report.status in ("great", "ok", "worry")
    assert report.difference <= 1e-3
    assert not any("spacing" in w for w in report.warnings)
    assert any("float64" in w for w in report.warnings)


def test_float16_with_default_epsilon_fails_and_says_why(data):
    report = gradient_check(smooth_net(dtype="float16"), *data)
    assert report.status == "wrong"
    assert any("below the float16 spacing" in w for w in report.warnings)


def test_float64_settings_are_recorded(data):
    report = gradient_check(smooth_net(), *data, epsilon=1e-6, seed=3)
    assert report.settings["dtype"] == "float64"
    assert report.settings["epsilon"] == 1e-6
    assert report.settings["method"] == "centered"
    assert report.settings["seed"] == 3


# -- dropout ------------------------------------------------------------------------------------
def test_dropout_modes(data):
    net = smooth_net(keep_prob=0.6)
    resample = gradient_check(net, *data, dropout="resample")
    frozen = gradient_check(net, *data, dropout="frozen")
    off = gradient_check(net, *data, dropout="off")
    assert resample.status == "wrong"
    assert any("drawn anew" in w for w in resample.warnings)
    assert frozen.status == "great"
    assert off.status == "great"
    assert any("dropout is off" in w for w in off.warnings)
    # frozen really applies dropout: its gradient differs from the one without
    assert not np.allclose(frozen.blocks["W1"].analytic, off.blocks["W1"].analytic)


def test_dropout_off_matches_a_net_without_dropout(data):
    with_dropout = gradient_check(smooth_net(keep_prob=0.6), *data, dropout="off")
    without = gradient_check(smooth_net(), *data)
    for name, block in without.blocks.items():
        np.testing.assert_array_equal(with_dropout.blocks[name].analytic, block.analytic)


# -- terms --------------------------------------------------------------------------------------
def test_terms_reg_alone_is_l2_over_m_times_W(data):
    net = smooth_net(l2=0.9)
    report = gradient_check(net, *data, terms="reg")
    assert report.passed
    for l in (1, 2, 3):
        np.testing.assert_allclose(report.blocks[f"W{l}"].numeric, 0.9 / M * net.params[f"W{l}"],
                                   rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(report.blocks[f"b{l}"].numeric, 0.0, atol=1e-8)
        np.testing.assert_array_equal(report.blocks[f"b{l}"].analytic, 0.0)


def test_terms_data_excludes_regularization(data):
    net = smooth_net(l2=0.9)
    report = gradient_check(net, *data, terms="data")
    plain = gradient_check(Network(make_spec((4, 4), "tanh", "softmax_ce", seed=1), net.params),
                           *data)
    assert report.passed
    for name, block in plain.blocks.items():
        np.testing.assert_allclose(report.blocks[name].numeric, block.numeric, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(report.blocks[name].analytic, block.analytic, rtol=1e-12)


def test_terms_all_is_data_plus_reg(data):
    net = smooth_net(l2=0.9)
    parts = [gradient_check(net, *data, terms=t) for t in ("all", "data", "reg")]
    for name in net.params:
        total, d, r = (p.blocks[name].analytic for p in parts)
        np.testing.assert_allclose(total, d + r, rtol=1e-12, atol=1e-15)


def test_heavy_regularization_warns(data):
    report = gradient_check(smooth_net(l2=500.0), *data)
    assert any("outweighs the data loss" in w for w in report.warnings)


def test_l1_with_centered_differences_passes(data):
    report = gradient_check(smooth_net(l1=0.5), *data)
    assert report.status == "great"


# -- blocks and sampling ------------------------------------------------------------------------
def test_blocks_restricts_the_check(data):
    report = gradient_check(smooth_net(), *data, blocks=["W2", "b3"])
    assert list(report.blocks) == ["W2", "b3"]
    assert report.n_checked == 16 + 3
    assert list(gradient_check(smooth_net(), *data, blocks="b1").blocks) == ["b1"]


def test_sample_checks_a_seeded_subset(data):
    net = smooth_net()
    report = gradient_check(net, *data, sample=3, seed=4)
    grads = net.evaluate(*validate_data(net.spec, *data)).grads
    for name, block in report.blocks.items():
        assert block.n_checked == min(3, block.numeric.size)
        assert np.all(np.isnan(block.numeric[~block.checked]))
        assert np.all(np.isnan(block.rel_error[~block.checked]))
        assert not block.kink[~block.checked].any()
        np.testing.assert_array_equal(block.analytic, grads[name])
    again = gradient_check(net, *data, sample=3, seed=4)
    other = gradient_check(net, *data, sample=3, seed=5)
    for name in report.blocks:
        np.testing.assert_array_equal(report.blocks[name].numeric, again.blocks[name].numeric)
    assert not np.array_equal(report.blocks["W1"].checked, other.blocks["W1"].checked)
    assert any("sampled" in w for w in report.warnings)


# -- loss_scale ---------------------------------------------------------------------------------
def test_loss_scale_scales_both_gradients_and_the_loss(data):
    net = smooth_net()
    plain = gradient_check(net, *data)
    scaled = gradient_check(net, *data, loss_scale=1000.0)
    assert scaled.loss == pytest.approx(1000.0 * plain.loss, rel=1e-12)
    assert scaled.status == "great"
    for name, block in plain.blocks.items():
        np.testing.assert_allclose(scaled.blocks[name].analytic, 1000.0 * block.analytic, rtol=1e-12)
        np.testing.assert_allclose(scaled.blocks[name].numeric, 1000.0 * block.numeric, rtol=1e-5,
                                   atol=1e-7)


def test_tiny_gradients_warn_toward_loss_scale(data):
    report = gradient_check(smooth_net(), *data, loss_scale=1e-14)
    assert any("loss_scale" in w for w in report.warnings)


# -- the generator: progress and cancel ---------------------------------------------------------
def test_progress_reaches_total_and_fills_the_report(data):
    net = smooth_net()
    progress, report = drain(iter_gradient_check(net, *data))
    total = net.spec.n_params
    assert progress
    assert all(p.total == total for p in progress)
    dones = [p.done for p in progress]
    assert dones == sorted(dones)
    assert dones[-1] == total
    seen = {name: [] for name in net.params}
    for p in progress:
        assert len(p.flat) == len(p.numeric) == len(p.kink)
        np.testing.assert_array_equal(p.numeric, report.blocks[p.block].numeric.flat[p.flat])
        np.testing.assert_array_equal(p.kink, report.blocks[p.block].kink.flat[p.flat])
        seen[p.block].extend(int(i) for i in p.flat)
    for name, value in net.params.items():
        assert sorted(seen[name]) == list(range(value.size))
    assert sum(len(p.flat) for p in progress) == total


def test_progress_with_sample_counts_only_sampled_components(data):
    progress, report = drain(iter_gradient_check(smooth_net(), *data, sample=2))
    assert progress[-1].done == progress[-1].total == report.n_checked == 2 * 6


def test_generator_matches_gradient_check(data):
    net = smooth_net()
    _, report = drain(iter_gradient_check(net, *data))
    direct = gradient_check(net, *data)
    for name, block in direct.blocks.items():
        np.testing.assert_array_equal(report.blocks[name].numeric, block.numeric)


def test_cancel_leaves_params_unchanged(data):
    net = smooth_net(keep_prob=0.7)
    before = snapshot(net.params)
    run = iter_gradient_check(net, *data, dropout="frozen")
    first = next(run)
    assert 0 < first.done <= first.total
    run.close()
    assert snapshot(net.params) == before


# -- bugs are localized -------------------------------------------------------------------------
def upto(layer: int) -> list[str]:
    return [f"{p}{l}" for l in range(1, layer + 1) for p in "Wb"]


ALL = upto(3)
BUG_CASES = [
    ("dW_x2", 1, ["W1"]),
    ("dW_x2", 2, ["W2"]),
    ("dW_x2", 3, ["W3"]),
    ("db_x4", 1, ["b1"]),
    ("db_x4", 3, ["b3"]),
    ("dW_no_reg", 1, ["W1"]),
    ("dW_no_reg", 3, ["W3"]),
    ("act_deriv", 1, upto(1)),
    ("act_deriv", 2, upto(2)),  # dZ2 is wrong, and everything below it inherits it
    ("act_deriv", 3, upto(3)),
    ("dropout_mask_missing", 1, upto(1)),
    ("dropout_mask_missing", 2, upto(2)),
    ("dropout_scale_missing", 1, upto(1)),
    ("dropout_scale_missing", 2, upto(2)),
    ("db_wrong_axis", 1, ["b1"]),
    ("db_wrong_axis", 2, ["b2"]),
    ("db_wrong_axis", 3, ["b3"]),
    ("dscores_sign", 1, ALL),
    ("dW_transposed", 2, ["W2"]),
]


def test_every_bug_kind_has_a_case():
    assert {kind for kind, _, _ in BUG_CASES} == set(BUG_KINDS)


@pytest.mark.parametrize(("kind", "layer", "blocks"), BUG_CASES)
def test_bug_is_localized(data, kind, layer, blocks):
    # keep_prob < 1 with a frozen mask shows the dropout bugs; l2 > 0 shows dW_no_reg
    net = smooth_net(keep_prob=0.7, l2=0.2)
    net.inject_bug(kind, layer)
    report = gradient_check(net, *data, dropout="frozen")
    assert report.failing_blocks() == blocks
    assert report.status == "wrong"
    assert report.n_kinks == 0


def test_fixed_net_passes_after_clear_bug(data):
    net = smooth_net(keep_prob=0.7, l2=0.2)
    net.inject_bug("act_deriv", 2)
    net.clear_bug()
    assert gradient_check(net, *data, dropout="frozen").status == "great"


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "leaky_relu"])
def test_act_deriv_is_found_for_other_activations(rng, activation):
    spec = make_spec((4, 4), activation, "mse", seed=2)
    X, y = make_data(spec, M, rng)
    net = Network(spec)
    net.inject_bug("act_deriv", 1)
    assert gradient_check(net, X, y).failing_blocks() == ["W1", "b1"]


# -- kinks --------------------------------------------------------------------------------------
KINK_X = np.array([[1.0, -0.5], [0.8, 1.2]])
KINK_Y = np.array([0, 1])


def relu_net_with_a_kink() -> Network:
    """Z1[0, 0] = 3e-8: a step of ±1e-7 on b1[0] (or on W1[0, j] with |x_j| > 0.3) switches it."""
    net = Network(NetworkSpec(2, [LayerSpec(3, "relu"), LayerSpec(2, "linear")], seed=3))
    params = {k: v.copy() for k, v in net.params.items()}
    params["b1"] = np.full((3, 1), 0.5)
    params["b1"][0, 0] = 3e-8 - params["W1"][0] @ KINK_X[:, 0]
    net.set_params(params)
    Z1 = params["W1"] @ KINK_X + params["b1"]
    assert abs(Z1[0, 0]) < 1e-7
    assert np.abs(Z1.ravel()[1:]).min() > 0.01
    return net


def test_relu_kink_is_flagged_and_ignored_by_failing_blocks():
    report = gradient_check(relu_net_with_a_kink(), KINK_X, KINK_Y)
    b1, W1 = report.blocks["b1"], report.blocks["W1"]
    np.testing.assert_array_equal(b1.kink.ravel(), [True, False, False])
    np.testing.assert_array_equal(W1.kink, [[True, True], [False, False], [False, False]])
    assert not report.blocks["W2"].kink.any()
    assert not report.blocks["b2"].kink.any()
    # the kink components disagree (numeric is a blend of the two sides) ...
    assert b1.rel_error[0, 0] > 0.1
    assert b1.difference > 1e-3
    # ... but nothing else does, so no block fails
    assert b1.difference_without_kinks < 1e-7
    assert report.failing_blocks() == []
    assert report.n_kinks == 3
    assert any("kink" in w for w in report.warnings)


def test_svm_hinge_kink_is_flagged():
    net = Network(NetworkSpec(2, [LayerSpec(3, "linear")], loss="svm", seed=3))
    params = {k: v.copy() for k, v in net.params.items()}
    s = params["W1"] @ KINK_X
    # margin of class 1 for example 0 (true class 0): s1 − s0 + 1 + b1 − b0 = 3e-8
    params["b1"][1, 0] = 3e-8 - (s[1, 0] - s[0, 0] + 1)
    net.set_params(params)
    report = gradient_check(net, KINK_X, KINK_Y)
    b = report.blocks["b1"]
    assert b.kink[0, 0]
    assert b.kink[1, 0]
    assert not b.kink[2, 0]
    assert b.difference > 1e-3
    assert report.failing_blocks() == []
    assert any("kink" in w for w in report.warnings)


def test_l1_kink_at_a_weight_near_zero(data):
    net = smooth_net(l1=2.0)
    params = {k: v.copy() for k, v in net.params.items()}
    params["W2"][1, 2] = 3e-8  # |w| switches slope between w − ε and w + ε
    net.set_params(params)
    report = gradient_check(net, *data)
    assert np.argwhere(report.blocks["W2"].kink).tolist() == [[1, 2]]
    assert report.blocks["W2"].difference > 1e-3  # the numeric slope of |w| there is a blend
    assert report.n_kinks == 1
    assert report.failing_blocks() == []
    assert gradient_check(net, *data, terms="data").n_kinks == 0


def test_no_kinks_away_from_them(data):
    # biases of 0.1: with zero biases, a unit fed only by dead ReLUs sits exactly on its kink
    net = Network(make_spec((4, 4), "relu", "svm", seed=1))
    net.set_params({k: v + 0.1 if k.startswith("b") else v for k, v in net.params.items()})
    report = gradient_check(net, *data)
    assert report.n_kinks == 0
    assert not any("kink" in w for w in report.warnings)


def test_a_real_bug_still_fails_next_to_a_kink():
    net = relu_net_with_a_kink()
    net.inject_bug("db_x4", 1)
    assert gradient_check(net, KINK_X, KINK_Y).failing_blocks() == ["b1"]


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": -1e-7}, "epsilon"),
        ({"epsilon": math.nan}, "epsilon"),
        ({"epsilon": math.inf}, "epsilon"),
        ({"epsilon": "1e-7"}, "epsilon"),
        ({"method": "central"}, "method"),
        ({"dropout": "on"}, "dropout"),
        ({"terms": "loss"}, "terms"),
        ({"engine": "gpu"}, "engine"),
        ({"blocks": ["W9"]}, "blocks"),
        ({"blocks": []}, "blocks"),
        ({"sample": 0}, "sample"),
        ({"sample": 2.5}, "sample"),
        ({"loss_scale": 0.0}, "loss_scale"),
        ({"loss_scale": math.nan}, "loss_scale"),
    ],
)
def test_bad_settings_raise_naming_the_field(data, kwargs, field):
    net = smooth_net()
    before = snapshot(net.params)
    with pytest.raises(ValueError, match=field):
        gradient_check(net, *data, **kwargs)
    assert snapshot(net.params) == before


def test_bad_data_raises(rng):
    net = smooth_net()
    X, y = make_data(net.spec, M, rng)
    with pytest.raises(ValueError, match="X must have shape"):
        gradient_check(net, X.T, y)
    with pytest.raises(ValueError, match="labels"):
        gradient_check(net, X, y[:-1])
    with pytest.raises(ValueError, match="labels"):
        gradient_check(net, X, np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="labels"):
        gradient_check(net, X, np.array([0, 1, -1, 0, 0]))
    with pytest.raises(ValueError, match="labels"):
        gradient_check(net, X, np.array([0, 1, 0.5, 0, 0]))
    bad_X = X.copy()
    bad_X[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or Inf"):
        gradient_check(net, bad_X, y)
    bad_X[1, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or Inf"):
        gradient_check(net, bad_X, y)
    with pytest.raises(ValueError, match="NaN or Inf"):
        gradient_check(net, X, np.array([0, 1, np.nan, 0, 0]))


def test_bad_targets_for_bce_and_mse(rng):
    bce = Network(make_spec((3,), "tanh", "bce"))
    X = rng.standard_normal((3, 4))
    with pytest.raises(ValueError, match="0 or 1"):
        gradient_check(bce, X, np.array([[0, 1, 2, 1]]))
    with pytest.raises(ValueError, match="shape"):
        gradient_check(bce, X, np.array([[0, 1, 1]]))
    mse = Network(make_spec((3,), "tanh", "mse"))
    with pytest.raises(ValueError, match="shape"):
        gradient_check(mse, X, rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match="NaN or Inf"):
        gradient_check(mse, X, np.full((2, 4), np.inf))


def test_complex_is_rejected_with_l1(data):
    net = smooth_net(l1=0.1)
    with pytest.raises(ValueError, match="L1"):
        gradient_check(net, *data, method="complex")
    # the data term alone is analytic
    assert gradient_check(net, *data, method="complex", terms="data").status == "great"


def test_complex_is_rejected_for_float16(data):
    with pytest.raises(ValueError, match="float16"):
        gradient_check(smooth_net(dtype="float16"), *data, method="complex")


def test_numpy_scalars_as_options_and_fields_named_on_bad_ones():
    spec = NetworkSpec(2, [LayerSpec(3, "tanh"), LayerSpec(2, "linear")])
    net = Network(spec)
    X, y = np.random.default_rng(0).standard_normal((2, 4)), np.array([0, 1, 0, 1])
    report = gradient_check(net, X, y, epsilon=np.float32(1e-4), sample=np.int64(2), seed=np.int64(1))
    assert report.settings["epsilon"] == float(np.float32(1e-4))
    assert json.loads(report.to_json())["settings"]["sample"] == 2
    for bad, field in (({"blocks": 5}, "blocks"), ({"seed": -1}, "seed"), ({"threads": 0}, "threads")):
        with pytest.raises(ValueError, match=field):
            gradient_check(net, X, y, **bad)
