"""The classroom controller on its own: the docks, the menu and its shortcuts, each action, and
what it reads from the window (the trainer's initial θ for the timeline and the sanity checks)."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from gradviz.core.model.bugs import Bug

DOCKS = {"lessonsDock", "classroomDock", "explanationDock", "dataDock", "sweepDock", "checkpointsDock",
         "layerGradientsDock", "sanityDock"}
PANELS = ("lessonPanel", "classroomPanel", "explanationPanel", "sweepView", "checkpointTimeline",
          "dataView", "biasVarianceLabel", "layerGradientPlot", "sanityPanel", "runSanityButton",
          "checkCostPanel")


@pytest.fixture
def controller(window):
    return window.classroom


def train(qtbot, window, n: int) -> None:
    panel = window.training_panel
    panel.trainItersInput.setValue(n)
    with qtbot.waitSignal(panel.running_changed, check_params_cb=lambda running: not running, timeout=20_000):
        qtbot.mouseClick(panel.trainItersButton, Qt.MouseButton.LeftButton)


def test_docks_menu_and_shortcuts(window, controller):
    assert {d.objectName() for d in controller.docks.values()} == DOCKS
    assert all(window.findChild(QWidget, n) is not None for n in PANELS)
    assert "C&lassroom" in [a.text() for a in window.menuBar().actions()]
    assert QKeySequence("F11") in controller.actions["presenter"].shortcuts()
    assert controller.actions["sealBug"].shortcut() == QKeySequence("Ctrl+Shift+B")
    everywhere = [s.toString() for a in window.findChildren(QAction) for s in a.shortcuts()]
    ours = [s.toString() for a in controller.actions.values() for s in a.shortcuts()]
    assert all(everywhere.count(s) == 1 for s in ours)  # no clash with the window's shortcuts
    for key in ("lessons", "classroom", "data", "sweep", "timeline", "layers", "sanity"):
        assert controller.docks[key].isHidden()


@pytest.mark.parametrize(("action", "dock"), [("dataView", "data"), ("layerGradients", "layers"),
                                              ("sanity", "sanity"), ("lessons", "lessons")])
def test_each_menu_action_opens_its_dock(window, controller, action, dock):
    controller.actions[action].trigger()
    assert controller.docks[dock].isVisible()


def test_loading_a_lesson_opens_its_session(qtbot, window, controller):
    controller.lessons.select(1)
    qtbot.mouseClick(controller.lessons.load_button, Qt.MouseButton.LeftButton)
    assert "Find the planted bug" in window.windowTitle()
    assert window.check_panel.check_settings().bug == "dW_x2:2"


def test_sealing_refuses_a_bug_the_network_cannot_take(window, controller):
    with pytest.raises(ValueError, match="regularization"):
        controller.seal_bug("dW_no_reg", 1)  # the demo has no λ
    assert window.sealed_bug is None
    controller.seal_bug("db_x4", 1)
    assert window.sealed_bug == Bug("db_x4", 1)
    controller.unseal_bug()
    assert window.sealed_bug is None


def test_the_timeline_starts_from_the_trainers_initial_theta_even_after_training(qtbot, window, controller):
    initial = {k: v.copy() for k, v in window.problem.net.params.items()}
    train(qtbot, window, 30)
    trained = {k: v.copy() for k, v in window.problem.net.params.items()}
    assert not np.array_equal(trained["W1"], initial["W1"])
    controller.timeline.set_iterations([0, 30])
    with qtbot.waitSignal(controller.timeline.finished, timeout=20_000) as blocker:
        controller.timeline.run()
    first, last = blocker.args[0]
    assert all(np.array_equal(first.params[k], initial[k]) for k in initial)
    # the same optimizer, batches and seed: iteration 30 is where the app's own training got
    assert all(np.allclose(last.params[k], trained[k]) for k in trained)
    assert all(np.array_equal(window.problem.net.params[k], trained[k]) for k in trained)  # a copy trained


def test_a_checkpoint_is_shown_in_the_heatmap_and_the_explanation(qtbot, window, controller):
    timeline = controller.timeline
    timeline.set_iterations([0, 3])
    with qtbot.waitSignal(timeline.finished, timeout=20_000) as blocker:
        timeline.run()
    checkpoints = blocker.args[0]
    timeline.select(0)
    assert window.heatmap.block("W1") is checkpoints[0].report.blocks["W1"]
    window.heatmap.clicked.emit(window.heatmap.component("W1", (0, 1)))
    values = controller.explanation.check_values()
    assert values["numeric"] == checkpoints[0].report.blocks["W1"].numeric[0, 1]
    assert values["J0"] == checkpoints[0].report.loss  # J(θ ± ε) evaluated at the checkpoint's θ


def test_the_sanity_source_is_the_initial_theta(qtbot, window, controller):
    initial = {k: v.copy() for k, v in window.problem.net.params.items()}
    train(qtbot, window, 5)
    source = controller.sanity_source()
    assert source.spec is window.problem.net.spec
    assert all(np.array_equal(source.params[k], initial[k]) for k in initial)


def test_the_docks_come_back_where_the_user_left_them(qtbot, window, controller):
    from gradviz.ui import MainWindow

    controller.actions["sweep"].trigger()
    controller.actions["dataView"].trigger()
    assert controller.docks["sweep"].isVisible()
    window.close()  # saves the layout
    again = MainWindow()
    qtbot.addWidget(again)
    docks = again.classroom.docks
    again.show()
    assert not docks["sweep"].isHidden()
    assert not docks["data"].isHidden()
    assert docks["lessons"].isHidden()
    again.close()


def test_closing_the_window_stops_the_classroom_workers(qtbot, window, controller):
    controller.actions["sanity"].trigger()
    qtbot.mouseClick(controller.sanity.run_button, Qt.MouseButton.LeftButton)
    controller.cost.run()
    window.close()
    assert not controller.sanity.is_running()
    assert not controller.cost.is_running()
