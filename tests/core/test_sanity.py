"""CS231n's sanity checks: ok on a correct network, not ok when their premise is broken."""

import math

import numpy as np
import pytest
from helpers import exactly

from gradviz.core import LayerSpec, Network, NetworkSpec, Trainer
from gradviz.core.data.datasets import make_dataset, targets
from gradviz.core.teach.sanity import (
    SanityResult,
    _variant,
    initial_loss_check,
    overfit_check,
    overfit_model_check,
    regularization_check,
    run_sanity_checks,
)

OUTPUT = {"softmax_ce": LayerSpec(3, "linear"), "svm": LayerSpec(3, "linear"),
          "bce": LayerSpec(1, "sigmoid"), "mse": LayerSpec(3, "linear")}


@pytest.fixture(scope="module")
def spiral():
    return make_dataset("spiral", 60)


def setup(loss, data, **kwargs):
    spec = NetworkSpec(2, [LayerSpec(24, "relu", keep_prob=0.8), OUTPUT[loss]], loss=loss, l2=0.5, **kwargs)
    labels = data.labels if loss != "bce" else (data.labels > 0).astype(int)
    return spec, data.X, targets(loss, labels, spec.layers[-1].units)


@pytest.mark.parametrize(("loss", "expected"), [
    ("softmax_ce", math.log(3)), ("svm", 2.0), ("bce", math.log(2)), ("mse", 0.5),  # one-hot: ½·1
])
def test_initial_loss_matches_chance(spiral, loss, expected):
    spec, X, y = setup(loss, spiral, init="small")
    result = initial_loss_check(spec, X, y)
    assert isinstance(result, SanityResult)
    assert result.ok, result.message
    assert result.expected == pytest.approx(expected)
    assert result.observed == pytest.approx(expected, rel=0.01)
    assert f"{expected:.4g}" in result.message


def test_initial_loss_for_mse_with_a_sigmoid_output_expects_one_half(rng):
    spec = NetworkSpec(2, [LayerSpec(5, "tanh"), LayerSpec(2, "sigmoid")], loss="mse")
    X, y = rng.standard_normal((2, 8)), rng.uniform(0, 1, (2, 8))
    result = initial_loss_check(spec, X, y)
    assert result.expected == pytest.approx(np.sum((y - 0.5) ** 2) / 16)
    assert result.ok


@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_initial_loss_is_not_ok_with_large_weights_or_large_inputs(spiral, scale):
    spec, X, y = setup("softmax_ce", spiral)
    result = initial_loss_check(spec, X * 10 * scale, y, init="he")
    assert not result.ok
    assert result.observed > 1.5 * math.log(3)
    assert "far from the expected 1.099" in result.message


def test_he_init_on_a_wide_layer_drifts_from_ln_c(spiral):
    """The network's own init is checked: He weights on a wide layer give scores far from 0."""
    spec = NetworkSpec(2, [LayerSpec(256, "relu"), LayerSpec(3, "linear")], init="he")
    labels = spiral.labels
    X = spiral.X / np.std(spiral.X)
    own = initial_loss_check(spec, X, labels)
    net = Network(spec)  # an independent forward pass: softmax cross-entropy of the scores
    scores = net.params["W2"] @ np.maximum(net.params["W1"] @ X, 0)
    shifted = scores - scores.max(axis=0)
    expected = np.mean(np.log(np.exp(shifted).sum(axis=0)) - shifted[labels, np.arange(labels.size)])
    assert own.observed == pytest.approx(expected)
    assert not own.ok
    assert "far from the expected 1.099" in own.message
    assert "init 'he'" in own.message
    assert initial_loss_check(spec, X, labels, init="small").ok
    tiny = {k: v * 1e-3 for k, v in net.params.items()}
    assert initial_loss_check(spec, X, labels, params=tiny).ok


def test_regularization_check(spiral):
    spec, X, y = setup("softmax_ce", spiral)
    result = regularization_check(spec, X, y)
    assert result.ok, result.message
    assert len(result.observed) == 4
    assert list(result.observed) == sorted(result.observed)
    assert result.observed[0] < result.observed[-1]
    # the term is λ/(2m)·Σ‖W‖² at the network's own init, shown apart from the data loss
    W = Network(spec).params
    squares = sum(float((W[k] ** 2).sum()) for k in W if k.startswith("W"))
    for row, l2 in zip(result.rows, (0.0, 0.1, 1.0, 10.0), strict=True):
        assert row.l2 == l2
        assert row.reg == pytest.approx(l2 / (2 * X.shape[1]) * squares)
        assert row.data == pytest.approx(result.rows[0].data)
        assert row.total == pytest.approx(row.data + row.reg)
    assert f"{result.rows[-1].reg:.3g}" in result.message
    assert f"data loss is {result.rows[0].data:.4g}" in result.message
    zeros, X, y = setup("softmax_ce", spiral, init="zeros")  # no weights: the l2 term stays 0
    flat = regularization_check(zeros, X, y)
    assert not flat.ok
    assert "does not rise" in flat.message
    with pytest.raises(ValueError, match="l2_values"):
        regularization_check(spec, X, y, l2_values=(1.0,))


@pytest.mark.parametrize("loss", ["softmax_ce", "svm", "bce", "mse"])
def test_overfit_check_succeeds_on_a_correct_net(spiral, loss):
    spec, X, y = setup(loss, spiral)
    result = overfit_check(spec, X, y, n=20)
    assert result.ok, result.message
    assert result.observed < 0.05
    assert "20 examples" in result.message
    assert result.curve[-1] == result.observed < 0.05 <= result.curve[:-1].min()


def test_overfit_check_fails_when_the_net_cannot_learn(spiral):
    spec, X, y = setup("softmax_ce", spiral, init="zeros")  # symmetric units: a 1-unit net in effect
    result = overfit_check(spec, X, y, n=20, iterations=200)
    assert not result.ok
    assert result.observed > 0.05
    assert "after 200 iterations" in result.message
    assert result.curve.shape == (200,)
    assert result.curve[-1] == result.observed


def test_run_sanity_checks_in_order(spiral):
    spec, X, y = setup("softmax_ce", spiral)
    results = run_sanity_checks(spec, X, y)
    assert [r.name for r in results] == ["initial loss", "regularization", "overfit a tiny subset"]
    assert all(r.ok for r in results)


# -- numbers and sentences pinned --------------------------------------------------------------
X12 = np.random.default_rng(0).standard_normal((2, 12))
Y12 = np.arange(12) % 3
HUGE = np.where(X12 > 0, 1e308, -1e308)  # overflows in the first layer


def small_spec(loss="softmax_ce", last=None, **kwargs):
    last = last or OUTPUT[loss]
    return NetworkSpec(2, [LayerSpec(6, "relu", init="he"), LayerSpec(7, "tanh"), last], loss=loss, **kwargs)


def test_a_new_init_replaces_the_layers_own_and_dropout_is_off():
    spec = NetworkSpec(2, [LayerSpec(6, "relu", keep_prob=0.5, init="he"), LayerSpec(3, "linear")])
    same = _variant(spec)
    assert [(layer.init, layer.keep_prob) for layer in same.layers] == [("he", 1.0), (None, 1.0)]
    small = _variant(spec, init="small", l2=2.0)
    assert [(layer.init, layer.keep_prob) for layer in small.layers] == [(None, 1.0), (None, 1.0)]
    assert (small.init, small.l2) == ("small", 2.0)


@pytest.mark.parametrize(("loss", "last", "expected", "what"), [
    ("softmax_ce", None, math.log(3), "ln 3"),
    ("svm", None, 2.0, "3 − 1"),
    ("bce", None, math.log(2), "ln 2"),
    ("mse", LayerSpec(3, "linear"), 0.5, "½‖y‖² on average"),
    ("mse", LayerSpec(3, "sigmoid"), (0.25 * 2 + 0.25) / 2, "½‖y − 0.5‖² on average"),
])
def test_zero_weights_give_exactly_the_chance_loss_named_in_the_sentence(loss, last, expected, what):
    """All weights zero: the output is g(0) for every example, so the loss is the expected one."""
    spec = small_spec(loss, last)
    labels = Y12 if loss != "bce" else Y12 % 2
    y = targets(loss, labels, spec.layers[-1].units)
    result = initial_loss_check(spec, X12, y, init="zeros")
    assert result.expected == pytest.approx(expected, rel=1e-15)
    assert result.observed == pytest.approx(expected, rel=1e-15)
    assert result.ok is True
    assert result.name == "initial loss"
    assert result.message == (f"The initial loss {expected:.4g} is close to the expected {expected:.4g} "
                              f"({what}) with init 'zeros'.")


def test_the_initial_loss_is_measured_without_regularization():
    heavy = initial_loss_check(small_spec(l2=1e6, l1=1e6), X12, Y12, init="small")
    assert heavy.ok
    plain = initial_loss_check(small_spec(), X12, Y12, init="small")
    assert heavy.observed == plain.observed
    assert initial_loss_check(small_spec(l2=1e6), X12, Y12).observed == initial_loss_check(
        small_spec(), X12, Y12).observed


def test_initial_loss_tolerance_is_ten_percent_of_the_expected_loss():
    result = initial_loss_check(small_spec("svm"), X12 * 0.7, Y12, init="he")
    assert 0.05 < abs(result.observed - 2.0) <= 0.2  # inside 10 % of 2, outside 0.1 / 2
    assert result.ok


def test_a_zero_expected_loss_gets_an_absolute_tolerance_of_a_thousandth():
    spec = small_spec("mse", LayerSpec(3, "linear"))
    zeros = np.zeros((3, 12))
    close = initial_loss_check(spec, X12, zeros, init="small")
    assert close.expected == 0.0
    assert 0 < close.observed < 1e-3
    assert close.ok
    far = initial_loss_check(spec, X12, zeros, init="he")
    assert 1e-3 < far.observed < 1.0
    assert far.ok is False
    assert far.message == (f"The initial loss {far.observed:.4g} is far from the expected 0 (½‖y‖² on "
                           "average) with init 'he': the scores are not near 0 at the start; check the loss, "
                           "the weight scale (init, gain) and the input scale.")


def test_a_bce_loss_a_few_hundredths_off_is_still_close():
    spec = small_spec("bce", l2=0.0)
    result = initial_loss_check(spec, X12 * 0.3, (Y12 % 2).reshape(1, -1).astype(float), init="he")
    assert 1e-3 < abs(result.observed - math.log(2)) < 0.0693
    assert result.ok


def test_an_overflowing_network_is_not_ok_and_says_so_without_warnings():
    spec = NetworkSpec(2, [LayerSpec(6, "relu"), LayerSpec(3, "linear")])
    initial = initial_loss_check(spec, HUGE, Y12, init="he")
    assert initial.ok is False
    assert math.isnan(initial.observed)
    regularization = regularization_check(spec, HUGE, Y12)
    assert regularization.ok is False
    assert regularization.message.startswith("J does not rise with λ: the data loss is nan at every λ and ")
    assert regularization.message.endswith("The regularization term is missing from J, or the weights "
                                           "are zero.")


def test_regularization_sentence_lists_each_l2_with_its_loss():
    spec = small_spec()
    result = regularization_check(spec, X12, Y12, l2_values=(1.0, 0.0))
    J0, J1 = result.observed
    weights = Network(spec).params
    term = sum(float(np.sum(weights[f"W{i}"] ** 2)) for i in (1, 2, 3)) / (2 * 12)
    assert (J1 - J0) / term == pytest.approx(1.0, rel=1e-12)
    assert [row.l2 for row in result.rows] == [0.0, 1.0]
    assert result.expected == "a loss that rises with λ"
    assert result.name == "regularization"
    assert result.message == (f"J rises with λ, as it should: the data loss is {J0:.4g} at every λ and "
                              f"λ/(2m)·Σ‖W‖² adds 0, {term:.3g} at λ = 0, 1.")


@pytest.mark.parametrize("values", [(1.0,), (0.5, 0.5), (-1.0, 0.0), (0.0, 1.0, 1.0)])
def test_l2_values_must_be_two_different_numbers_at_least_zero(values):
    message = f"l2_values must hold at least 2 different numbers >= 0; got {values!r}"
    with pytest.raises(ValueError, match=exactly(message)):
        regularization_check(small_spec(), X12, Y12, l2_values=values)


def by_hand(spec, X, y, idx, iterations, lr=0.01):
    """Adam on the chosen columns, no regularization, no dropout: the loss after each step."""
    plain = NetworkSpec.from_dict({**spec.to_dict(), "l2": 0.0, "l1": 0.0})
    trainer = Trainer(Network(plain), X[:, idx], y[idx], optimizer="adam", lr=lr)
    return [record.loss for record in trainer.steps(iterations)]


def test_overfitting_trains_adam_on_the_seeded_subset_without_regularization():
    spec = small_spec(l2=0.3, l1=0.2)
    X, y = np.tile(X12, 3), np.tile(Y12, 3)
    idx = np.sort(np.random.default_rng(4).choice(36, size=10, replace=False))
    result = overfit_check(spec, X, y, n=10, iterations=3, seed=4, threshold=1e-9)
    assert result.observed == by_hand(spec, X, y, idx, 3)[-1]
    whole = overfit_check(spec, X, y, n=36, iterations=3, threshold=1e-9)
    assert whole.observed == by_hand(spec, X, y, np.arange(36), 3)[-1]
    assert overfit_check(spec, X, y, n=10, iterations=3, threshold=1e-9).observed == \
        overfit_check(spec, X, y, n=10, iterations=3, seed=0, threshold=1e-9).observed


def test_a_loss_equal_to_the_threshold_has_not_fallen_below_it():
    spec = small_spec()
    third = by_hand(spec, X12, Y12, np.arange(12), 3)[-1]
    result = overfit_check(spec, X12, Y12, n=12, iterations=3, threshold=third)
    assert result.observed == third
    assert (result.ok, result.expected) == (False, third)
    assert result.name == "overfit a tiny subset"
    assert result.message == (f"The loss on 12 examples is still {third:.4g} after 3 iterations (it should "
                              f"fall below {third:g}): look for a bug before training on the full data.")
    passed = overfit_check(spec, X12, Y12, n=12, iterations=3, threshold=third * 1.0000001)
    assert (passed.ok, passed.expected) == (True, third * 1.0000001)
    assert passed.message == (f"The loss on 12 examples fell to {third:.4g} (below {third * 1.0000001:g}) "
                              "in 3 iterations: the network can overfit a tiny subset.")


def test_a_loss_equal_to_the_threshold_before_the_end_does_not_stop_training():
    spec = small_spec()
    first, second, third = by_hand(spec, X12, Y12, np.arange(12), 3)
    assert first > second > third
    result = overfit_check(spec, X12, Y12, n=12, iterations=3, threshold=second)
    assert (result.ok, result.observed) == (True, third)
    assert "in 3 iterations" in result.message


def test_by_default_twenty_examples_get_a_thousand_iterations():
    spec = NetworkSpec(2, [LayerSpec(3, "linear")])
    X, y = np.tile(X12, 3), np.tile(Y12, 3)
    result = overfit_check(spec, X, y, lr=1e-9)  # too small a step to learn anything
    assert "on 20 examples is still" in result.message
    assert "after 1000 iterations" in result.message


def test_training_that_stops_says_why():
    result = overfit_check(small_spec(), X12, Y12, lr=1e9)
    assert result.ok is False
    assert result.message.startswith("Training on 12 examples stopped: training diverged at iteration ")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": 0}, "n must be a whole number of examples >= 1; got 0"),
    ({"n": True}, "n must be a whole number of examples >= 1; got True"),
    ({"n": 1.5}, "n must be a whole number of examples >= 1; got 1.5"),
    ({"iterations": 0}, "iterations must be a whole number >= 1; got 0"),
    ({"iterations": True}, "iterations must be a whole number >= 1; got True"),
    ({"iterations": 2.5}, "iterations must be a whole number >= 1; got 2.5"),
])
def test_overfit_arguments_are_whole_numbers_of_at_least_one(kwargs, message):
    with pytest.raises(ValueError, match=exactly(message)):
        overfit_check(small_spec(), X12, Y12, **kwargs)
    assert overfit_check(small_spec(), X12, Y12, n=1, iterations=1).observed >= 0


class Bowl:
    """J = Σ w², whose minimum 0 Adam reaches; X and y are ignored."""

    def __init__(self, w):
        self.params = {"w": np.array(w, dtype=np.float64)}

    def loss(self, X, y):
        w = self.params["w"]
        return float(np.sum(w**2)), {"w": 2 * w}


def test_any_model_overfits_with_adam_and_gets_its_parameters_back():
    model = Bowl([0.3, -0.2])
    before = model.params["w"]
    result = overfit_model_check(model, None, None)
    w, losses = np.array([0.3, -0.2]), []
    m = v = np.zeros(2)
    for t in range(1, 1001):  # Adam, lr 0.01, written here
        losses.append(float(np.sum(w**2)))
        if losses[-1] < 0.05:
            break
        g = 2 * w
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        w = w - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    assert result.ok
    np.testing.assert_allclose(result.curve, losses, rtol=1e-12)
    assert result.message.endswith(f"in {len(losses)} iterations: the model can overfit a tiny subset.")
    assert model.params["w"] is before
    assert before.tolist() == [0.3, -0.2]


def test_a_model_whose_loss_cannot_fall_is_told_about_its_regularization():
    model = Bowl([0.3, -0.2])
    model.loss = lambda X, y: (float(np.sum(model.params["w"] ** 2)) + 1.0, {"w": 2 * model.params["w"]})
    result = overfit_model_check(model, None, None, iterations=5)
    assert not result.ok
    assert "after 5 iterations" in result.message
    assert "if your loss adds regularization, set it to 0 for this check" in result.message
