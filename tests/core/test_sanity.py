"""CS231n's sanity checks: ok on a correct network, not ok when their premise is broken."""

import math

import numpy as np
import pytest

from gradviz.core import LayerSpec, Network, NetworkSpec
from gradviz.core.data.datasets import make_dataset, targets
from gradviz.core.teach.sanity import (
    SanityResult,
    initial_loss_check,
    overfit_check,
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
