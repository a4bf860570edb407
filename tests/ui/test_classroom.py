"""Classroom mode: a sealed bug stays hidden, the class's guess is judged against the check's
failing blocks, "Surprise me" plants a bug the check shows; and the whole set installed in the
main window."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import Network
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.ui.classroom.classroom import ClassroomPanel, bug_choices, describe_bug, hidden_reason


class FakeWindow(QMainWindow):
    """A window with a bug combo box like the check panel's, and the classroom panel."""

    def __init__(self, net: Network, **panel_options) -> None:
        super().__init__()
        self.net = net
        self.bug_combo = QComboBox(objectName="bugCombo")
        self.bug_combo.addItems(["none", *BUG_KINDS])
        self.panel = ClassroomPanel(net.inject_bug, lambda: net.spec, net.clear_bug, **panel_options)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.bug_combo)
        layout.addWidget(self.panel)
        self.setCentralWidget(central)


def visible_texts() -> str:
    """Every text the user could read in any visible top-level window."""
    texts = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        texts.append(top.windowTitle())
        for w in [top, *top.findChildren(QWidget)]:
            if not w.isVisible():
                continue
            texts.append(w.toolTip())
            if isinstance(w, QLabel | QAbstractButton | QLineEdit):
                texts.append(w.text())
            elif isinstance(w, QComboBox):
                texts.append(w.currentText())
            elif isinstance(w, QTextEdit):
                texts.append(w.toPlainText())
    return "\n".join(texts)


@pytest.fixture
def data(rng):
    return rng.normal(size=(2, 6)), rng.integers(0, 3, 6)


@pytest.fixture
def win(qtbot):
    net = Network(NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(4, "tanh"), LayerSpec(3, "linear")]))
    window = FakeWindow(net, popups=False, seed=1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def seal(qtbot, win, kind: str, layer: int) -> list:
    """Seal through the dialog like the teacher does; return the dialog's choice at closing."""
    at_close = []
    dialog = win.panel.open_seal_dialog()
    assert dialog.isVisible()
    assert dialog.objectName() == "sealBugDialog"
    dialog.finished.connect(lambda _r: at_close.append((dialog.kind_combo.currentData(),
                                                        dialog.description.text())))
    dialog.choose(kind, layer)
    assert kind in dialog.description.text() or describe_bug(Bug(kind, layer)) in dialog.description.text()
    with qtbot.waitSignal(win.panel.sealed):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.panel.dialog is None)
    return at_close


def test_a_sealed_bug_is_planted_but_shown_nowhere(qtbot, win):
    at_close = seal(qtbot, win, "dW_x2", 2)
    assert win.net.bug == Bug("dW_x2", 2)
    assert at_close == [(None, "")]  # the dialog forgot the choice before it closed
    assert win.bug_combo.currentText() == "none"
    shown = visible_texts()
    assert "dW_x2" not in shown
    assert BUG_KINDS["dW_x2"] not in shown
    assert "sealed" in win.panel.message.text()
    qtbot.waitUntil(lambda: not [w for w in QApplication.topLevelWidgets()
                                 if w.objectName() == "sealBugDialog"])  # destroyed
    assert win.panel.active
    assert not win.panel.guessing


def test_a_right_guess(qtbot, win, data):
    seal(qtbot, win, "dW_x2", 2)
    assert win.panel.guess("W2") is None  # no check yet
    assert "Run the check first" in win.panel.message.text()
    win.panel.set_report(gradient_check(win.net, *data))
    assert win.panel.guessing
    with qtbot.waitSignal(win.panel.revealed) as blocker:
        assert win.panel.guess("W2") is True
    correct, message = blocker.args
    assert correct
    assert message.startswith("Right: W2 is wrong.")
    assert "dW_x2 at layer 2" in message
    assert "dW of layer 2 is doubled" in message
    assert "flagged W2" in message
    assert "dW_x2" in win.panel.message.text()
    assert not win.panel.active
    assert win.panel.guess("W2") is None


def test_a_wrong_guess(qtbot, win, data):
    seal(qtbot, win, "db_x4", 1)
    win.panel.set_report(gradient_check(win.net, *data))
    with qtbot.waitSignal(win.panel.revealed) as blocker:
        win.panel.guess("W1")
    correct, message = blocker.args
    assert not correct
    assert message.startswith("Not W1.")
    assert "db_x4 at layer 1" in message
    assert "flagged b1" in message


def test_reveal_and_clear(qtbot, win, data):
    seal(qtbot, win, "act_deriv", 2)
    with qtbot.waitSignal(win.panel.revealed) as blocker:
        qtbot.mouseClick(win.panel.reveal_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] is False
    assert "act_deriv at layer 2" in blocker.args[1]
    qtbot.mouseClick(win.panel.clear_button, Qt.MouseButton.LeftButton)
    assert win.net.bug is None
    assert not win.panel.clear_button.isEnabled()


def test_an_impossible_bug_keeps_the_dialog_open_with_the_reason(qtbot):
    net = Network(NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(3, "linear")]))
    window = FakeWindow(net, popups=False)
    qtbot.addWidget(window)
    dialog = window.panel.open_seal_dialog()
    dialog.choose("dW_transposed", 1)
    assert "will not show it here" in dialog.description.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "square" in dialog.error.text()
    assert net.bug is None
    assert not window.panel.active
    dialog.reject()


def test_surprise_plants_a_bug_the_check_shows(qtbot, win, data):
    with qtbot.waitSignal(win.panel.sealed):
        qtbot.mouseClick(win.panel.surprise_button, Qt.MouseButton.LeftButton)
    assert win.net.bug in bug_choices(win.net.spec)
    assert win.bug_combo.currentText() == "none"
    report = gradient_check(win.net, *data)
    win.panel.set_report(report)
    assert report.failing_blocks()
    with qtbot.waitSignal(win.panel.revealed) as blocker:
        win.panel.guess(report.failing_blocks()[-1])
    assert blocker.args[0] is True


def test_bug_choices_follow_the_network():
    plain = NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(3, "linear")])
    kinds = {(b.kind, b.layer) for b in bug_choices(plain)}
    assert ("dW_x2", 1) in kinds
    assert ("dW_x2", 2) in kinds
    assert not any(k in ("dW_no_reg", "dW_transposed", "dropout_mask_missing") for k, _ in kinds)
    assert [b for b in bug_choices(plain) if b.kind == "dscores_sign"] == [Bug("dscores_sign", 2)]
    regularized = NetworkSpec(4, [LayerSpec(4, "relu", 0.5), LayerSpec(3, "linear")], l2=0.1)
    kinds = {(b.kind, b.layer) for b in bug_choices(regularized)}
    assert {("dW_no_reg", 1), ("dW_transposed", 1), ("dropout_mask_missing", 1)} <= kinds
    assert ("dropout_mask_missing", 2) not in kinds
    assert "regularization" in hidden_reason(plain, "dW_no_reg", 1)


def test_the_reveal_pops_up_without_blocking(qtbot, data):
    net = Network(NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(3, "linear")]))
    window = FakeWindow(net)
    qtbot.addWidget(window)
    window.show()
    window.panel.surprise()
    window.panel.set_report(gradient_check(net, *data))
    window.panel.guess("W1")
    box = window.panel.message_box
    assert box is not None
    assert box.isVisible()
    assert net.bug.kind in box.text()
    box.accept()
    qtbot.waitUntil(lambda: window.panel.message_box is None)


# -- installed in the main window --------------------------------------------------------------
@pytest.fixture
def installed(window):
    return window.classroom


def test_install_adds_docks_menu_and_shortcuts(window, installed):
    names = {d.objectName() for d in installed.docks.values()}
    assert names == {"lessonsDock", "classroomDock", "explanationDock", "sweepDock", "checkpointsDock"}
    assert all(window.findChild(QWidget, n) is not None for n in
               ("lessonPanel", "classroomPanel", "explanationPanel", "sweepView", "checkpointTimeline"))
    menus = [a.text() for a in window.menuBar().actions()]
    assert "C&lassroom" in menus
    assert QKeySequence("F11") in installed.actions["presenter"].shortcuts()
    assert installed.actions["sealBug"].shortcut() == QKeySequence("Ctrl+Shift+B")
    everywhere = [s.toString() for a in window.findChildren(QAction) for s in a.shortcuts()]
    ours = [s.toString() for a in installed.actions.values() for s in a.shortcuts()]
    assert all(everywhere.count(s) == 1 for s in ours)  # no clash with the window's shortcuts


def test_loading_a_lesson_opens_its_session(qtbot, window, installed):
    installed.lessons.select(1)
    qtbot.mouseClick(installed.lessons.load_button, Qt.MouseButton.LeftButton)
    assert "Find the planted bug" in window.windowTitle()
    assert window.check_panel.check_settings().bug == "dW_x2:2"


def test_sealed_bug_through_the_window_and_a_guess_by_clicking_the_heatmap(qtbot, user, window, installed):
    panel = installed.classroom
    dialog = panel.open_seal_dialog()
    dialog.choose("dW_x2", 2)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert panel.active
    assert user.find(QComboBox, "bugCombo").currentText() == "none"
    report = user.run_check()
    assert report.failing_blocks() == ["W2"]
    assert "dW_x2" not in visible_texts()
    assert report.blocks["W2"].diagnosis is not None  # diagnosed, but not shown while sealed
    assert report.blocks["W2"].diagnosis.message not in window.verdict.text()
    assert "2.00×" not in window.verdict.text()
    assert panel.guessing
    with qtbot.waitSignal(panel.revealed) as blocker:
        window.heatmap.clicked.emit(window.heatmap.component("W2", (0, 0)))
    assert blocker.args[0] is True
    assert installed.explanation.check_values()["numeric"] == report.blocks["W2"].numeric[0, 0]
    assert installed.sweep.target_label.text() == "W2[0, 0]"
    panel.message_box.accept()
    panel.clear()
    assert not user.run_check().failing_blocks()  # the seal is gone


def test_timeline_trains_a_copy_and_shows_a_checkpoint_in_the_heatmap(qtbot, window, installed):
    before = {k: v.copy() for k, v in window.problem.net.params.items()}
    timeline = installed.timeline
    timeline.set_iterations([0, 3])
    with qtbot.waitSignal(timeline.finished, timeout=20_000) as blocker:
        timeline.run()
    checkpoints = blocker.args[0]
    assert [cp.iteration for cp in checkpoints] == [0, 3]
    assert all(np.array_equal(before[k], window.problem.net.params[k]) for k in before)
    timeline.select(0)
    assert window.heatmap.block("W1") is checkpoints[0].report.blocks["W1"]
    window.heatmap.clicked.emit(window.heatmap.component("W1", (0, 1)))
    values = installed.explanation.check_values()
    assert values["numeric"] == checkpoints[0].report.blocks["W1"].numeric[0, 1]
    assert values["J0"] == checkpoints[0].report.loss  # J(θ ± ε) evaluated at the checkpoint's θ


def test_the_docks_come_back_where_the_user_left_them(qtbot, window, installed):
    from gradviz.ui import MainWindow

    installed.actions["sweep"].trigger()
    assert installed.docks["sweep"].isVisible()
    window.close()  # saves the layout
    again = MainWindow()
    qtbot.addWidget(again)
    docks = again.classroom.docks
    again.show()
    assert not docks["sweep"].isHidden()
    assert docks["lessons"].isHidden()
    again.close()


def test_without_a_network_nothing_can_be_sealed(qtbot):
    panel = ClassroomPanel(lambda kind, layer: None, lambda: None, popups=False)
    qtbot.addWidget(panel)
    assert panel.open_seal_dialog() is None
    assert panel.surprise() is False
    assert "no network" in panel.message.text()
    assert not panel.active
