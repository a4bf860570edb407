"""UI fixtures: the main window driven by qtbot, with QSettings in a temporary folder."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QMessageBox, QWidget

from gradviz.ui import MainWindow
from gradviz.ui.check.heatmap_view import HeatmapView
from gradviz.ui.common.theme import apply_theme


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch, qapp):
    """Every UI test reads and writes its own settings and app data (autosaves), never the
    user's; the app has gradviz's names, as when started by gradviz.ui.app."""
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "data"))
    qapp.setOrganizationName("gradviz")
    qapp.setApplicationName("gradviz")
    return folder


@pytest.fixture
def dialogs(monkeypatch):
    """gradviz's message boxes recorded instead of shown: a list of (title, text, text format);
    each is answered Ok."""
    shown = []

    def record(box):
        shown.append((box.windowTitle(), box.text(), box.textFormat()))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "exec", record)
    return shown


@pytest.fixture
def view(qtbot):
    """A shown HeatmapView, 600×400, on its own."""
    widget = HeatmapView()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def window(qtbot):
    """A shown MainWindow on the built-in demo network, closed at teardown."""
    apply_theme("light")
    win = MainWindow()
    qtbot.addWidget(win)
    win.setWindowState(Qt.WindowState.WindowNoState)  # not maximized on the offscreen screen
    win.resize(1280, 800)  # the size these tests were written at
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


# -- driving the window like a user -------------------------------------------------------------
class User:
    """Drives a window the way a person does: finds widgets by objectName, types, clicks."""

    def __init__(self, qtbot, win) -> None:
        self.qtbot, self.win = qtbot, win

    def find(self, cls, name: str):
        """The child widget ``name`` (an objectName of the UI contract); fails if missing."""
        widget = self.win.findChild(cls, name)
        assert widget is not None, f"no {cls.__name__} named {name!r}"
        return widget

    def click(self, name: str) -> None:
        self.qtbot.mouseClick(self.find(QAbstractButton, name), Qt.MouseButton.LeftButton)

    def type_into(self, name: str, text: str) -> None:
        """Select what the field holds, type ``text`` and press Enter."""
        widget = self.find(QWidget, name)
        widget.setFocus()
        self.qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.qtbot.keyClicks(widget, text)
        self.qtbot.keyClick(widget, Qt.Key.Key_Return)

    def choose(self, name: str, data) -> None:
        """Pick the item whose data (or text) is ``data``, as from the combo's popup."""
        combo = self.find(QComboBox, name)
        index = combo.findData(data)
        if index < 0:
            index = combo.findText(data)
        assert index >= 0, f"{name} has no item {data!r}"
        combo.setCurrentIndex(index)

    def run_check(self, timeout: int = 20_000):
        """Click Run check and wait for the report."""
        with self.qtbot.waitSignal(self.win.check_finished, timeout=timeout) as blocker:
            self.click("runCheckButton")
        return blocker.args[0]

    def verdict(self) -> str:
        return self.find(QLabel, "verdictLabel").text()


@pytest.fixture
def user(qtbot, window) -> User:
    return User(qtbot, window)
