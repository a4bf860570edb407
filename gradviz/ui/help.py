"""The Help menu's windows: the user guide (the README's app section and the lessons, rendered
from markdown in a QTextBrowser), the keyboard shortcuts (read from the window's own actions, so
the list is never out of date) and About with the versions of gradviz, Qt and numpy."""

from __future__ import annotations

import importlib.metadata
import platform
import re
from pathlib import Path

import numpy as np
import pyqtgraph
import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

import gradviz
from gradviz.resource_paths import lessons_dir
from gradviz.ui.common.dialogs import message_box
from gradviz.ui.common.screen import screen_of

GUIDE_SECTIONS = ("The app", "Automating the app with pytest-qt")


def readme_text() -> str:
    """The README: beside the package in a checkout, else the installed package's description."""
    beside = Path(gradviz.__file__).resolve().parent.parent / "README.md"
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    try:
        meta = importlib.metadata.metadata("gradviz")
    except importlib.metadata.PackageNotFoundError:
        return ""
    return meta.get_payload() or meta.get("Description", "") or ""


def section(markdown: str, title: str) -> str:
    """The level-2 section ``## title`` of ``markdown`` (up to the next level-2 heading), or ""."""
    match = re.search(rf"^## {re.escape(title)}[ \t]*$(.*?)(?=^## |\Z)", markdown, re.MULTILINE | re.DOTALL)
    return f"## {title}{match.group(1).rstrip()}\n" if match else ""


def _demote(markdown: str) -> str:
    """Every heading one level deeper (a lesson's "# 1. …" becomes "### 1. …" under Lessons)."""
    return re.sub(r"^(#{1,5}) ", r"#\1# ", markdown, flags=re.MULTILINE)


def guide_markdown() -> str:
    """The user guide: the README's app sections, then every lesson's text."""
    readme = readme_text()
    parts = ["# gradviz user guide\n"]
    parts += [section(readme, title) for title in GUIDE_SECTIONS]
    if not any(parts[1:]):
        parts.append("The README is not installed with this copy of gradviz.\n")
    lessons = sorted(lessons_dir().glob("*.md")) if lessons_dir().is_dir() else []
    if lessons:
        parts.append("## Lessons\n\nOpen them from Classroom › Lessons: each loads a session and "
                     "shows this text beside the app.\n")
        parts += [_demote(p.read_text(encoding="utf-8")) for p in lessons]
    return "\n".join(p for p in parts if p)


def shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(what, keys) for every action of ``window`` (menus included) that has a shortcut."""
    rows, seen = [], set()
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        text = action.text().replace("&", "").rstrip(".…")
        if keys and text and (text, keys[0]) not in seen:
            seen.add((text, keys[0]))
            rows.append((text, ", ".join(keys)))
    return sorted(rows, key=lambda row: row[0].lower())


def shortcuts_markdown(window: QWidget) -> str:
    rows = "\n".join(f"| {what} | {keys} |" for what, keys in shortcuts(window))
    return ("# Keyboard shortcuts\n\n| Action | Keys |\n|---|---|\n" + rows + "\n\n"
            "Undo and Redo work in number fields too: with a value typed but not yet entered, "
            "Undo first drops it. The mouse wheel changes a value only in the field that has the "
            "keyboard focus; elsewhere it scrolls the panel.\n")


def about_text() -> str:
    return (f"gradviz {gradviz.__version__}\n"
            "A visual debugger for backpropagation: gradient checking with a per-component "
            "heatmap.\n\n"
            f"Qt {qVersion()} (PySide6 {PySide6.__version__})\n"
            f"numpy {np.__version__}\n"
            f"pyqtgraph {pyqtgraph.__version__}\n"
            f"Python {platform.python_version()}")


class MarkdownWindow(QDialog):
    """A non-modal window that shows markdown (links open in the browser)."""

    def __init__(self, title: str, markdown: str, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser(objectName=object_name)
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(markdown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        screen = screen_of(parent or self)
        if screen is not None:
            available = screen.availableGeometry().size()
            self.resize(min(820, int(available.width() * 0.8)), int(available.height() * 0.8))


class HelpMenu:
    """Fills ``menu`` with User guide (F1), Keyboard shortcuts and About gradviz."""

    def __init__(self, window: QWidget, menu) -> None:
        self.window = window
        self.windows: dict[str, MarkdownWindow] = {}
        self.guide_action = menu.addAction("&User guide", self.show_guide)
        self.guide_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.guide_action.setObjectName("userGuideAction")
        self.shortcuts_action = menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        self.shortcuts_action.setObjectName("shortcutsAction")
        menu.addSeparator()
        self.about_action = menu.addAction("&About gradviz", self.show_about)
        self.about_action.setObjectName("aboutAction")

    def show_guide(self) -> MarkdownWindow:
        return self._show("guide", "gradviz user guide", guide_markdown(), "userGuide")

    def show_shortcuts(self) -> MarkdownWindow:
        return self._show("shortcuts", "Keyboard shortcuts", shortcuts_markdown(self.window), "shortcutsText")

    def show_about(self) -> None:
        box = message_box(self.window, QMessageBox.Icon.Information, "About gradviz", about_text())
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.exec()

    def _show(self, key: str, title: str, markdown: str, object_name: str) -> MarkdownWindow:
        win = self.windows.get(key)
        if win is None:
            win = self.windows[key] = MarkdownWindow(title, markdown, object_name, self.window)
        else:
            win.browser.setMarkdown(markdown)
        win.show()
        win.raise_()
        return win
