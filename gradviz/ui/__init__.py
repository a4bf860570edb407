"""The gradviz desktop app (PySide6 + pyqtgraph). The only package that imports Qt."""

from gradviz.ui import pyside_fix  # noqa: F401  (must patch PySide6 before any signal is emitted)
from gradviz.ui.main_window import MainWindow

__all__ = ["MainWindow"]
