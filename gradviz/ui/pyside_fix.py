"""A guard against PySide6 builds that drop references to None and True (seen with PySide6 6.12.0
on Python 3.11).

On such a build every ``signal.emit(...)`` made from Python takes one reference from ``True``, and
every Python slot or virtual override called from Qt (``paint``, ``paintEvent``, a slot connected
to a timer) takes one from ``None``. On Python 3.12+ these objects are immortal and nothing
happens; on 3.11 the count reaches zero after a few thousand calls and the interpreter aborts
("Fatal Python error: none_dealloc"). pyqtgraph repaints and emits constantly, so a live plot
dies within a minute. ``apply()`` detects the fault and, only then, gives None, True and False a
reference count so large that no session can exhaust it: what Python 3.12 does by design.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

#: references added to None, True and False (the objects are static and never freed either way)
PIN = 1 << 40


class _Probe(QObject):
    fired = Signal()


def emit_leaks() -> bool:
    """True if ``emit()`` lowers the reference count of True (the faulty build)."""
    if sys.version_info >= (3, 12):
        return False  # None, True and False are immortal
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.fired.emit()
    return sys.getrefcount(True) < before


def apply() -> bool:
    """Pin None, True and False if the running PySide6 drops references to them; returns whether it did.

    Only for the standard (non-debug) CPython layout, where the reference count is the first word.
    """
    if hasattr(sys, "gettotalrefcount") or sys.getrefcount(None) > PIN or not emit_leaks():
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += PIN
    return True


apply()
