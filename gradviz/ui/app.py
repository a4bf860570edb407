"""Start the app: the QApplication, the remembered theme, the main window on the demo network or on
a file, and the offer to restore work that a crash left unsaved."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from gradviz.resource_paths import icon_path
from gradviz.ui.common.dialogs import show_error
from gradviz.ui.common.input_guard import install_input_guard
from gradviz.ui.common.settings import AppSettings
from gradviz.ui.common.theme import apply_theme
from gradviz.ui.main_window import MainWindow
from gradviz.ui.platform_check import cannot_start

SESSION_SUFFIXES = (".json",)
MODEL_SUFFIX = ".py"


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one named gradviz (its app-data folder holds the
    autosaves)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(["gradviz", *(argv or [])])
        app.setOrganizationName("gradviz")
        app.setApplicationName("gradviz")
        app.setWindowIcon(QIcon(str(icon_path())))
    install_input_guard()
    return app


def open_path(window: MainWindow, path: str | Path) -> bool:
    """Open ``path`` in ``window`` by its kind (a session: ``*.json``; a model file: ``*.py``,
    after asking to run it unless trusted before); a plain-text dialog says why when it cannot
    be opened."""
    path = Path(path)
    if path.suffix.lower() in SESSION_SUFFIXES:
        return window.open_session(path)
    if path.suffix.lower() == MODEL_SUFFIX:
        return window.load_model_file(path)
    show_error(window, "Cannot open the file",
               f"{path}:\ngradviz opens session files (.gradviz.json) and Python model files (.py); "
               "this file is neither.")
    return False


def main(argv: list[str] | None = None) -> int:
    """Open the window on the built-in demo, or on the file given in ``argv`` (``main([path])``:
    a session ``.gradviz.json`` or a model file ``.py``), offer to restore autosaved work, and
    run the event loop; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if cannot_start(argv):  # no display, or a system library Qt needs (one line, exit 2)
        return 2
    if QApplication.instance() is None:
        app = application(argv)
        argv = app.arguments()[1:]  # without the options Qt took for itself (-style, …)
    else:
        app = application(argv)
    settings = AppSettings()
    apply_theme(settings.theme())
    window = MainWindow(settings=settings)
    window.show()
    window.offer_recovery()
    files = [a for a in argv if not a.startswith("-")]
    if files:
        open_path(window, files[0])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
