"""A user's model file in the app: asked before it runs, loaded off the GUI thread, its blocks in the
Network dock, checked, checked again after each save (also an editor's rename-over save and an
edit of a module beside it), its exceptions shown with file:line over a greyed heatmap, trained
when it gives X and y; the workers setting and components/s; a quick check offered first when
the full check would be long."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gradviz.core.check.modelfile import load_model_file
from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.ui.app import open_path
from gradviz.ui.check import check_worker
from gradviz.ui.common.settings import AppSettings
from gradviz.ui.model_file import model_file_mode
from gradviz.ui.stale_results import NOTES
from tests.modelfiles import LAYERS, MODEL, write_project
from tests.ui.model_projects import (
    CONV_MODEL,
    DOUBLED_DW2,
    MARKING,
    MODEL_ALONE,
    RAISES_LINE,
    RAISES_WHEN_MOVED,
    RAISING,
    RAISING_LINE,
    save_like_an_editor,
)

WAIT = 20_000


@pytest.fixture
def asked(monkeypatch):
    """QMessageBox.question recorded (title, text) and answered by ``asked.answer`` (No)."""

    class Asked(list):
        answer = QMessageBox.StandardButton.No

    questions = Asked()

    def question(parent, title, text, *args):
        questions.append((title, text))
        return questions.answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return questions


def open_model(qtbot, window, path, trust=True):
    """Open the model file and wait for its first report."""
    with qtbot.waitSignal(window.model_loaded, timeout=WAIT) as loaded:
        assert window.load_model_file(path, trust=trust)
    assert loaded.args == [str(path.resolve())]
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as finished:
        pass
    return finished.args[0]


def numeric_gradient(path, block: str, h: float = 1e-6) -> np.ndarray:
    """Centered differences of the file's loss over one block, written here."""
    loaded = load_model_file(path)
    theta = loaded.model.params[block]
    out = np.zeros_like(theta)
    for i in range(theta.size):
        old = theta.flat[i]
        theta.flat[i] = old + h
        plus = loaded.model.loss(loaded.X, loaded.y)[0]
        theta.flat[i] = old - h
        minus = loaded.model.loss(loaded.X, loaded.y)[0]
        theta.flat[i] = old
        out.flat[i] = (plus - minus) / (2 * h)
    return out


# -- opening ---------------------------------------------------------------------------------------
def test_opening_with_trust_loads_checks_and_shows_the_blocks(qtbot, window, tmp_path, asked):
    path = write_project(tmp_path)
    report = open_model(qtbot, window, path)
    assert not asked  # trust=True asks nothing
    assert report.conclusion == "correct"
    assert list(report.blocks) == ["W1", "b1", "W2", "b2"]
    np.testing.assert_allclose(report.blocks["W1"].numeric, numeric_gradient(path, "W1"), atol=1e-7)
    assert window.model_file.panel.blocks() == [("W1", "4 × 6", 24), ("b1", "6", 6),
                                                ("W2", "6 × 3", 18), ("b2", "3", 3)]
    assert window.heatmap.shapes() == {"W1": (4, 6), "b1": (6,), "W2": (6, 3), "b2": (3,)}
    assert window.windowTitle().startswith("model.py")
    assert window.problem is None  # the built-in network is not what the window shows
    assert not window.files.save_action.isEnabled()  # the .py file is the saved state


def test_a_conv_model_shows_its_four_dimensional_blocks(qtbot, window, tmp_path):
    report = open_model(qtbot, window, write_project(tmp_path, model=CONV_MODEL))
    assert report.conclusion == "correct"
    assert window.model_file.panel.blocks()[:2] == [("W1", "4 × 3 × 3 × 3", 108), ("b1", "4", 4)]
    rect = window.heatmap.block_rect("W1")
    assert rect.width() > 0
    assert rect.height() > 0
    assert window.inspector_dock is not None
    assert window.report is report


def test_no_runs_nothing_and_leaves_the_window_as_it_was(qtbot, window, tmp_path, asked, dialogs):
    path = write_project(tmp_path, model=MARKING)
    title, problem = window.windowTitle(), window.problem
    assert window.load_model_file(path) is False
    assert len(asked) == 1
    assert "model.py" in asked[0][1]
    assert not window.model_file.loader.is_loading()
    assert not (tmp_path / "ran.txt").exists()
    assert window.windowTitle() == title
    assert window.problem is problem
    assert not window.model_file.is_open()
    assert window.files.save_action.isEnabled()
    assert not dialogs


def test_yes_is_remembered_for_the_file(qtbot, window, tmp_path, asked):
    path = write_project(tmp_path, model=MARKING)
    asked.answer = QMessageBox.StandardButton.Yes
    open_model(qtbot, window, path, trust=False)
    assert (tmp_path / "ran.txt").exists()
    assert AppSettings().is_trusted(path)
    assert len(asked) == 1


def test_a_file_trusted_before_opens_without_asking(qtbot, window, tmp_path, asked):
    path = write_project(tmp_path)
    AppSettings().trust(path)
    with qtbot.waitSignal(window.model_loaded, timeout=WAIT):
        assert open_path(window, path)  # as `gradviz model.py` opens it
    assert not asked


def test_opening_a_session_leaves_the_model_file(qtbot, window, tmp_path):
    session = tmp_path / "demo.gradviz.json"
    assert window.save_session(session)
    open_model(qtbot, window, write_project(tmp_path))
    assert window.load_session(session)
    assert not window.model_file.is_open()
    assert window.problem is not None
    assert window.files.save_action.isEnabled()
    assert not window.check_panel.workers_combo.isEnabled()


# -- the edit–save–see loop ------------------------------------------------------------------------
def test_each_save_is_checked_again(qtbot, window, tmp_path):
    path = write_project(tmp_path)
    open_model(qtbot, window, path)
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as buggy:
        path.write_text(DOUBLED_DW2, encoding="utf-8")
    assert buggy.args[0].conclusion == "bug"
    assert buggy.args[0].failing_blocks() == ["W2"]
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as fixed:
        save_like_an_editor(path, MODEL)
    assert fixed.args[0].conclusion == "correct"
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as neighbour:  # cs231n/layers.py
        (tmp_path / "cs231n" / "layers.py").write_text(LAYERS.replace("{DB_FACTOR}", "2.0"),
                                                       encoding="utf-8")
    assert neighbour.args[0].failing_blocks() == ["b1", "b2"]
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as renamed_again:
        save_like_an_editor(path, DOUBLED_DW2)  # the renamed-over file is still watched
    assert renamed_again.args[0].failing_blocks() == ["b1", "W2", "b2"]


def test_a_save_keeps_the_settings_and_the_pinned_component(qtbot, user, window, tmp_path):
    path = write_project(tmp_path)
    open_model(qtbot, window, path)
    user.type_into("epsilonInput", "1e-6")
    window.inspector.pin(window.heatmap.component("W2", (5, 1)))
    window.heatmap.pin("W2", (5, 1))
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as again:
        path.write_text(DOUBLED_DW2, encoding="utf-8")
    assert again.args[0].settings["epsilon"] == 1e-6
    assert window.heatmap.pinned() == ("W2", (5, 1))
    assert window.inspector.component.index == (5, 1)
    assert window.inspector.component.analytic == again.args[0].blocks["W2"].analytic[5, 1]


def test_an_exception_at_load_then_a_fix(qtbot, window, tmp_path):
    path = write_project(tmp_path)
    open_model(qtbot, window, path)
    with qtbot.waitSignal(window.check_failed, timeout=WAIT) as failed:
        path.write_text(RAISING, encoding="utf-8")
    message = failed.args[0]
    assert message.startswith("ZeroDivisionError: integer division or modulo by zero")
    assert f"model.py:{RAISING_LINE}" in message
    assert "gradviz" not in message.replace(str(tmp_path), "")  # the user's frames only
    assert window.heatmap.stale_note() == NOTES["model error"]
    assert f"model.py:{RAISING_LINE}" in window.verdict.text()
    assert window.verdict.status == "error"
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as fixed:
        path.write_text(MODEL, encoding="utf-8")
    assert fixed.args[0].conclusion == "correct"
    assert window.heatmap.stale_note() is None


def test_an_exception_during_the_check_then_a_fix(qtbot, window, tmp_path):
    path = write_project(tmp_path)
    open_model(qtbot, window, path)
    with qtbot.waitSignal(window.check_failed, timeout=WAIT) as failed:
        path.write_text(RAISES_WHEN_MOVED, encoding="utf-8")
    assert failed.args[0].startswith("FloatingPointError: W1[0, 0] left its value")
    assert f"model.py:{RAISES_LINE}" in failed.args[0]
    assert window.heatmap.stale_note() == NOTES["model error"]
    assert window.training_panel.isEnabled()  # training waits only while the check runs
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as fixed:
        path.write_text(MODEL, encoding="utf-8")
    assert fixed.args[0].conclusion == "correct"


def test_a_file_that_does_not_load_at_first_is_checked_once_fixed(qtbot, window, tmp_path):
    path = write_project(tmp_path, model="import numpy as np\n\ndef gradviz_model(:\n")
    with qtbot.waitSignal(window.check_failed, timeout=WAIT) as failed:
        assert window.load_model_file(path, trust=True)
    assert "SyntaxError" in failed.args[0]
    assert "model.py:3" in failed.args[0]
    assert window.run_check() is False  # nothing loaded to check
    with qtbot.waitSignal(window.check_finished, timeout=WAIT):
        path.write_text(MODEL, encoding="utf-8")


# -- the check panel -------------------------------------------------------------------------------
def test_settings_that_need_the_built_in_network_are_off_and_say_why(qtbot, window, tmp_path):
    panel = window.check_panel
    assert not panel.workers_combo.isEnabled()
    open_model(qtbot, window, write_project(tmp_path))
    for widget in (panel.precision_combo, panel.dropout_check, panel.terms_combo, panel.bug_combo):
        assert not widget.isEnabled()
        assert widget.toolTip()
    assert "float64" in panel.precision_combo.toolTip()
    complex_item = panel.method_combo.model().item(panel.method_combo.findData("complex"))
    assert not complex_item.isEnabled()
    assert panel.epsilon_input.isEnabled()
    assert panel.sample_input.isEnabled()
    assert panel.workers_combo.isEnabled()


def test_the_workers_setting_reaches_the_check_and_components_per_second_show(
        qtbot, user, window, tmp_path, monkeypatch):
    seen = []
    original = check_worker.iter_gradient_check

    def spy(*args, **kwargs):
        seen.append(kwargs.get("workers"))
        return (yield from original(*args, **kwargs))

    monkeypatch.setattr(check_worker, "iter_gradient_check", spy)
    open_model(qtbot, window, write_project(tmp_path))
    assert seen == ["auto"]  # the default
    user.choose("workersCombo", "2")
    assert AppSettings().check_workers() == "2"
    user.run_check()
    assert seen[-1] == 2
    rate = window.check_panel.rate_label
    assert rate.isVisibleTo(window)
    assert rate.text().endswith("components/s")
    assert float(rate.text().split()[0].replace(",", "")) > 0


def test_a_long_full_check_is_offered_a_quick_check_first(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(model_file_mode, "LARGE_CHECK_SECONDS", 0.0)
    path = write_project(tmp_path, model=DOUBLED_DW2)
    with qtbot.waitSignal(window.model_loaded, timeout=WAIT):
        window.load_model_file(path, trust=True)
    offer = window.model_file.offer
    assert offer.isVisible()
    assert not window.is_checking()
    assert "can miss a wrong component" in offer.text.text()
    with qtbot.waitSignal(window.quick_check_finished, timeout=WAIT) as quick:
        qtbot.mouseClick(offer.quick_button, Qt.MouseButton.LeftButton)
    assert quick.args[0].failing_blocks() == ["W2"]
    assert not offer.isVisible()
    with qtbot.waitSignal(window.quick_check_finished, timeout=WAIT):  # a save runs it again
        path.write_text(DOUBLED_DW2 + "\n# edited\n", encoding="utf-8")


# -- training --------------------------------------------------------------------------------------
def test_training_a_model_file_moves_its_loss(qtbot, window, tmp_path):
    open_model(qtbot, window, write_project(tmp_path))
    training = window.training_panel
    assert not training.batchSizeInput.isEnabled()  # full batch: the examples axis is unknown
    training.lrInput.setValue(0.5)
    with qtbot.waitSignal(training.running_changed, timeout=WAIT,
                          check_params_cb=lambda running: not running):
        training.play(max_steps=40)
    steps = training.trainer.history.steps
    assert len(steps) == 40
    assert steps[-1].loss < 0.8 * steps[0].loss
    assert set(steps[0].update_ratio) == {"W1", "b1", "W2", "b2"}


def test_a_model_without_examples_says_why_training_is_off(qtbot, window, tmp_path):
    open_model(qtbot, window, write_project(tmp_path, model=MODEL_ALONE.replace(
        "    def loss(self, X, y):\n", "    def loss(self, X, y):\n"
        "        rng = np.random.default_rng(1)\n"
        "        X, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)\n")))
    training = window.training_panel
    assert training.trainer is None
    assert "return (model, X, y)" in training.trainingMessage.text()
    assert not training.trainButton.isEnabled()


def test_show_report_shows_any_report_beside_a_model_file(qtbot, window, tmp_path):
    open_model(qtbot, window, write_project(tmp_path))
    rng = np.random.default_rng(0)
    g = rng.standard_normal((2, 3, 2, 2))
    report = CheckReport({"w": BlockResult("w", g, g + 1e-12, np.zeros(g.shape, dtype=bool))},
                         settings={"epsilon": 1e-7})
    window.show_report(report)
    assert window.report is report
    assert window.heatmap.shapes() == {"w": (2, 3, 2, 2)}
