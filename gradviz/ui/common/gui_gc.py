"""Python's cyclic garbage collector runs in whichever thread happens to allocate: a training or
check thread could then destroy widgets, timers and plot items that belong to the GUI thread,
which Qt does not allow (a crash or a hang). While gradviz runs Python threads, the collector
runs only in the GUI thread, on a timer: pyqtgraph's GarbageCollector."""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

#: seconds between two collections in the GUI thread (pyqtgraph's default)
INTERVAL_S = 1.0

_collector: GarbageCollector | None = None


def collect_garbage_in_gui_thread() -> None:
    """Turn off automatic collection and collect on a GUI-thread timer instead (call in the GUI
    thread, with a QApplication, before starting a Python thread; the first call does it)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=INTERVAL_S)
    elif gc.isenabled():  # something turned it back on: the timer alone collects
        gc.disable()
