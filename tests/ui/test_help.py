"""The Help menu: the user guide (the README's app section and the lessons, from markdown), the
keyboard shortcuts read from the window's actions, and About with the versions; and the app's
entry point opening a file given to it."""

import numpy as np
import PySide6
from PySide6.QtCore import QTimer, qVersion
from PySide6.QtWidgets import QApplication, QMessageBox, QTextBrowser

import gradviz
from gradviz.resource_paths import lessons_dir
from gradviz.ui import MainWindow
from gradviz.ui.app import main
from gradviz.ui.help import about_text, guide_markdown, section, shortcuts
from gradviz.ui.main_window import demo_session

README = """# x

## The app

The window.

### Detail

More.

## Session files

Not this.
"""


def test_section_takes_one_level_two_section():
    assert section(README, "The app") == "## The app\n\nThe window.\n\n### Detail\n\nMore.\n"
    assert section(README, "Missing") == ""


def test_the_user_guide_holds_the_app_section_and_every_lesson(qtbot, window):
    guide = guide_markdown()
    assert "## The app" in guide
    for lesson in sorted(lessons_dir().glob("*.md")):
        first = lesson.read_text(encoding="utf-8").splitlines()[0]
        assert "##" + first in guide  # each lesson, one heading level deeper
    shown = window.files.help.show_guide()
    qtbot.addWidget(shown)
    browser = shown.findChild(QTextBrowser, "userGuide")
    text = browser.toPlainText()
    assert "gradviz user guide" in text
    assert "One-sided vs centered differences" in text
    assert "##" not in text  # rendered, not shown as markdown source


def test_the_shortcuts_come_from_the_window_actions(qtbot, window):
    rows = dict(shortcuts(window))
    assert "Ctrl+R" in rows["Run check"]
    assert "Ctrl+Shift+R" in rows["Quick check"]
    assert "Ctrl+Z" in rows["Undo"]
    assert "Ctrl+Shift+Z" in rows["Redo"]
    assert "F11" in rows["Presenter view"]
    shown = window.files.help.show_shortcuts()
    qtbot.addWidget(shown)
    assert "Run check" in shown.browser.toPlainText()


def test_about_names_the_versions(window, dialogs):
    window.files.help.about_action.trigger()
    title, text, text_format = dialogs[0]
    assert title == "About gradviz"
    assert text_format.name == "PlainText"
    for version in (gradviz.__version__, qVersion(), PySide6.__version__, np.__version__):
        assert version in text
    assert about_text() == text


def test_main_opens_a_session_given_on_the_command_line(qtbot, tmp_path):
    path = tmp_path / "mine.gradviz.json"
    session = demo_session()
    session.check.sample = 7
    session.save(path)
    opened = []

    def close_it():
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        opened.extend((w.session().check.sample, w.windowTitle()) for w in shown)
        for w in shown:
            w.close()

    QTimer.singleShot(300, close_it)
    assert main([str(path)]) == 0
    assert opened == [(7, "mine.gradviz.json[*] — gradviz")]


def test_main_says_why_it_cannot_open_another_kind_of_file(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
    closed = []

    def close_it():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow) and w.isVisible():
                closed.append(w.problem.net.spec.sizes)
                w.close()

    QTimer.singleShot(300, close_it)
    assert main([str(tmp_path / "notes.txt")]) == 0
    assert closed == [[2, 16, 3]]  # the demo, unchanged
    assert "session files" in shown[0]
