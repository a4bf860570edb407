"""No silent edits: out-of-range values are refused visibly and reverted, the wheel over an
unfocused value widget scrolls instead of editing, and Undo/Redo reach the window's stack from a
number field."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from gradviz.ui.common.fields import IntField, NumberInput, NumberRange

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def focus(qtbot, widget) -> None:
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


def type_text(qtbot, widget, text: str, enter: bool = True) -> None:
    focus(qtbot, widget)
    qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(widget, text)
    if enter:
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def field_text(widget) -> str:
    """What the field shows (without a spin box's prefix or suffix)."""
    return widget.cleanText() if isinstance(widget, QAbstractSpinBox) else widget.text()


def wheel(widget, steps: int = -1) -> None:
    """One notch of the mouse wheel over the middle of ``widget``, delivered as Qt does (an
    ignored event goes on to the parents)."""
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


# -- the field class on its own -------------------------------------------------------------------
def test_number_range_accepts_its_range_only():
    rule = NumberRange("ε", 1e-10, 0.1)
    assert rule.parse("1e-5") == 1e-5
    assert rule.parse(" 0.1 ") == 0.1
    for text in ("1e-12", "0", "-1", "0.2", "nan", "inf", "", "abc"):
        assert rule.parse(text) is None, text
    assert rule.state("1e-").name == "Intermediate"  # on the way to a number
    assert rule.state("-1").name == "Intermediate"  # kept in the field, refused on Enter
    assert rule.state("x").name == "Invalid"
    assert rule.describe() == "ε must be a number from 1e-10 to 0.1"
    whole = NumberRange("batch", 0, 300, integer=True, special="full batch")
    assert whole.parse("full batch") == 0
    assert whole.parse("12") == 12
    assert isinstance(whole.parse("12"), int)
    assert whole.parse("2.5") is None
    assert whole.state("full").name == "Intermediate"
    assert "whole number from 0 to 300 (0: full batch)" in whole.describe()


def test_enter_refuses_in_red_and_leaving_puts_the_value_back(qtbot):
    host = QWidget()
    field = NumberInput(1e-7, NumberRange("ε", 1e-10, 0.1), "eps", host)
    other = NumberInput(1.0, NumberRange("x", 0, 10), "other", host)
    other.move(0, 40)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    normal = field.palette().color(QPalette.ColorRole.Base)
    committed = []
    field.value_changed.connect(committed.append)
    type_text(qtbot, field, "1e-12")
    assert field.is_refused()
    assert field.text() == "1e-12"  # shown, not silently replaced
    assert field.value() == 1e-7  # the value in use
    assert field.palette().color(QPalette.ColorRole.Base) != normal
    assert "1e-10 to 0.1" in field.toolTip()
    assert committed == []
    focus(qtbot, other)
    assert field.text() == "1e-07"
    assert not field.is_refused()
    assert field.palette().color(QPalette.ColorRole.Base) == normal
    type_text(qtbot, field, "0.00001")
    assert committed == [1e-5]
    assert field.text() == "1e-05"


def test_spin_field_keeps_an_out_of_range_entry_visible_until_focus_leaves(qtbot):
    host = QWidget()
    spin = IntField(NumberRange("units", 1, 50, integer=True), "units", host)
    other = IntField(NumberRange("x", 0, 9, integer=True), "other", host)
    other.move(0, 40)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    spin.setValue(8)
    type_text(qtbot, spin, "500")
    assert spin.lineEdit().text() == "500"
    assert spin.is_refused()
    assert spin.value() == 8
    assert "from 1 to 50" in spin.toolTip()
    focus(qtbot, other)
    assert spin.lineEdit().text() == "8"
    assert not spin.is_refused()


# -- every validated field of the window ------------------------------------------------------------
CASES = [
    ("epsilonInput", "1e-12", lambda w: w.session().check.epsilon),
    ("epsilonInput", "0", lambda w: w.session().check.epsilon),
    ("epsilonInput", "-1", lambda w: w.session().check.epsilon),
    ("lambdaInput", "-3", lambda w: w.session().spec.l2),
    ("sampleInput", "-2", lambda w: w.session().check.sample),
    ("sampleInput", "99999999", lambda w: w.session().check.sample),
    ("lrInput", "0", lambda w: w.session().training.lr),
    ("lrInput", "-1", lambda w: w.session().training.lr),
    ("batchSizeInput", "-5", lambda w: w.session().training.batch_size),
    ("batchSizeInput", "100000", lambda w: w.session().training.batch_size),  # > training examples
    ("inputDimInput", "0", lambda w: w.session().spec.input_dim),
    ("initGainInput", "0", lambda w: w.session().spec.init_gain),
    ("examplesInput", "5", lambda w: w.session().data.m),
    ("noiseInput", "11", lambda w: w.session().data.noise),
    ("devSplitInput", "95", lambda w: w.session().data.dev_fraction),
    ("checkExamplesInput", "0", lambda w: w.session().data.check_examples),
    ("trainItersInput", "0", lambda w: w.training_panel.trainItersInput.value()),
    ("bayesErrorInput", "60", lambda w: w.classroom.bias_variance.bayes_input.value()),
]
#: the value widgets of the builder, the training panel and the classroom, beside the check panel's
NEW_VALUE_WIDGETS = ["initGainInput", "examplesInput", "noiseInput", "devSplitInput",
                     "checkExamplesInput", "trainItersInput", "bayesErrorInput"]


@pytest.mark.parametrize(("name", "text", "used"), CASES, ids=[f"{n}={t}" for n, t, _ in CASES])
def test_each_out_of_range_entry_is_refused_and_reverted(qtbot, user, window, name, text, used):
    if name == "lambdaInput":
        user.choose("regularizationCombo", "l2")
    if name in ("lrInput", "batchSizeInput", "trainItersInput"):
        window.training_dock.raise_()
    if name == "bayesErrorInput":
        window.classroom.actions["dataView"].trigger()
    if name == "inputDimInput":
        user.choose("datasetCombo", "blobs")  # the 2-D data sets fix the input size
    field = user.find(QWidget, name)
    before, shown = used(window), field_text(field)
    type_text(qtbot, field, text)
    assert field.is_refused(), name
    assert field_text(field).endswith(text)
    assert used(window) == before  # the value in use did not move
    assert "must be" in field.toolTip()
    focus(qtbot, user.find(QWidget, "runCheckButton"))
    assert field_text(field) == shown
    assert not field.is_refused()
    assert used(window) == before


def test_a_check_uses_the_value_shown(qtbot, user, window):
    field = user.find(QWidget, "epsilonInput")
    type_text(qtbot, field, "1e-12")
    assert field.is_refused()
    report = user.run_check()  # Ctrl+R or the button: the refused value is dropped first
    assert report.settings["epsilon"] == 1e-7
    assert field.text() == "1e-07"


# -- the wheel -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["regularizationCombo", "methodCombo", "sampleInput", "epsilonSlider"])
def test_wheel_over_an_unfocused_control_scrolls_the_panel(qtbot, user, window, name):
    window.resize(1024, 500)  # short enough for the check settings to scroll
    area = window.findChild(QScrollArea, "checkSettingsArea")
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0)
    widget = user.find(QWidget, name)
    value = lambda: widget.currentIndex() if isinstance(widget, QComboBox) else widget.value()  # noqa: E731
    before, session = value(), window.session().to_dict()
    assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus
    wheel(widget, -1)
    assert value() == before
    assert window.session().to_dict() == session
    assert area.verticalScrollBar().value() > 0  # the panel scrolled instead
    focus(qtbot, widget)
    wheel(widget, 1 if isinstance(widget, QSpinBox) else -1)
    assert value() != before  # with the focus, the wheel edits (as the user asked for)


@pytest.mark.parametrize("name", NEW_VALUE_WIDGETS)
def test_wheel_over_an_unfocused_field_of_the_other_panels_changes_nothing(qtbot, user, window, name):
    window.training_dock.raise_()
    window.classroom.actions["dataView"].trigger()
    widget = user.find(QAbstractSpinBox, name)
    qtbot.waitUntil(widget.isVisible)
    before, session = widget.value(), window.session().to_dict()
    assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus
    wheel(widget, 1)
    assert widget.value() == before
    assert window.session().to_dict() == session


# -- undo reaches the window's stack from a number field --------------------------------------------
def test_undo_and_redo_from_a_focused_number_field(qtbot, user, window):
    field = user.find(QWidget, "epsilonInput")
    type_text(qtbot, field, "1e-4")
    user.choose("methodCombo", "forward")
    assert window.session().check.method == "forward"
    focus(qtbot, field)
    qtbot.keyClick(field, Qt.Key.Key_Z, CTRL)
    assert window.session().check.method == "centered"
    qtbot.keyClick(field, Qt.Key.Key_Z, CTRL)
    assert window.session().check.epsilon == 1e-7
    assert field.text() == "1e-07"
    qtbot.keyClick(field, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.session().check.epsilon == 1e-4
    spin = user.find(QSpinBox, "sampleInput")
    focus(qtbot, spin)
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.session().check.method == "forward"


def test_undo_with_uncommitted_typing_drops_the_typing_first(qtbot, user, window):
    user.choose("methodCombo", "forward")
    field = user.find(QWidget, "epsilonInput")
    type_text(qtbot, field, "1e-3", enter=False)
    qtbot.keyClick(field, Qt.Key.Key_Z, CTRL)
    assert field.text() == "1e-07"
    assert window.session().check.method == "forward"  # nothing undone yet
    qtbot.keyClick(field, Qt.Key.Key_Z, CTRL)
    assert window.session().check.method == "centered"
