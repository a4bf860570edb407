"""The window as a whole: the objectName contract, builder and training wired to the check,
workers stopped on close, layout and theme remembered, the app's entry point."""

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QTableWidget,
    QWidget,
)

from gradviz.core.data.session import CheckSettings, DataSettings, Session
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.ui import MainWindow
from gradviz.ui.app import main
from gradviz.ui.common.theme import is_dark

CONTRACT = {
    "epsilonInput": QLineEdit, "precisionCombo": QComboBox, "methodCombo": QComboBox,
    "dropoutCheck": QCheckBox, "dropoutModeCombo": QComboBox, "regularizationCombo": QComboBox,
    "lambdaInput": QLineEdit, "bugCombo": QComboBox, "runCheckButton": QPushButton,
    "cancelCheckButton": QPushButton, "heatmapView": QWidget, "verdictLabel": QLabel,
    "termsCombo": QComboBox, "bugLayerSpin": QSpinBox, "epsilonSlider": QSlider,
    "heatmapModeCombo": QComboBox, "checkProgress": QProgressBar, "inspectorPanel": QWidget,
    "sampleInput": QSpinBox, "layerTable": QTableWidget, "addLayerButton": QAbstractButton,
    "removeLayerButton": QAbstractButton, "inputDimInput": QSpinBox, "datasetCombo": QComboBox,
    "lossCombo": QComboBox, "trainButton": QAbstractButton, "stepButton": QAbstractButton,
    "checkNowButton": QAbstractButton,
}


def big_session(path):
    """A check the reference loop needs over a minute for (dropout 'resample')."""
    spec = NetworkSpec(200, [LayerSpec(256, "tanh"), LayerSpec(3, "linear")])
    Session(spec, DataSettings(dataset="blobs", m=60), CheckSettings(dropout="resample")).save(path)
    return path


ACTIONS = ("presenterAction", "undoAction", "redoAction", "userGuideAction", "shortcutsAction",
           "aboutAction")


def test_every_named_control_exists(window):
    for name, cls in {**CONTRACT, "quickCheckButton": QPushButton, "checkSettingsArea": QWidget,
                      "lrInput": QWidget, "batchSizeInput": QSpinBox}.items():
        assert window.findChildren(cls, name), name
    for name in ACTIONS:
        assert window.findChild(QAction, name) is not None, name


def test_adding_a_layer_in_the_builder_rebuilds_the_network(user, window):
    table = user.find(QTableWidget, "layerTable")
    table.selectRow(0)
    user.click("addLayerButton")
    assert len(window.problem.net.spec.layers) == 3
    assert window.heatmap.shapes().keys() == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert user.find(QSpinBox, "bugLayerSpin").maximum() == 3
    report = user.run_check()
    assert set(report.blocks) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert report.passed
    window.files.edit_menu.actions()[0].trigger()  # Edit > Undo
    assert len(window.problem.net.spec.layers) == 2


def test_training_steps_reach_the_window_and_check_now_uses_the_trained_parameters(user, window):
    first = user.run_check()
    user.find(QWidget, "trainingDock").raise_()
    for _ in range(3):
        with user.qtbot.waitSignal(window.training_step, timeout=5_000):
            user.click("stepButton")
    assert not np.array_equal(window.problem.net.params["W1"], first.blocks["W1"].analytic)
    with user.qtbot.waitSignal(window.check_finished, timeout=20_000) as blocker:
        user.click("checkNowButton")
    trained = blocker.args[0]
    assert trained.passed
    assert not np.allclose(trained.blocks["W1"].analytic, first.blocks["W1"].analytic)


def test_the_schematic_follows_training_steps(user, window, monkeypatch):
    shown = []
    monkeypatch.setattr(window.builder, "set_params", shown.append)
    user.find(QWidget, "trainingDock").raise_()
    with user.qtbot.waitSignal(window.training_step, timeout=5_000) as step:
        user.click("stepButton")
    user.qtbot.waitUntil(lambda: len(shown) == 1)
    for _ in range(5):  # a burst of steps: one redraw, a moment later
        window.training_panel.training_step.emit(step.args[0])
    assert len(shown) == 1
    user.qtbot.waitUntil(lambda: len(shown) == 2)
    assert shown[-1] is window.problem.net.params


def test_training_during_a_check_leaves_the_check_alone(user, window, tmp_path):
    assert window.load_session(big_session(tmp_path / "big.gradviz.json"))
    before = window.problem.net.params["W1"].copy()
    progress = user.find(QProgressBar, "checkProgress")
    user.click("runCheckButton")
    user.qtbot.waitUntil(lambda: progress.value() > 0, timeout=10_000)
    window.training_panel.play(max_steps=2)
    user.qtbot.waitUntil(lambda: not window.training_panel.is_running(), timeout=10_000)
    assert window.is_checking()  # the check works on its own copy of θ
    with user.qtbot.waitSignal(window.check_cancelled, timeout=5_000):
        user.click("cancelCheckButton")
    trained = window.problem.net.params["W1"]
    assert not np.array_equal(trained, before)  # training's steps are kept, not undone by the check


def test_closing_during_a_check_and_training_stops_the_workers(qtbot, tmp_path):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    assert win.load_session(big_session(tmp_path / "big.gradviz.json"))
    before = {k: v.copy() for k, v in win.problem.net.params.items()}
    win.run_check()
    qtbot.waitUntil(lambda: win.check_panel.progress.value() > 0, timeout=10_000)
    win.close()
    assert not win.is_checking()
    for name, value in before.items():
        assert np.array_equal(win.problem.net.params[name], value)

    other = MainWindow()
    qtbot.addWidget(other)
    other.show()
    other.training_panel.play()
    qtbot.waitUntil(lambda: other.training_panel.trainer.iteration > 2, timeout=10_000)
    other.close()
    assert not other.training_panel.is_running()


def test_layout_and_theme_are_remembered(qtbot, window):
    window.inspector_dock.hide()
    dark = next(a for a in window.files.view_menu.actions() if a.menu()).menu().actions()[2]
    assert dark.text() == "Dark"
    dark.trigger()
    assert is_dark(QApplication.instance().palette())
    qtbot.waitUntil(lambda: is_dark(window.heatmap.palette()))
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert again.inspector_dock.isHidden()
    assert again.app_settings.theme() == "dark"
    again.files.set_theme("light")
    assert not is_dark(QApplication.instance().palette())
    window_colour = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    qtbot.waitUntil(lambda: again.heatmap.backgroundBrush().color() == window_colour)


def test_run_shortcut(qtbot, window):
    window.activateWindow()
    with qtbot.waitSignal(window.check_finished, timeout=20_000):
        qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)


def test_main_opens_the_window_on_the_demo_and_returns_when_it_closes(qtbot):
    opened = []

    def close_it():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        opened.extend(windows)
        for w in windows:
            w.close()

    QTimer.singleShot(200, close_it)
    assert main([]) == 0
    assert len(opened) == 1
    assert opened[0].problem.net.spec.sizes == [2, 16, 3]


def test_live_plots_dock_opens_with_the_training_tab(qtbot, window):
    dock = window.findChild(QDockWidget, "plotsDock")
    window.show()
    assert not dock.isVisible()
    window.training_dock.raise_()
    qtbot.waitUntil(dock.isVisible)


def test_live_plots_dock_opens_when_training_starts(qtbot, window):
    dock = window.findChild(QDockWidget, "plotsDock")
    assert dock.widget() is window.training_panel.plots
    assert not dock.isVisible()
    window.show()
    window.training_panel.play(max_steps=3)
    qtbot.waitUntil(dock.isVisible)
    qtbot.waitUntil(lambda: not window.training_panel.is_running())
    assert window.findChild(QWidget, "lossPlot").isVisible()
