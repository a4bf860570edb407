"""The gradviz desktop app: PySide6 widgets over the numpy engine in gradviz.core."""

from gradviz.ui import pyside_fix  # noqa: F401  (must run before Qt calls back into Python)
