"""Start the app: the QApplication, the remembered theme, the main window on the demo network."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from gradviz.resource_paths import icon_path
from gradviz.ui.common.settings import AppSettings
from gradviz.ui.common.theme import apply_theme
from gradviz.ui.main_window import MainWindow
from gradviz.ui.platform_check import cannot_start


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one named gradviz."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(["gradviz", *(argv or [])])
        app.setOrganizationName("gradviz")
        app.setApplicationName("gradviz")
        app.setWindowIcon(QIcon(str(icon_path())))
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the window (on the built-in demo, or on the session file given in ``argv``) and run
    the event loop; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if cannot_start(argv):  # no display, or a system library Qt needs (one line, exit 2)
        return 2
    app = application(argv)
    settings = AppSettings()
    apply_theme(settings.theme())
    window = MainWindow(settings=settings)
    files = [a for a in argv if not a.startswith("-") and Path(a).suffix == ".json"]
    if files:
        window.load_session(files[0])
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
