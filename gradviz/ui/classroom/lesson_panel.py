"""The lesson browser: the shipped lessons by title, the selected lesson's text beside the app,
and a button that asks the window to load the lesson's session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gradviz.resource_paths import lessons_dir

SESSION_SUFFIX = ".gradviz.json"


@dataclass(frozen=True)
class Lesson:
    """One lesson: its session file, its text file (markdown) and the session's title."""

    session: Path
    text: Path
    title: str


def find_lessons(folder: str | Path | None = None) -> list[Lesson]:
    """The lessons in ``folder`` (default: the shipped ones), in file-name order (NN-name).

    A lesson is a NN-name.gradviz.json session beside a NN-name.md text; the title comes from
    the session (the file name when the session has none or cannot be read).
    """
    folder = Path(folder) if folder is not None else lessons_dir()
    lessons = []
    for session in sorted(folder.glob(f"*{SESSION_SUFFIX}")):
        stem = session.name[: -len(SESSION_SUFFIX)]
        try:
            title = str(json.loads(session.read_text(encoding="utf-8")).get("title", ""))
        except (OSError, ValueError, AttributeError):
            title = ""
        lessons.append(Lesson(session, session.with_name(stem + ".md"), title or stem))
    return lessons


class LessonPanel(QWidget):
    """Lists the lessons; shows the selected one's text. Emits lesson_requested(str path) when
    the user asks to load it (the window opens that session)."""

    lesson_requested = Signal(str)

    def __init__(self, folder: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self._lessons = find_lessons(folder)

        self.list = QListWidget(objectName="lessonList")
        for number, lesson in enumerate(self._lessons, start=1):
            item = QListWidgetItem(f"{number}. {lesson.title}")
            item.setData(Qt.ItemDataRole.UserRole, str(lesson.session))
            item.setToolTip(lesson.session.name)
            self.list.addItem(item)
        self.text = QTextBrowser(objectName="lessonText")
        self.text.setOpenExternalLinks(True)

        self.previous_button = QPushButton("◀ Previous", objectName="previousLessonButton")
        self.next_button = QPushButton("Next ▶", objectName="nextLessonButton")
        self.load_button = QPushButton("Load lesson", objectName="loadLessonButton")
        self.load_button.setToolTip("Open this lesson's network, data and check settings")
        self.load_button.setDefault(True)
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.load_button.clicked.connect(self.request_load)
        self.list.currentRowChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _item: self.request_load())

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(self.text)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.load_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        if self._lessons:
            self.list.setCurrentRow(0)
        else:
            self.text.setPlainText("No lessons found.")
        self._update_buttons()

    # -- state ---------------------------------------------------------------------------------
    def lessons(self) -> list[Lesson]:
        return list(self._lessons)

    def current(self) -> Lesson | None:
        row = self.list.currentRow()
        return self._lessons[row] if 0 <= row < len(self._lessons) else None

    def select(self, row: int) -> None:
        """Show lesson ``row`` (0-based); ValueError outside the list."""
        if not 0 <= row < len(self._lessons):
            raise ValueError(f"lesson row must be between 0 and {len(self._lessons) - 1}; got {row}")
        self.list.setCurrentRow(row)

    def select_path(self, path: str | Path) -> bool:
        """Show the lesson whose session is ``path`` (e.g. opened from the File menu); False if
        it is not a lesson."""
        target = Path(path).resolve()
        for row, lesson in enumerate(self._lessons):
            if lesson.session.resolve() == target:
                self.list.setCurrentRow(row)
                return True
        return False

    def step(self, delta: int) -> None:
        """Move the selection by ``delta`` lessons, staying within the list."""
        if self._lessons:
            self.list.setCurrentRow(min(max(self.list.currentRow() + delta, 0), len(self._lessons) - 1))

    def request_load(self) -> None:
        lesson = self.current()
        if lesson is not None:
            self.lesson_requested.emit(str(lesson.session))

    # -- display -------------------------------------------------------------------------------
    def _show(self, row: int) -> None:
        lesson = self.current()
        if lesson is None:
            self.text.clear()
        else:
            try:
                self.text.setMarkdown(lesson.text.read_text(encoding="utf-8"))
            except OSError:
                self.text.setPlainText(f"{lesson.title}\n\n(no text: {lesson.text.name} is missing)")
        self._update_buttons()

    def _update_buttons(self) -> None:
        row, n = self.list.currentRow(), len(self._lessons)
        self.previous_button.setEnabled(row > 0)
        self.next_button.setEnabled(0 <= row < n - 1)
        self.load_button.setEnabled(0 <= row < n)
