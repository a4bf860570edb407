"""The lesson browser: every shipped lesson listed by its session title, its text shown, and
Load asks for the right session file."""

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gradviz.core.data.session import Session
from gradviz.resource_paths import lessons_dir
from gradviz.ui.classroom.lesson_panel import LessonPanel, find_lessons


@pytest.fixture
def panel(qtbot):
    widget = LessonPanel()
    qtbot.addWidget(widget)
    return widget


def test_lists_every_shipped_lesson_by_its_session_title(panel):
    sessions = sorted(lessons_dir().glob("*.gradviz.json"))
    assert len(sessions) >= 10
    assert panel.list.count() == len(sessions)
    for row, path in enumerate(sessions):
        title = json.loads(path.read_text(encoding="utf-8"))["title"]
        assert panel.list.item(row).text() == f"{row + 1}. {title}"


def test_shows_the_selected_lessons_text(panel):
    panel.select(4)
    lesson = panel.current()
    assert lesson.session.name.startswith("05-")
    first_line = lesson.text.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    assert first_line in panel.text.toPlainText()
    assert "#" not in panel.text.toPlainText().splitlines()[0]  # rendered, not raw markdown


def test_load_emits_the_selected_lessons_session_path(qtbot, panel):
    panel.select(1)
    with qtbot.waitSignal(panel.lesson_requested) as blocker:
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    path = Path(blocker.args[0])
    assert path == find_lessons()[1].session
    assert Session.load(path).check.bug == "dW_x2:2"  # lesson 2 plants a bug


def test_next_and_previous_walk_the_list_and_stop_at_the_ends(qtbot, panel):
    assert panel.list.currentRow() == 0
    assert not panel.previous_button.isEnabled()
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert panel.list.currentRow() == 1
    qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    assert panel.list.currentRow() == 0
    last = panel.list.count() - 1
    panel.select(last)
    assert not panel.next_button.isEnabled()
    panel.step(5)
    assert panel.list.currentRow() == last


def test_select_path_finds_a_lesson_opened_elsewhere(panel, tmp_path):
    lesson = find_lessons()[6]
    assert panel.select_path(lesson.session)
    assert panel.current() == lesson
    assert not panel.select_path(tmp_path / "other.gradviz.json")
    with pytest.raises(ValueError, match="lesson row"):
        panel.select(99)


def test_a_folder_without_text_or_title_still_lists_the_lesson(qtbot, tmp_path):
    (tmp_path / "01-bare.gradviz.json").write_text("{}", encoding="utf-8")
    widget = LessonPanel(tmp_path)
    qtbot.addWidget(widget)
    assert widget.list.item(0).text() == "1. 01-bare"
    assert "missing" in widget.text.toPlainText()
