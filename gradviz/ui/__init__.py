"""The gradviz desktop app (PySide6 + pyqtgraph). The only package that imports Qt."""

from gradviz.ui.main_window import MainWindow

__all__ = ["MainWindow"]
