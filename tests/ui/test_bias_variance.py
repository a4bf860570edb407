"""Bias and variance live: the readout after each epoch matches the trainer's own errors, the
Bayes error changes the reading, and the dev curve's lowest point is marked for early stopping."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gradviz.core.data.session import DataSettings, Session, TrainingSettings
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.teach.biasvariance import error_margin


@pytest.fixture
def panel(window):
    window.classroom.actions["dataView"].trigger()
    return window.classroom.bias_variance


def train(qtbot, window, n: int) -> None:
    training = window.training_panel
    training.trainItersInput.setValue(n)
    with qtbot.waitSignal(training.running_changed, timeout=30_000,
                          check_params_cb=lambda running: not running):
        qtbot.mouseClick(training.trainItersButton, Qt.MouseButton.LeftButton)


def load(window, tmp_path, spec, data, training) -> None:
    path = tmp_path / "session.gradviz.json"
    Session(spec, data, training=training).save(path)
    assert window.load_session(path)


def test_the_readout_is_the_networks_own_errors(qtbot, window, panel):
    assert "Train the network" in panel.label.text()
    train(qtbot, window, 16)  # 240 examples, batches of 64: 4 iterations an epoch
    problem = window.problem
    # the errors of the network as it is after epoch 4, computed here from its predictions
    train_error = np.mean(problem.net.predict(problem.X) != problem.y)
    dev_error = np.mean(problem.net.predict(problem.X_dev) != problem.y_dev)
    text = panel.label.text()
    assert "Epoch 4:" in text
    assert f"train error {100 * train_error:.1f} %" in text
    margin = error_margin(float(dev_error), 60)
    assert f"dev error {100 * dev_error:.1f} % ± {100 * margin:.1f} % (60 dev examples)" in text
    assert panel.reading.diagnosis.value in text
    xs, ys = panel.train_curve.getData()
    assert list(xs) == [1, 2, 3, 4]
    assert ys[-1] == pytest.approx(train_error)


def test_bayes_error_changes_the_reading(qtbot, window, panel, tmp_path):
    # a linear model on moons: about 13 % wrong on train and dev alike
    spec = NetworkSpec(2, [LayerSpec(2, "linear")])
    load(window, tmp_path, spec, DataSettings("moons", 400, noise=0.2, dev_fraction=0.25),
         TrainingSettings("adam", 0.01, None))
    train(qtbot, window, 300)
    assert panel.reading.diagnosis == "high bias"
    assert "<b>high bias</b> (like the lecture's 15 % train / 16 % dev)" in panel.label.text()
    panel.bayes_input.setValue(12.0)  # a noisy task: even the best classifier errs 12 %
    assert panel.reading.bayes_error == pytest.approx(0.12)
    assert panel.reading.diagnosis == "neither"
    assert "Bayes error 12 %" in panel.label.text()


def test_the_lowest_dev_error_is_marked_for_early_stopping(qtbot, window, panel, tmp_path):
    spec = NetworkSpec(2, [LayerSpec(32, "relu"), LayerSpec(32, "relu"), LayerSpec(2, "linear")])
    load(window, tmp_path, spec, DataSettings("xor", 400, noise=0.15, dev_fraction=0.75),
         TrainingSettings("adam", 0.01, None))
    train(qtbot, window, 300)
    epochs = window.training_panel.trainer.history.epochs
    dev = [1 - e.dev_acc for e in epochs]
    best = epochs[int(np.argmin(dev))].epoch
    assert panel.best_epoch == best
    assert panel.best_line.isVisible()
    assert panel.best_line.value() == best
    assert best != epochs[-1].epoch  # the dev error rose again: early stopping has a point
    assert f"Lowest dev error {100 * min(dev):.1f} % at epoch {best}: early stopping" in panel.label.text()


def test_mse_has_no_error_rate(qtbot, window, panel, tmp_path):
    spec = NetworkSpec(2, [LayerSpec(8, "tanh"), LayerSpec(3, "linear")], loss="mse")
    load(window, tmp_path, spec, DataSettings("spiral", 120), TrainingSettings("sgd", 0.1, None))
    train(qtbot, window, 2)
    assert "no error rate" in panel.label.text()
    assert panel.reading is None
