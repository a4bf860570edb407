"""Signals by layer: ‖dW[l]‖ and the size of a[l] at the network's θ, following the init gain
(vanishing below 1, exploding above), and the check's difference per layer after a check."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gradviz.core.model import layers as ops
from gradviz.resource_paths import presets_dir


@pytest.fixture
def panel(window):
    window.classroom.actions["layerGradients"].trigger()
    return window.classroom.layer_gradients


def load_deep(window, kind: str) -> None:
    assert window.load_session(presets_dir() / f"deep-{kind}-10x16.gradviz.json", remember=False)


def independent_rms(net, X) -> list[float]:
    """The hidden layers' activations, computed here layer by layer."""
    A, out = X, []
    for l, layer in enumerate(net.spec.layers[:-1], start=1):
        A = ops.activation_forward(net.params[f"W{l}"] @ A + net.params[f"b{l}"], layer.activation)
        out.append(float(np.sqrt(np.mean(A**2))))
    return out


def test_the_curves_are_the_networks_own(window, panel):
    load_deep(window, "tanh")
    problem = window.problem
    X, y = problem.X[:, :256], problem.y[:256]
    grads = problem.net.evaluate(X, y, masks=None).grads
    expected = [np.linalg.norm(grads[f"W{l}"]) for l in range(1, 11)]
    np.testing.assert_allclose(panel.norms, expected)
    np.testing.assert_allclose(panel.activations[:-1], independent_rms(problem.net, X))
    xs, ys = panel.grad_curve.getOriginalDataset()
    assert list(xs) == list(range(1, 11))
    np.testing.assert_allclose(ys, expected)
    assert "10 layers, init xavier × gain 1" in panel.note.text()


def test_gain_below_one_vanishes_and_above_one_explodes(user, window, panel):
    load_deep(window, "relu")
    rms = {}
    for gain in ("0.5", "1", "2"):
        user.type_into("initGainInput", gain)
        assert window.problem.net.spec.init_gain == float(gain)
        rms[gain] = (panel.activations.copy(), float(np.median(panel.norms)))
    small, _ = rms["0.5"]
    large, _ = rms["2"]
    assert small[8] / small[0] < 0.5**8 * 4  # halved (about) at each of 8 more layers
    assert large[8] / large[0] > 2**8 / 40
    assert rms["0.5"][1] < 1e-2 * rms["1"][1] < 1e-4 * rms["2"][1]


def test_after_a_check_the_difference_per_layer_is_drawn(user, window, panel):
    load_deep(window, "tanh")
    report = user.run_check()
    xs, ys = panel.diff_curve.getOriginalDataset()
    assert list(xs) == list(range(1, 11))
    np.testing.assert_allclose(ys, [report.blocks[f"W{l}"].difference for l in range(1, 11)])
    np.testing.assert_allclose(panel.norms, [np.linalg.norm(report.blocks[f"W{l}"].analytic)
                                             for l in range(1, 11)])


def test_live_during_training(qtbot, window, panel):
    load_deep(window, "tanh")
    before = panel.norms.copy()
    training = window.training_panel
    training.trainItersInput.setValue(50)
    with qtbot.waitSignal(training.running_changed, check_params_cb=lambda running: not running,
                          timeout=30_000):
        qtbot.mouseClick(training.trainItersButton, Qt.MouseButton.LeftButton)
    problem = window.problem
    grads = problem.net.evaluate(problem.X[:, :256], problem.y[:256], masks=None).grads
    assert not np.allclose(panel.norms, before)
    np.testing.assert_allclose(panel.norms, [np.linalg.norm(grads[f"W{l}"]) for l in range(1, 11)])
