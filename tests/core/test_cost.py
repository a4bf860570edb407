"""What a check costs: backprop, the reference loop (timed on a sample, scaled) and the fast engine
measured side by side; the figures' words say how each was measured."""

import pytest
from helpers import drain

from gradviz.core import LayerSpec, Network, NetworkSpec
from gradviz.core.teach.cost import REFERENCE_SAMPLE, CheckCost, check_cost, iter_check_cost


def test_check_cost_measures_each_figure(rng):
    net = Network(NetworkSpec(6, [LayerSpec(50, "tanh"), LayerSpec(3, "linear")]))
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 4)
    stages, cost = drain(iter_check_cost(net, X, y))
    assert stages == ["backprop", "reference loop", "fast engine"]
    assert cost.n_params == 6 * 50 + 50 + 50 * 3 + 3
    # the reference loop was timed on REFERENCE_SAMPLE components of each of the 4 blocks (b2 has 3)
    assert cost.reference_components == 3 * REFERENCE_SAMPLE + 3
    per_component = cost.reference_measured / cost.reference_components
    assert cost.reference == pytest.approx(per_component * cost.n_params)
    assert cost.backprop > 0  # timings are measured, not asserted (benchmarks compare speed)
    assert cost.fast is not None
    assert cost.fast > 0
    assert check_cost(net, X, y, dropout="off").n_params == cost.n_params


def test_the_lines_say_what_was_measured_and_what_was_scaled():
    cost = CheckCost(n_params=1000, backprop=0.001, reference_components=100, reference_measured=0.5,
                     fast=0.02)
    backprop, reference, fast = cost.lines()
    assert "1.0 ms (measured)" in backprop
    assert "1,000 components: 5.0 s = 5,000 training steps" in reference
    assert "timed on 100 components: 500.0 ms, scaled to all" in reference
    assert "20.0 ms = 20 training steps (measured)" in fast
    assert "cannot serve" in CheckCost(1000, 0.001, 100, 0.5, None).lines()[2]
