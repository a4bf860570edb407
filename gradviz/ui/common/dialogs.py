"""Message boxes that show text as text: a session file's content can never format, link or colour
a dialog (Qt.TextFormat.PlainText), and what quotes user data is cut to a short excerpt with
control characters escaped."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

MAX_CHARS = 600
MAX_LINE = 200


def excerpt(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` with control characters escaped (newlines kept), lines cut to MAX_LINE and the
    whole to ``limit`` characters, each cut marked with "…"."""
    lines = []
    for line in str(text).splitlines() or [""]:
        line = "".join(ch if ch.isprintable() or ch == "\t" else repr(ch)[1:-1] for ch in line)
        lines.append(line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…")
    out = "\n".join(lines)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def message_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
                buttons=QMessageBox.StandardButton.Ok) -> QMessageBox:
    """A QMessageBox whose text is plain text (never rich text)."""
    box = QMessageBox(icon, title, excerpt(text), buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    """A modal error dialog in plain text."""
    message_box(parent, QMessageBox.Icon.Critical, title, text).exec()


def ask_save(parent: QWidget | None, name: str, before: str) -> QMessageBox.StandardButton:
    """Save, Discard or Cancel, asked before ``before`` ("quitting", "opening another
    session") when ``name`` has unsaved changes (QMessageBox.question)."""
    buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
               | QMessageBox.StandardButton.Cancel)
    # Qt takes a text for rich text only if its first line has a tag: the name never comes first
    return QMessageBox.question(
        parent, "Unsaved changes",
        f"These changes are not saved:\n{excerpt(name, 120)}\n\nSave them before {before}?",
        buttons, QMessageBox.StandardButton.Save)
