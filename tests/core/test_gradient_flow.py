"""‖dW[l]‖ per layer: vanishing with tiny weights, exploding with large ones (deep linear and
tanh nets), and a check report's norms and differences per layer."""

import numpy as np
import pytest

from gradviz.core import LayerSpec, Network, NetworkSpec, gradient_check
from gradviz.core.teach.gradient_flow import (
    activation_rms,
    gradient_norms,
    layer_norms,
    report_layers,
    weight_blocks,
)


def deep(gain: float, activation: str = "linear", depth: int = 10, init: str = "xavier") -> Network:
    layers = [LayerSpec(16, activation) for _ in range(depth - 1)] + [LayerSpec(3, "linear")]
    return Network(NetworkSpec(16, layers, init=init, init_gain=gain))


def test_weight_blocks_are_ordered_by_layer_not_by_name():
    assert weight_blocks(["b1", "W10", "W2", "W1", "Wx"]) == [(1, "W1"), (2, "W2"), (10, "W10")]


def test_layer_norms_are_frobenius_norms_in_layer_order(rng):
    grads = {"W2": rng.normal(size=(3, 4)), "b1": rng.normal(size=(4, 1)), "W1": rng.normal(size=(4, 2))}
    layers, norms = layer_norms(grads)
    assert list(layers) == [1, 2]
    assert norms == pytest.approx([np.sqrt((grads["W1"] ** 2).sum()), np.sqrt((grads["W2"] ** 2).sum())])


def test_deep_linear_nets_vanish_or_explode_exponentially(rng):
    X, y = rng.normal(size=(16, 32)), rng.integers(0, 3, 32)
    level = {}
    for gain in (0.5, 1.0, 2.0):
        net = deep(gain)
        layers, norms = gradient_norms(net, X, y)
        assert list(layers) == list(range(1, 11))
        # forward signal times backward signal: about the same size at every hidden layer
        assert norms[:-1].max() / norms[:-1].min() < 20
        level[gain] = np.median(norms)
        _, rms = activation_rms(net, X)
        ratio = rms[8] / rms[0]  # a[9] / a[1]: eight more multiplications by W
        assert ratio == pytest.approx(gain**8, rel=0.9)
    assert level[0.5] < level[1.0] / 50
    assert level[2.0] > 50 * level[1.0]


def test_xavier_on_tanh_keeps_the_gradient_within_a_few_times(rng):
    X, y = rng.normal(size=(16, 32)), rng.integers(0, 3, 32)
    _, norms = gradient_norms(deep(1.0, "tanh"), X, y)
    assert norms[:-1].max() / norms[:-1].min() < 10


def test_report_layers_reads_the_analytic_gradient_and_the_block_difference(rng):
    net = deep(1.0, "tanh", depth=3)
    X, y = rng.normal(size=(16, 4)), rng.integers(0, 3, 4)
    net.inject_bug("dW_x2", 2)
    report = gradient_check(net, X, y)
    layers, norms, differences = report_layers(report)
    assert list(layers) == [1, 2, 3]
    assert norms[1] == pytest.approx(np.linalg.norm(report.blocks["W2"].analytic))
    assert differences[1] == pytest.approx(1 / 3)  # 2a vs a: |2a − a| / (|2a| + |a|)
    assert differences[0] < 1e-6
