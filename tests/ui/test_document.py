"""Nothing is ever lost: the modified mark, the Save / Discard / Cancel prompt before quitting or
opening another session, all-or-nothing opening, plain-text error dialogs, and autosave with
recovery after the app is killed."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gradviz.core.data.session import Session
from gradviz.core.model.network import Network
from gradviz.ui import MainWindow
from gradviz.ui.autosave import orphans
from gradviz.ui.common.dialogs import excerpt
from gradviz.ui.file_actions import presets

ROOT = Path(__file__).resolve().parents[2]
Button = QMessageBox.StandardButton


@pytest.fixture
def answers(monkeypatch):
    """QMessageBox.question answered from a list (first in, first used); the questions asked are
    recorded in ``answers.asked``."""

    class Answers(list):
        asked: list[str]

    queue = Answers()
    queue.asked = []

    def question(parent, title, text, buttons=None, default=None):
        queue.asked.append(text)
        return queue.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    return queue


def edit(user) -> None:
    user.choose("methodCombo", "forward")


# -- the modified mark -----------------------------------------------------------------------------
def test_the_title_marks_unsaved_edits_until_saved_or_undone(qtbot, user, window, tmp_path):
    assert "[*]" in window.windowTitle()
    assert not window.isWindowModified()
    edit(user)
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert not window.isWindowModified()  # back to the state as opened
    window.undo_stack.redo()
    assert window.isWindowModified()
    assert window.save_session(tmp_path / "s.gradviz.json")
    assert not window.isWindowModified()
    window.training_dock.raise_()
    user.type_into("lrInput", "0.2")
    assert window.isWindowModified()  # training settings are saved too


# -- the prompt ------------------------------------------------------------------------------------
def test_quit_cancel_keeps_everything(user, window, answers):
    edit(user)
    answers.append(Button.Cancel)
    assert window.quit() is False
    assert window.isVisible()
    assert window.isWindowModified()
    assert "not saved" in answers.asked[0]


def test_quit_discard_closes_without_writing(user, window, answers, tmp_path):
    path = tmp_path / "s.gradviz.json"
    assert window.save_session(path)
    before = path.read_text()
    edit(user)
    answers.append(Button.Discard)
    assert window.quit() is True
    assert not window.isVisible()
    assert path.read_text() == before


def test_quit_save_writes_the_edit_first(user, window, answers, tmp_path):
    path = tmp_path / "s.gradviz.json"
    assert window.save_session(path)
    edit(user)
    answers.append(Button.Save)
    assert window.quit() is True
    assert Session.load(path).check.method == "forward"


def test_quit_save_of_an_untitled_session_asks_where(user, window, answers, tmp_path, monkeypatch):
    target = tmp_path / "new"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    edit(user)
    answers.append(Button.Save)
    assert window.quit() is True
    assert Session.load(tmp_path / "new.gradviz.json").check.method == "forward"


def test_nothing_to_save_asks_nothing(window, answers):
    assert window.quit() is True
    assert answers.asked == []


def test_opening_a_preset_asks_first(user, window, answers):
    edit(user)
    preset = window.files.presets_menu.actions()[0]
    answers.append(Button.Cancel)
    preset.trigger()
    assert window.session().check.method == "forward"  # still the edited session
    answers.append(Button.Discard)
    preset.trigger()
    assert window.session().title == presets()[0][0]
    assert window.session().check.method == "centered"
    assert not window.isWindowModified()
    assert len(answers.asked) == 2


def test_file_open_cancelled_at_the_prompt_shows_no_file_dialog(user, window, answers, monkeypatch):
    opened = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: opened.append(1) or ("", ""))
    edit(user)
    answers.append(Button.Cancel)
    window.files.open()
    assert opened == []


# -- opening is all or nothing ---------------------------------------------------------------------
def test_a_session_that_fails_half_way_leaves_the_window_as_it_was(window, dialogs, tmp_path, monkeypatch):
    before = window.session().to_dict()
    other = tmp_path / "other.gradviz.json"
    session = Session.from_dict({**before, "title": "other"})
    session.check.method = "richardson"
    session.save(other)

    original = window.check_panel.set_check_settings

    def broken(settings):  # fails half way through showing the other session only
        if settings.method == "richardson":
            raise RuntimeError("a panel broke")
        original(settings)

    monkeypatch.setattr(window.check_panel, "set_check_settings", broken)
    assert window.load_session(other) is False
    assert window.session().to_dict() == before
    assert len(dialogs) == 1
    assert "a panel broke" in dialogs[0][1]
    saved = tmp_path / "saved.gradviz.json"
    assert window.save_session(saved)
    assert Session.load(saved).to_dict() == Session.from_dict(before).to_dict()  # no mix


def test_an_unexpected_error_while_opening_is_a_dialog(window, dialogs, tmp_path, monkeypatch):
    before = window.session().to_dict()
    path = tmp_path / "odd.gradviz.json"
    window.save_session(path)
    monkeypatch.setattr(Session, "load", classmethod(lambda cls, p: 1 / 0))
    assert window.load_session(path) is False
    assert "ZeroDivisionError" in dialogs[0][1]
    assert window.session().to_dict() == before


def test_error_dialogs_show_html_from_the_file_as_text(window, dialogs, tmp_path):
    bait = "<b style='color:red'>PLEASE RE-ENTER YOUR PASSWORD</b>"
    path = tmp_path / "bait.gradviz.json"
    path.write_text(json.dumps({"format": "gradviz-session", "version": 1,
                                "spec": {"input_dim": bait, "layers": []}}))
    assert window.load_session(path) is False
    _title, text, text_format = dialogs[0]
    assert text_format.name == "PlainText"
    assert "<b style=" in text  # shown literally, never rendered


def test_excerpts_are_short_and_escaped():
    long = "x" * 5000 + "\x1b[31m"
    out = excerpt(f"bad value {long}\nsecond line\x00")
    assert len(out) <= 600
    assert "\x1b" not in out
    assert "\x00" not in out
    assert "\\x00" in out
    assert out.endswith("…") or "second line" in out


# -- autosave and recovery -------------------------------------------------------------------------
def test_an_edit_is_autosaved_and_a_normal_close_removes_it(qtbot, user, window):
    saver = window.document.autosaver
    with qtbot.waitSignal(saver.saved, timeout=10_000) as saved:
        edit(user)
    path = Path(saved.args[0])
    assert Session.load(path).check.method == "forward"
    window.close()
    assert not path.exists()
    assert orphans(saver.folder) == []


CHILD = """
import json
from gradviz.ui.app import application
from gradviz.ui.main_window import MainWindow
app = application()
window = MainWindow()
window.show()
window.training_panel.step_once()  # θ moves away from the seeded initialization
panel = window.check_panel
panel.method_combo.setCurrentIndex(panel.method_combo.findData("richardson"))
panel.epsilon_input.setText("1e-5")
panel.epsilon_input.editingFinished.emit()
window.document.autosaver.save_now()  # as the timer does a few seconds after the last edit
print(json.dumps({"W1": float(window.problem.net.params["W1"].sum())}), flush=True)
app.exec()  # mid-edit, until killed
"""


def killed_mid_edit(tmp_path) -> float:
    """Run a window in a child process, edit, wait for its autosave, kill -9 it; returns the sum
    of its (trained) W1."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True)
    try:
        return json.loads(child.stdout.readline())["W1"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()


def test_work_killed_mid_edit_is_offered_back_at_the_next_start(qtbot, tmp_path, answers):
    trained = killed_mid_edit(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    folder = window.document.autosaver.folder
    assert len(orphans(folder)) == 1  # the killed window's, not this one's
    answers.append(Button.Cancel)
    assert window.offer_recovery() is False
    assert len(orphans(folder)) == 1  # kept for next time
    answers.append(Button.Open)
    assert window.offer_recovery() is True
    session = window.session()
    assert session.check.method == "richardson"
    assert session.check.epsilon == 1e-5
    restored = float(window.problem.net.params["W1"].sum())
    assert restored == pytest.approx(trained, rel=1e-12)
    assert restored != pytest.approx(float(Network(session.spec).params["W1"].sum()))
    assert window.isWindowModified()  # restored work is unsaved work
    assert orphans(folder) == []
    assert "gradviz closed without saving" in answers.asked[-1]


def test_discarding_the_offer_deletes_the_autosave(qtbot, tmp_path, answers):
    killed_mid_edit(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    answers.append(Button.Discard)
    assert window.offer_recovery() is False
    assert orphans(window.document.autosaver.folder) == []
    assert window.session().check.method == "centered"
