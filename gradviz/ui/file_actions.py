"""The window's menus: File (open a session or a Python model, recent, presets, save, export), Edit
(undo, redo), Check, View (docks, theme), Help. File dialogs live here; the window only loads and
saves. Opening another session, a model or a preset first asks to save unsaved changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu

from gradviz.resource_paths import presets_dir
from gradviz.ui.common.theme import apply_theme, current_theme
from gradviz.ui.help import HelpMenu

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow

SESSION_FILTER = "gradviz sessions (*.gradviz.json);;JSON files (*.json);;All files (*)"
MODEL_FILTER = "Python model files (*.py)"
SUFFIX = ".gradviz.json"


def presets() -> list[tuple[str, Path]]:
    """(title, path) of every shipped preset, by file name."""
    out = []
    for path in sorted(presets_dir().glob("*.json")):
        try:
            title = json.loads(path.read_text(encoding="utf-8")).get("title") or path.stem
        except (OSError, ValueError, AttributeError):
            title = path.name
        out.append((str(title), path))
    return out


class FileActions:
    """Builds the menu bar of ``window`` and runs its file dialogs."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open…", self.open, QKeySequence.StandardKey.Open)
        self.open_model_action = self._action(file_menu, "Open Python &model…", self.open_model,
                                              QKeySequence("Ctrl+Shift+O"))
        self.open_model_action.setObjectName("openModelAction")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.presets_menu = file_menu.addMenu("&Presets")
        for title, path in presets():
            self._action(self.presets_menu, title, lambda p=path: window.open_session(p, remember=False))
        file_menu.addSeparator()
        self.save_action = self._action(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action(file_menu, "Save &As…", self.save_as,
                                           QKeySequence.StandardKey.SaveAs)
        self.params_action = self._action(file_menu, "Include the parameters when saving", None)
        self.params_action.setCheckable(True)
        self.params_action.setChecked(window.app_settings.save_params())
        self.params_action.toggled.connect(window.app_settings.set_save_params)
        file_menu.addSeparator()
        self.png_action = self._action(file_menu, "Export heatmap as &PNG…", self.export_png,
                                       QKeySequence("Ctrl+E"))
        self.csv_action = self._action(file_menu, "Export report as &CSV…", self.export_csv,
                                       QKeySequence("Ctrl+Shift+E"))
        file_menu.addSeparator()
        self.quit_action = self._action(file_menu, "&Quit", window.quit, QKeySequence.StandardKey.Quit)

        self.edit_menu = bar.addMenu("&Edit")
        check_menu = bar.addMenu("&Check")
        self.run_action = self._action(check_menu, "&Run check", window.run_check,
                                       QKeySequence("Ctrl+R"))
        self.quick_action = self._action(check_menu, "&Quick check", window.run_quick_check,
                                         QKeySequence("Ctrl+Shift+R"))
        self.cancel_action = self._action(check_menu, "&Cancel check", window.cancel_check,
                                          QKeySequence("Ctrl+."))
        self.view_menu = bar.addMenu("&View")
        theme_menu = self.view_menu.addMenu("&Theme")
        group = QActionGroup(theme_menu)
        for theme in ("system", "light", "dark"):
            action = self._action(theme_menu, theme.capitalize(), lambda t=theme: self.set_theme(t))
            action.setCheckable(True)
            action.setChecked(theme == current_theme())
            group.addAction(action)
        self.view_menu.addSeparator()
        self.help = HelpMenu(window, bar.addMenu("&Help"))

    def _action(self, menu: QMenu, text: str, slot, shortcut=None) -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(shortcut)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        return action

    def add_undo_stack(self, stack) -> None:
        """Put a QUndoStack's undo/redo actions in the Edit menu: the platform's keys, and
        Ctrl+Z / Ctrl+Shift+Z everywhere."""
        undo = stack.createUndoAction(self.window, "&Undo")
        redo = stack.createRedoAction(self.window, "&Redo")
        undo.setObjectName("undoAction")
        redo.setObjectName("redoAction")
        for action, key, extra in ((undo, QKeySequence.StandardKey.Undo, "Ctrl+Z"),
                                   (redo, QKeySequence.StandardKey.Redo, "Ctrl+Shift+Z")):
            keys = QKeySequence.keyBindings(key)
            action.setShortcuts([*keys, *([QKeySequence(extra)] if QKeySequence(extra) not in keys else [])])
        self.edit_menu.addActions([undo, redo])

    # -- files ---------------------------------------------------------------------------------
    def open(self) -> None:
        if not self.window.document.maybe_save("opening another session"):
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a session", self._folder(), SESSION_FILTER)
        if path:
            self.window.load_session(path)

    def open_model(self) -> None:
        """Choose a .py file whose gradviz_model() gives the model to check."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a Python model", self._folder(),
                                              MODEL_FILTER)
        if path:
            self.window.load_model_file(path)

    def save(self) -> bool:
        """Save to the session's file (asking for one if it has none); whether it was saved."""
        if self.window.path is None:
            return self.save_as()
        return self.window.save_session(self.window.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the session", self._folder(), SESSION_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += SUFFIX
        return self.window.save_session(path)

    def export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export the heatmap", self._folder(),
                                              "PNG images (*.png)")
        if path:
            self.window.export_heatmap(path if path.lower().endswith(".png") else path + ".png")

    def export_csv(self) -> None:
        if self.window.report is None:
            self.window.statusBar().showMessage("Run a check first: there is no report to export", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Export the report", self._folder(),
                                              "CSV files (*.csv)")
        if path:
            self.window.export_report(path if path.lower().endswith(".csv") else path + ".csv")

    def _folder(self) -> str:
        recent = self.window.app_settings.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.window.app_settings.recent_files()
        for path in files:
            self._action(self.recent_menu, path, lambda p=path: self._open_recent(p))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _open_recent(self, path: str) -> None:
        if path.lower().endswith(".py"):  # a model file: asks to save and to run it itself
            if not self.window.load_model_file(path) and not Path(path).is_file():
                self.window.app_settings.remove_recent_file(path)
            return
        if not self.window.document.maybe_save("opening another session"):
            return
        if not self.window.load_session(path):
            self.window.app_settings.remove_recent_file(path)

    # -- view ----------------------------------------------------------------------------------
    def set_theme(self, theme: str) -> None:
        apply_theme(theme)
        self.window.app_settings.set_theme(theme)
