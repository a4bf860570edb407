"""``gradviz.show``: the app's window on a report or a model, from a script or a notebook.

Qt is imported only when a window is opened, so ``import gradviz`` stays Qt-free.
"""

from __future__ import annotations

import os
import sys

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.report.check_report import CheckReport

_windows: list = []  # the windows opened from IPython that are still open (kept alive)


def show(report_or_model, X=None, y=None):
    """Open the gradviz window on a CheckReport, or on a model checked first with
    ``gradient_check(model, X, y)``, and return the window.

    In IPython (a notebook or the terminal) this returns at once and the window stays live; the
    Qt event loop integration (``%gui qt``) is turned on if it is off. In a plain script it runs
    the app until the window is closed. On a machine where Qt cannot open a window (no display,
    a missing system library) it raises RuntimeError saying what to install or set.
    """
    if isinstance(report_or_model, CheckReport):
        report = report_or_model
    else:
        report = gradient_check(report_or_model, X, y)
    shell = _ipython()
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        from gradviz.ui.platform_check import start_problem

        problem = start_problem()
        if problem:
            raise RuntimeError(problem)
    if shell is not None and not str(getattr(shell, "active_eventloop", None) or "").startswith("qt"):
        os.environ.setdefault("QT_API", "pyside6")  # the binding IPython's Qt loop should use
        shell.enable_gui("qt")
    window = _open_window(report)
    if shell is None:
        QApplication.instance().exec()
    else:
        _windows[:] = [w for w in _windows if w.isVisible()] + [window]
    return window


def _ipython():
    """The running IPython shell, or None in a plain interpreter."""
    ipython = sys.modules.get("IPython")
    return None if ipython is None else ipython.get_ipython()


def _open_window(report: CheckReport):
    from gradviz.ui.app import application
    from gradviz.ui.common.settings import AppSettings
    from gradviz.ui.common.theme import apply_theme
    from gradviz.ui.main_window import MainWindow

    application()
    settings = AppSettings()
    apply_theme(settings.theme())
    window = MainWindow(settings=settings)
    window.show_report(report)
    window.show()
    window.raise_()
    return window
