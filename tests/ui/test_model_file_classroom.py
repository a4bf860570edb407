"""The classroom while a model file is open: the lessons, the explanation and the ε sweep work on
it; every view that needs the built-in network is disabled with its reason written over it (no
earlier result of the built-in network reads as the user's); a sealed bug never reaches the
user's model or its report; the built-in network brings them all back."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from gradviz.ui.classroom.controller import MODEL_FILE_ACTIONS, MODEL_FILE_REASONS
from gradviz.ui.common.unavailable import unavailable_reason
from tests.modelfiles import write_project
from tests.ui.model_projects import DOUBLED_DW2
from tests.ui.test_model_file import open_model

WAIT = 20_000


def test_each_classroom_view_works_on_a_model_file_or_says_why(qtbot, user, window, tmp_path):
    c = window.classroom
    session = tmp_path / "demo.gradviz.json"
    assert window.save_session(session)
    c.classroom._popups = False
    dialog = c.classroom.open_seal_dialog()  # the built-in network's quiz and sweep have work shown
    dialog.choose("dW_x2", 2)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert c.classroom.active
    built_in = user.run_check()
    assert built_in.failing_blocks() == ["W2"]
    assert c.sweep.target_label.text().startswith("W2")

    report = open_model(qtbot, window, write_project(tmp_path, model=DOUBLED_DW2))
    assert report.failing_blocks() == ["W2"]
    assert report.blocks["W2"].numeric.shape == (6, 3)  # the user's model, not the built-in 16-3 net
    assert window.sealed_bug is None  # the quiz's bug is not planted in anything now
    assert not c.classroom.active
    for view, reason in MODEL_FILE_REASONS.items():
        widget = getattr(c, view)
        assert not widget.isEnabled(), view
        assert unavailable_reason(widget) == reason, view
        assert widget.toolTip() == reason, view
    for key in MODEL_FILE_ACTIONS:
        assert not c.actions[key].isEnabled(), key
    # the explanation reads the user's report; the lessons open sessions
    assert c.explanation.isEnabled()
    assert c.shown is report
    window.heatmap.clicked.emit(window.heatmap.component("W2", (5, 2)))
    assert c.explanation.check_values()["numeric"] == report.blocks["W2"].numeric[5, 2]
    assert c.lessons.isEnabled()
    assert unavailable_reason(c.lessons) is None
    # each dock opens: its reason covers the whole view, in sight
    for key, dock in c.docks.items():
        c.show_dock(key)
        qtbot.waitUntil(dock.isVisible)
    in_sight = [view for view in MODEL_FILE_REASONS if getattr(c, view).isVisible()]
    assert len(in_sight) >= 4  # the raised tab of each dock
    for view in in_sight:
        widget = getattr(c, view)
        cover = widget.findChild(QWidget, "unavailableCover")
        qtbot.waitUntil(lambda cover=cover, widget=widget: cover.geometry() == widget.rect())
        assert cover.isVisible(), view
    # a click leaves the quiz as it was; the ε sweep targets the user's model itself
    c.on_click(window.heatmap.component("W1", (0, 0)))
    assert c.classroom._report is None
    assert c.sweep.isEnabled()
    assert c.actions["sweep"].isEnabled()
    assert c.sweep.target()[0] is window.model_file.current.loaded.model
    assert c.sweep.target_label.text() == "W1[0, 0]"

    with qtbot.waitSignal(window.training_panel.problem_changed, timeout=WAIT):
        assert window.open_session(session)
    for view in MODEL_FILE_REASONS:
        widget = getattr(c, view)
        assert widget.isEnabled(), view
        assert unavailable_reason(widget) is None, view
    for key in MODEL_FILE_ACTIONS:
        assert c.actions[key].isEnabled(), key
    assert user.run_check().failing_blocks() == []  # the seal went with the model file
