"""The installed PySide6 keeps Python's reference counts intact (6.12.0 on Python 3.11 does not:
every emit drops a reference to True and the interpreter aborts after a few thousand)."""

import sys

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    fired = Signal()


def test_signal_emit_keeps_references_to_true():
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(100):
        probe.fired.emit()
    assert sys.getrefcount(True) >= before - 5
