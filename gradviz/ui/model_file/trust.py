"""Running a model file runs its code: the user decides once per file (remembered by its resolved
path in the settings)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from gradviz.ui.common.dialogs import excerpt
from gradviz.ui.common.settings import AppSettings


def may_run(parent: QWidget | None, path: Path, settings: AppSettings, trust: bool = False) -> bool:
    """Whether the Python file at ``path`` may run: ``trust``, trusted before, or the user says
    Yes now (remembered). Asks with QMessageBox.question, Yes / No, No by default."""
    if trust or settings.is_trusted(path):
        return True
    # Qt takes a text for rich text only if its first line has a tag: the name never comes first
    answer = QMessageBox.question(
        parent, "Run this Python file?",
        f"Opening a Python model runs its code, and the code of the modules it imports, with "
        f"your permissions:\n\n{excerpt(str(path), 300)}\n\nRun {excerpt(path.name, 80)}? "
        "Yes: gradviz runs it again, without asking, each time you save it.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    if answer != QMessageBox.StandardButton.Yes:
        return False
    settings.trust(path)
    return True
