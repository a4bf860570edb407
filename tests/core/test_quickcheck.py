"""The directional quick check: a correct net passes in a handful of evaluations, planted bugs are
flagged in their block, and bisection finds the corrupted components."""

import numpy as np
import pytest
from helpers import make_data, make_spec, snapshot

from gradviz.core import Network, gradient_check, quick_check

M = 4


class Corrupted:
    """A model (plain protocol) whose backprop is the Network's with ``corrupt`` applied."""

    def __init__(self, net: Network, corrupt) -> None:
        self.net, self.params, self.corrupt = net, net.params, corrupt

    def loss(self, X, y):
        J, grads = self.net.loss(X, y)
        self.corrupt(grads)
        return J, grads


@pytest.fixture
def setup(rng):
    spec = make_spec((6, 5), "tanh", "softmax_ce", seed=1, l2=0.2, input_dim=7)
    return Network(spec), *make_data(spec, M, rng)


def test_a_correct_net_passes_in_a_handful_of_evaluations(setup):
    net, X, y = setup
    report = quick_check(net, X, y, directions=2)
    assert report.passed
    assert report.failing_blocks() == []
    assert all(max(b.errors) < 1e-6 for b in report.blocks.values())
    # one base evaluation, then two per direction per block
    assert report.evaluations == 1 + 2 * 2 * len(net.params)
    assert "passed" in report.summary()[0]


@pytest.mark.parametrize(("activation", "dropout"), [("relu", "frozen"), ("sigmoid", "off")])
def test_correct_nets_with_kinks_or_dropout_pass(rng, activation, dropout):
    spec = make_spec((6, 5), activation, "svm", seed=2, keep_prob=0.8, l2=0.1)
    X, y = make_data(spec, M, rng)
    assert quick_check(Network(spec), X, y, dropout=dropout).passed


@pytest.mark.parametrize(
    ("kind", "layer", "blocks"),
    [("db_x4", 1, ["b1"]), ("dW_x2", 2, ["W2"]), ("dW_no_reg", 1, ["W1"]),
     ("act_deriv", 1, ["W1", "b1"]), ("act_deriv", 2, ["W1", "b1", "W2", "b2"])],
)
def test_planted_bugs_are_flagged_in_their_block(setup, kind, layer, blocks):
    net, X, y = setup
    net.inject_bug(kind, layer)
    report = quick_check(net, X, y, max_evaluations=60)
    assert report.failing_blocks() == blocks
    assert not report.passed


def test_a_bug_confined_to_one_row_is_localized(setup):
    net, X, y = setup
    W2 = net.params["W2"]

    def corrupt(grads):
        grads["W2"][3, :] += 0.05

    report = quick_check(Corrupted(net, corrupt), X, y)
    assert report.failing_blocks() == ["W2"]
    block = report.blocks["W2"]
    assert block.complete
    np.testing.assert_array_equal(block.located, np.ravel_multi_index((np.full(6, 3), np.arange(6)),
                                                                      W2.shape))
    assert block.positions()[0] == (3, 0)
    # fewer evaluations than checking each of the block's components
    assert block.evaluations < 2 * W2.size


def test_a_single_wrong_component_is_found(setup):
    net, X, y = setup

    def corrupt(grads):
        grads["W1"][2, 4] *= 1.5

    report = quick_check(Corrupted(net, corrupt), X, y)
    assert report.failing_blocks() == ["W1"]
    assert report.blocks["W1"].positions() == [(2, 4)]
    assert any("(2, 4)" in line for line in report.summary())


def test_a_spread_bug_runs_out_of_budget_and_says_so(setup):
    net, X, y = setup
    net.inject_bug("dW_x2", 1)
    report = quick_check(net, X, y, max_evaluations=30)
    block = report.blocks["W1"]
    assert block.failing
    assert not block.complete
    assert block.unresolved
    assert block.evaluations <= 2 * 2 + 30 + 2
    assert any("spread" in line for line in report.summary())


def test_a_small_localized_error_can_pass_the_quick_check_but_not_the_heatmap(rng):
    """pytorch#57166: a directional check can miss an error in one component of a big block."""
    class OneWrong(Network):
        def _backprop(self, *args):
            grads = super()._backprop(*args)
            grads["W1"][7, 11] += 1e-4 * np.abs(grads["W1"]).max()
            return grads

    spec = make_spec((80,), "tanh", "softmax_ce", seed=3, input_dim=60)
    net = OneWrong(spec)
    X, y = make_data(spec, M, rng)
    quick = quick_check(net, X, y)
    assert quick.passed
    assert any("full check" in w for w in quick.warnings)
    full = gradient_check(net, X, y).blocks["W1"]
    worst = np.unravel_index(np.nanargmax(full.abs_error), full.abs_error.shape)
    assert worst == (7, 11)
    assert full.abs_error[7, 11] > 1e3 * np.sort(full.abs_error.ravel())[-2]


def test_params_are_restored_and_settings_recorded(setup):
    net, X, y = setup
    before = snapshot(net.params)
    report = quick_check(net, X, y, directions=3, seed=5)
    assert snapshot(net.params) == before
    assert report.settings["directions"] == 3
    assert report.settings["epsilon"] == pytest.approx(1e-5)
    assert report.to_dict()["blocks"]["W1"]["failing"] is False


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"directions": 0}, "directions"), ({"dropout": "resample"}, "dropout"),
     ({"epsilon": -1.0}, "epsilon"), ({"tolerance": 0.0}, "tolerance"),
     ({"max_evaluations": -1}, "max_evaluations")],
)
def test_bad_settings_raise_naming_the_field(setup, kwargs, field):
    net, X, y = setup
    with pytest.raises(ValueError, match=field):
        quick_check(net, X, y, **kwargs)
