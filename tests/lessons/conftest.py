"""Lessons are followed through the app: the UI tests' window and user, and a lesson opener."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.ui.conftest import User, isolated_settings, window  # noqa: F401 (fixtures)


class Student(User):
    """A user who follows lessons: opens them from the lesson panel, trains N iterations. Asked
    to save their edits before another session opens, they discard them (``asked`` holds the
    questions' titles)."""

    def __init__(self, qtbot, win) -> None:
        super().__init__(qtbot, win)
        self.asked: list[str] = []

    def answer(self, _parent, title: str, *_args) -> QMessageBox.StandardButton:
        self.asked.append(title)
        return QMessageBox.StandardButton.Discard

    def open_lesson(self, number: int) -> None:
        lessons = self.win.classroom.lessons
        self.win.classroom.actions["lessons"].trigger()
        lessons.select(number - 1)
        self._opening(lambda: self.click("loadLessonButton"))
        assert lessons.current().title in self.win.windowTitle()

    def load_preset(self, title_start: str) -> None:
        actions = [a for a in self.win.files.presets_menu.actions() if a.text().startswith(title_start)]
        assert len(actions) == 1, title_start
        self._opening(actions[0].trigger)
        assert title_start in self.win.windowTitle()

    def _opening(self, open_it) -> None:
        """Open another session: the unsaved-changes question comes exactly when there are edits."""
        edited, asked = self.win.isWindowModified(), len(self.asked)
        open_it()
        assert self.asked[asked:] == (["Unsaved changes"] if edited else [])
        assert not self.win.isWindowModified()

    def train(self, n: int, timeout: int = 60_000) -> None:
        """Set Iterations to n and press Train N; return once training paused."""
        panel = self.win.training_panel
        self.type_into("trainItersInput", str(n))
        with self.qtbot.waitSignal(panel.running_changed, check_params_cb=lambda running: not running,
                                   timeout=timeout):
            self.qtbot.mouseClick(panel.trainItersButton, Qt.MouseButton.LeftButton)
        assert panel.trainer.iteration >= n

    def open(self, action: str) -> None:
        self.win.classroom.actions[action].trigger()


@pytest.fixture
def student(qtbot, window, monkeypatch):  # noqa: F811
    student = Student(qtbot, window)
    monkeypatch.setattr(QMessageBox, "question", student.answer)
    return student
