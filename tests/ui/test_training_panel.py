"""TrainingPanel: play / pause / step / reset, learning rate, NaN stop, shutdown."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from gradviz.core.data.problem import build_problem
from gradviz.core.data.session import DataSettings, Session, TrainingSettings
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.ui.training.training_fields import LearningRateBox
from gradviz.ui.training.training_panel import TrainingPanel

CLICK = Qt.MouseButton.LeftButton


def make_problem(m: int = 60, activation: str = "tanh"):
    spec = NetworkSpec(2, [LayerSpec(6, activation), LayerSpec(3, "linear")], loss="softmax_ce", seed=1)
    return build_problem(Session(spec, DataSettings("spiral", m=m)))


@pytest.fixture
def panel(qtbot):
    widget = TrainingPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 700)
    widget.show()
    widget.set_problem(make_problem(), TrainingSettings("sgd", 0.5, 16))
    yield widget
    widget.shutdown()


def curve_len(curve) -> int:
    x, _ = curve.getData()
    return 0 if x is None else len(x)


def test_play_fills_the_plots_and_pause_stops(qtbot, panel):
    with qtbot.waitSignal(panel.running_changed) as started:
        qtbot.mouseClick(panel.trainButton, CLICK)
    assert started.args == [True]
    assert panel.plots._training  # the plots keep to their drawing budget
    assert panel.trainButton.isChecked()
    assert panel.trainButton.text() == "Pause"
    # train past the first epoch end (48 examples / 16 = 3 iterations per epoch)
    qtbot.waitUntil(lambda: panel.trainer.epoch >= 3, timeout=5000)
    with qtbot.waitSignal(panel.training_step, timeout=5000) as step:
        pass
    assert step.args[0].iteration >= 1
    plots = panel.plots
    for name in ("lossPlot", "accuracyPlot", "updateRatioPlot"):
        assert panel.findChild(pg.PlotWidget, name) is getattr(panel, name)
    # one plot per frame, each frame up to live_plots.MAX_WAIT after the last on a busy machine
    qtbot.waitUntil(lambda: curve_len(plots.loss_curve) > 0 and curve_len(plots.train_acc_curve) > 0,
                    timeout=20_000)
    assert curve_len(plots.smooth_curve) == curve_len(plots.loss_curve)
    assert set(plots.ratio_curves) == {"W1", "b1", "W2", "b2"}

    qtbot.mouseClick(panel.trainButton, CLICK)
    assert not panel.is_running()
    assert not panel.plots._training  # and catch up at once
    assert not panel.trainButton.isChecked()
    assert panel.trainButton.text() == "Play"
    iteration = panel.trainer.iteration
    # every record produced before the pause reached the plots, and nothing arrives after it
    assert plots.record_count() == iteration
    with qtbot.assertNotEmitted(panel.training_step, wait=200):
        pass
    assert panel.trainer.iteration == iteration

    panel.play()  # resumes from the same trainer
    qtbot.waitUntil(lambda: panel.trainer.iteration > iteration, timeout=5000)
    panel.pause()
    assert plots.record_count() == panel.trainer.iteration


def test_step_once_trains_exactly_one_iteration(qtbot, panel):
    with qtbot.waitSignal(panel.training_step) as step:
        qtbot.mouseClick(panel.stepButton, CLICK)
    assert step.args[0].iteration == 1
    assert panel.trainer.iteration == 1
    panel.plots.redraw()
    assert curve_len(panel.plots.loss_curve) == 1
    assert "iteration 1" in panel.trainingStatus.text()


def test_reset_clears_the_plots_and_restores_params(qtbot, panel):
    initial = {k: v.copy() for k, v in panel.trainer.net.params.items()}
    panel.play()
    qtbot.waitUntil(lambda: panel.trainer.iteration >= 20, timeout=5000)
    assert not np.array_equal(panel.trainer.net.params["W1"], initial["W1"])
    with qtbot.waitSignal(panel.training_reset):
        qtbot.mouseClick(panel.resetTrainingButton, CLICK)
    assert not panel.is_running()
    assert panel.trainer.iteration == 0
    for name, value in initial.items():
        np.testing.assert_array_equal(panel.trainer.net.params[name], value)
    assert panel.plots.record_count() == 0
    assert curve_len(panel.plots.loss_curve) == 0
    assert curve_len(panel.plots.train_acc_curve) == 0


def test_learning_rate_typed_applies_to_the_trainer(qtbot, panel):
    panel.step_once()
    first = panel.trainer.history.steps[-1].update_ratio["W2"]
    panel.reset()
    panel.lrInput.setFocus()
    panel.lrInput.selectAll()
    qtbot.keyClicks(panel.lrInput, "1e-3")
    qtbot.keyClick(panel.lrInput, Qt.Key.Key_Return)
    assert panel.trainer.lr == pytest.approx(1e-3)
    assert panel.training_settings().lr == pytest.approx(1e-3)
    panel.step_once()
    # SGD from the same start with the same minibatch: the step is 500 times smaller
    assert panel.trainer.history.steps[-1].update_ratio["W2"] == pytest.approx(first / 500, rel=1e-6)


def test_learning_rate_box_steps_along_1_2_5_and_refuses_non_positive(qtbot):
    box = LearningRateBox()
    qtbot.addWidget(box)
    box.setValue(0.01)
    box.stepBy(1)
    assert box.value() == pytest.approx(0.02)
    box.stepBy(2)
    assert box.value() == pytest.approx(0.1)
    box.stepBy(-3)
    assert box.value() == pytest.approx(0.01)
    assert box.validate("0", 1)[0] != box.validate("0.5", 3)[0]
    # a typed -1 stays in the field (to be refused visibly on Enter); letters cannot be typed
    assert box.validate("-1", 2)[0].name == "Intermediate"
    assert box.validate("x", 1)[0].name == "Invalid"
    assert box.validate("3e-", 3)[0].name == "Intermediate"


def test_huge_learning_rate_stops_with_the_iteration_in_the_message(qtbot, panel):
    panel.set_problem(make_problem(activation="relu"))
    panel.lrInput.setValue(1e4)
    with qtbot.waitSignal(panel.training_stopped, timeout=10_000) as stopped:
        panel.play()
    reason = stopped.args[0]
    assert f"iteration {panel.trainer.iteration + 1}" in reason
    assert panel.trainingMessage.isVisible()
    assert f"iteration {panel.trainer.iteration + 1}" in panel.trainingMessage.text()
    qtbot.waitUntil(lambda: not panel.is_running())
    assert not panel.trainButton.isChecked()


def test_check_now_pauses_first(qtbot, panel):
    panel.play()
    with qtbot.waitSignal(panel.check_now_requested):
        qtbot.mouseClick(panel.checkNowButton, CLICK)
    assert not panel.is_running()


def test_optimizer_change_starts_over(qtbot, panel):
    panel.step_once()
    panel.optimizerCombo.setCurrentIndex(panel.optimizerCombo.findData("adam"))
    assert panel.trainer.optimizer == "adam"
    assert panel.trainer.iteration == 0
    assert panel.plots.record_count() == 0
    assert "starts over" in panel.trainingMessage.text()
    panel.batchSizeInput.setValue(0)
    assert panel.training_settings().batch_size is None
    assert panel.trainer.batches_per_epoch == 1


def test_shutdown_while_running_leaves_no_thread(qtbot, panel):
    panel.play()
    qtbot.waitUntil(lambda: panel.trainer.iteration > 0, timeout=5000)
    thread = panel._runner._thread
    panel.shutdown()
    assert thread.isFinished()
    assert not panel.is_running()


def test_close_stops_training(qtbot, panel):
    panel.play()
    qtbot.waitUntil(lambda: panel.trainer.iteration > 0, timeout=5000)
    thread = panel._runner._thread
    panel.close()
    assert thread.isFinished()


def test_status_says_not_trained_yet_before_the_first_step(panel):
    assert panel.trainingStatus.text() == "not trained yet"
    panel.set_problem(None, TrainingSettings("sgd", 0.5, 16))
    assert panel.trainingStatus.text() == "nothing to train"
