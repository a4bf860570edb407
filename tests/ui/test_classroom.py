"""The sealed-bug quiz: a sealed bug stays hidden, the class answers the block where the bug lives
and its kind, rounds are scored and exported, "Surprise me" plants only bugs the check shows;
and the quiz in the main window (the verdict hides the answer while a bug is sealed)."""

import csv

import pytest
from PySide6.QtCore import Qt
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
from gradviz.core.teach.quiz import home_blocks
from gradviz.resource_paths import lessons_dir
from gradviz.ui.classroom.classroom import bug_choices, describe_bug, hidden_reason, plain_kind
from gradviz.ui.classroom.quiz import ClassroomPanel


class FakeWindow(QMainWindow):
    """A window with a bug combo box like the check panel's, and the quiz panel."""

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


def answer_by_hand(qtbot, panel: ClassroomPanel, block: str, kind: str):
    """Click the block (the window passes heatmap clicks to select_block), choose the kind by its
    plain description, press Answer; return the revealed signal's arguments."""
    panel.select_block(block)
    assert block in panel.block_label.text()
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findText(plain_kind(kind)))
    with qtbot.waitSignal(panel.revealed) as blocker:
        qtbot.mouseClick(panel.answer_button, Qt.MouseButton.LeftButton)
    return blocker.args


def test_a_sealed_bug_is_planted_but_shown_nowhere(qtbot, win):
    at_close = seal(qtbot, win, "dW_x2", 2)
    assert win.net.bug == Bug("dW_x2", 2)
    assert at_close == [(None, "")]  # the dialog forgot the choice before it closed
    assert win.bug_combo.currentText() == "none"
    shown = visible_texts()
    assert "dW_x2" not in shown
    assert describe_bug(Bug("dW_x2", 2)) not in shown
    assert "sealed" in win.panel.message.text()
    qtbot.waitUntil(lambda: not [w for w in QApplication.topLevelWidgets()
                                 if w.objectName() == "sealBugDialog"])  # destroyed
    assert win.panel.active
    assert not win.panel.guessing
    assert not win.panel.kind_combo.isEnabled()


def test_the_right_block_and_kind_score_two_points(qtbot, win, data):
    seal(qtbot, win, "dW_x2", 2)
    assert win.panel.guess("W2", "dW_x2") is None  # no check yet
    assert "Run the check first" in win.panel.message.text()
    win.panel.set_report(gradient_check(win.net, *data))
    assert win.panel.guessing
    assert not win.panel.answer_button.isEnabled()  # no block clicked yet
    full, message = answer_by_hand(qtbot, win.panel, "W2", "dW_x2")
    assert full
    assert message.startswith("Block W2: right; kind: right (2 of 2 points).")
    assert "dW_x2 at layer 2" in message
    assert "dW of layer 2 is doubled" in message
    assert "flagged W2" in message
    assert "dW_x2" in win.panel.message.text()
    assert not win.panel.active
    assert win.panel.guess("W2", "dW_x2") is None
    assert win.panel.score_label.text() == "1 round · 2 of 2 points"


def test_a_block_the_error_only_flowed_into_is_not_the_answer(qtbot, win, data):
    seal(qtbot, win, "act_deriv", 2)
    report = gradient_check(win.net, *data)
    assert {"W1", "b1", "W2", "b2"} <= set(report.failing_blocks())  # layer 1 fails too
    win.panel.set_report(report)
    full, message = answer_by_hand(qtbot, win.panel, "W1", "act_deriv")
    assert not full
    assert message.startswith("Block W1: wrong; kind: right (1 of 2 points).")
    assert "the bug lives in W2 or b2" in message
    assert win.panel.quiz.rounds[-1].points == 1


def test_the_right_block_with_the_wrong_kind(qtbot, win, data):
    seal(qtbot, win, "db_x4", 1)
    win.panel.set_report(gradient_check(win.net, *data))
    full, message = answer_by_hand(qtbot, win.panel, "b1", "db_wrong_axis")
    assert not full
    assert message.startswith("Block b1: right; kind: wrong (1 of 2 points).")
    assert "db_x4 at layer 1" in message


def test_rounds_a_summary_and_a_csv_for_hand_in(qtbot, win, data, tmp_path):
    assert not win.panel.export_button.isEnabled()
    for kind, layer, block, answer in (("dW_x2", 2, "W2", "dW_x2"), ("db_x4", 1, "W1", "db_x4")):
        seal(qtbot, win, kind, layer)
        win.panel.set_report(gradient_check(win.net, *data))
        answer_by_hand(qtbot, win.panel, block, answer)
    seal(qtbot, win, "act_deriv", 1)
    with qtbot.waitSignal(win.panel.revealed):
        qtbot.mouseClick(win.panel.reveal_button, Qt.MouseButton.LeftButton)
    assert win.panel.score_label.text() == "3 rounds · 3 of 6 points"
    path = tmp_path / "quiz.csv"
    assert win.panel.export_csv(path)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["bug"], r["answer_block"], r["points"]) for r in rows] == [
        ("dW_x2", "W2", "2"), ("db_x4", "W1", "1"), ("act_deriv", "", "0")]
    summary = win.panel.end_quiz()
    assert summary == "3 rounds, 3 of 6 points: blocks 1 of 3, kinds 2 of 3"
    assert summary in win.panel.message.text()
    assert "Round 3: act_deriv at layer 1, 0 of 2" in win.panel.message.text()
    assert win.panel.score_label.text() == "0 rounds · 0 of 0 points"
    assert not win.panel.export_button.isEnabled()
    assert not win.panel.export_csv(tmp_path / "no" / "such" / "folder.csv")
    assert "Cannot write" in win.panel.message.text()


def test_reveal_and_clear(qtbot, win):
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


def test_surprise_without_data_follows_the_catalogue_rules(qtbot, win, data):
    with qtbot.waitSignal(win.panel.sealed):
        qtbot.mouseClick(win.panel.surprise_button, Qt.MouseButton.LeftButton)
    assert win.net.bug in bug_choices(win.net.spec)
    assert win.bug_combo.currentText() == "none"
    report = gradient_check(win.net, *data)
    assert home_blocks(win.net.bug, 3) & set(report.failing_blocks())


def test_surprise_tries_bugs_on_a_copy_and_seals_one_the_check_shows(qtbot, data):
    # dW_no_reg hides while W2 = 0; dropout bugs hide with the check's dropout off
    spec = NetworkSpec(2, [LayerSpec(4, "tanh", keep_prob=0.5), LayerSpec(4, "tanh"), LayerSpec(3, "linear")],
                       l2=0.5)
    net = Network(spec)
    net.params["W3"][:] = 0
    window = FakeWindow(net, popups=False, seed=0)
    window.panel._check_source = lambda: (Network(spec, params=net.params), *data, {"dropout": "off"})
    qtbot.addWidget(window)
    for _ in range(6):
        with qtbot.waitSignal(window.panel.sealed, timeout=20_000):
            window.panel.surprise()
        bug = net.bug
        hidden = (Bug("dW_no_reg", 3), Bug("dropout_mask_missing", 1), Bug("dropout_scale_missing", 1))
        assert bug not in hidden
        assert home_blocks(bug, 3) & set(gradient_check(net, *data).failing_blocks()), bug
        window.panel.clear()


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


def test_the_answer_pops_up_without_blocking(qtbot, data):
    net = Network(NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(3, "linear")]))
    window = FakeWindow(net)
    qtbot.addWidget(window)
    window.show()
    window.panel.surprise()
    window.panel.set_report(gradient_check(net, *data))
    window.panel.guess("W1", "dW_x2")
    box = window.panel.message_box
    assert box is not None
    assert box.isVisible()
    assert net.bug.kind in box.text()
    box.accept()
    qtbot.waitUntil(lambda: window.panel.message_box is None)


def test_without_a_network_nothing_can_be_sealed(qtbot):
    panel = ClassroomPanel(lambda kind, layer: None, lambda: None, popups=False)
    qtbot.addWidget(panel)
    assert panel.open_seal_dialog() is None
    assert panel.surprise() is False
    assert "no network" in panel.message.text()
    assert not panel.active


# -- in the main window ------------------------------------------------------------------------
def test_sealed_bug_through_the_window_hides_the_answer_in_the_verdict(qtbot, user, window):
    panel = window.classroom.classroom
    panel._popups = False
    dialog = panel.open_seal_dialog()
    dialog.choose("dW_x2", 2)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert panel.active
    assert user.find(QComboBox, "bugCombo").currentText() == "none"
    report = user.run_check()
    assert report.failing_blocks() == ["W2"]
    verdict = window.verdict.text()
    assert "dW_x2" not in visible_texts()
    assert "failing blocks" not in verdict  # the class must find the block on the heatmap
    assert "worst components" not in verdict
    assert report.blocks["W2"].diagnosis is not None  # diagnosed, but not shown while sealed
    assert report.blocks["W2"].diagnosis.message not in verdict
    assert panel.guessing
    window.heatmap.clicked.emit(window.heatmap.component("W2", (0, 0)))
    full, _message = answer_by_hand(qtbot, panel, "W2", "dW_x2")
    assert full
    assert window.classroom.explanation.check_values()["numeric"] == report.blocks["W2"].numeric[0, 0]
    assert window.classroom.sweep.target_label.text() == "W2[0, 0]"
    panel.clear()
    again = user.run_check()
    assert not again.failing_blocks()  # the seal is gone
    assert "failing blocks" not in window.verdict.text()


def test_surprise_in_the_window_on_lesson_10_draws_only_visible_bugs(qtbot, window):
    """On lesson 10's net (zero init: most bugs are invisible at θ = 0) every surprise shows."""
    assert window.load_session(lessons_dir() / "10-normalization-and-init.gradviz.json", remember=False)
    panel = window.classroom.classroom
    panel._popups = False
    problem = window.problem
    for _ in range(3):
        with qtbot.waitSignal(panel.sealed, timeout=30_000):
            window.classroom.actions["surprise"].trigger()
        bug = window.sealed_bug
        net = Network(problem.net.spec, params=problem.net.params)
        net.inject_bug(bug.kind, bug.layer)
        report = gradient_check(net, problem.X_check, problem.y_check)
        assert home_blocks(bug, len(net.spec.layers)) & set(report.failing_blocks()), bug
        panel.clear()
