"""One long piece of classroom work at a time, off the GUI thread: a generator run by a
ClosingWorker (superqt), whose yields, return value and error arrive as signals on the GUI
thread. Starting a new job cancels the running one; ``cancel(wait=True)`` before closing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from gradviz.ui.check.check_worker import ClosingWorker
from gradviz.ui.common import stale


class Job(QObject):
    """Signals: yielded(object) per yield, returned(object) at the end, failed(str) on an error,
    ended() after any of them or a cancel (the job is no longer running)."""

    yielded = Signal(object)
    returned = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: ClosingWorker | None = None

    def is_running(self) -> bool:
        return self._worker is not None

    def start(self, generator_function: Callable, *args, **kwargs) -> None:
        """Run ``generator_function(*args, **kwargs)`` in a worker (cancelling the last job)."""
        self.cancel(wait=True)
        worker = ClosingWorker(generator_function, *args, **kwargs)
        worker.yielded.connect(lambda value, w=worker: self._relay(w, self.yielded, value))
        worker.returned.connect(lambda value, w=worker: self._relay(w, self.returned, value))
        worker.errored.connect(
            lambda exc, w=worker: self._relay(w, self.failed, str(exc) or type(exc).__name__))
        worker.finished.connect(lambda w=worker: self._end(w))
        self._worker = worker
        worker.start()

    def cancel(self, wait: bool = False, timeout: float = 30.0) -> None:
        """Stop at the next yield; with ``wait``, block until the worker has stopped."""
        worker = self._worker
        if worker is None:
            return
        worker.quit()
        if wait:
            worker.done.wait(timeout)
            self._end(worker)

    def _relay(self, worker: ClosingWorker, signal, value) -> None:
        if worker is self._worker:
            signal.emit(value)

    def _end(self, worker: ClosingWorker) -> None:
        if worker is self._worker:
            self._worker = None
            self.ended.emit()


class JobResults:
    """For a panel whose work runs in ``self.job`` and whose results sit in ``self.results_view``:
    cancel the work, grey the results while they no longer hold (the run button stays clear)."""

    job: Job
    results_view: QWidget
    _source: Callable[[], Any] | None = None

    def set_source(self, prepare: Callable[[], Any]) -> None:
        """``prepare()`` runs on the GUI thread when the work starts and returns what it works on
        (a ValueError it raises is shown instead)."""
        self._source = prepare

    def is_running(self) -> bool:
        return self.job.is_running()

    def cancel(self, wait: bool = False) -> None:
        self.job.cancel(wait=wait)

    def set_stale(self, note: str | None) -> None:
        """Grey the results with ``note`` (None: they are current)."""
        stale.mark_stale(self.results_view, note)

    def stale_note(self) -> str | None:
        return stale.stale_note(self.results_view)
