"""Run ``Trainer.steps`` off the GUI thread and hand its records to the GUI in batches.

A plain QThread (rather than a thread-pool worker) so that Pause and shutdown can wait for this
one thread to finish its current step. The thread never touches a widget: it appends records to a
deque and, at most every UPDATE_S, emits a signal that makes the GUI thread collect them.

Both threads run Python, and the GIL lets only one run at a time: each time the GUI thread lets
go of it (a Qt call, a numpy operation on a long array) it waits up to the interpreter's switch
interval to get it back, so a plot frame can take several times as long as it would alone. The
GUI therefore takes ``exclusive()`` turns for its drawing: the training thread waits between two
steps until the turn ends (or MAX_TURN_S passes).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from gradviz.core.model.training import StepRecord, Trainer
from gradviz.ui.common.gui_gc import collect_garbage_in_gui_thread
from gradviz.ui.model_file.errors import error_text, user_error

UPDATE_S = 0.05
#: "run until paused": more iterations than any session will reach
FOREVER = 2**62
#: the longest the training thread waits for one turn of the GUI thread
MAX_TURN_S = 0.25


class TrainingThread(QThread):
    """Iterate ``trainer.steps(max_steps)`` until it ends or ``request_stop`` is called.

    ``error`` holds a message if the trainer raised.
    """

    progressed = Signal()

    def __init__(self, trainer: Trainer, max_steps: int | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._trainer = trainer
        self._max_steps = FOREVER if max_steps is None else max_steps
        self._records: deque[StepRecord] = deque()
        self._stop = False
        self._go = threading.Event()  # cleared while the GUI thread takes its turn
        self._go.set()
        self.error: str | None = None

    def request_stop(self) -> None:
        """Stop after the current step."""
        self._stop = True
        self._go.set()

    def pause_between_steps(self, paused: bool) -> None:
        """Let the thread finish its step and wait (at most MAX_TURN_S) until called with False."""
        if paused and not self._stop:
            self._go.clear()
        else:
            self._go.set()

    def take_records(self) -> list[StepRecord]:
        """The records produced since the last call, oldest first (safe while the thread runs)."""
        taken = []
        while self._records:
            taken.append(self._records.popleft())
        return taken

    def run(self) -> None:
        steps = self._trainer.steps(self._max_steps)
        last = time.monotonic()
        try:
            for record in steps:
                self._records.append(record)
                now = time.monotonic()
                if now - last >= UPDATE_S:
                    last = now
                    self.progressed.emit()
                if self._stop:
                    break
                self._go.wait(MAX_TURN_S)
        except Exception as exc:  # shown to the user by the GUI thread, never raised in this thread
            self.error = f"training failed: {error_text(user_error(exc) or exc)}"
        finally:
            steps.close()


class TrainingRunner(QObject):
    """At most one TrainingThread at a time; its signals arrive on the GUI thread.

    records_ready(list[StepRecord]): new records, oldest first (at most every ~UPDATE_S while
    training runs, and once more when it stops); stopped(object): the thread ended (an error
    message, or None).
    """

    records_ready = Signal(object)
    stopped = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: TrainingThread | None = None
        self._turns = 0  # nested exclusive() turns of the GUI thread
        collect_garbage_in_gui_thread()
        app = QCoreApplication.instance()
        if app is not None:  # a quit without closing the window must not destroy a running thread
            app.aboutToQuit.connect(self.stop)

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, trainer: Trainer, max_steps: int | None = None) -> None:
        """Train in a new thread (stopping the current one first)."""
        self.stop()
        thread = TrainingThread(trainer, max_steps, self)
        thread.progressed.connect(self._collect)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        thread.start()

    def stop(self) -> None:
        """Ask the thread to stop, wait for its current step, deliver what it produced."""
        thread = self._thread
        if thread is None:
            return
        thread.request_stop()
        thread.wait()
        self._finish(thread)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """A turn of the GUI thread: the training thread waits between steps until the outermost
        of nested turns ends."""
        self._turns += 1
        if self._thread is not None:
            self._thread.pause_between_steps(True)
        try:
            yield
        finally:
            self._turns -= 1
            if self._turns == 0 and self._thread is not None:
                self._thread.pause_between_steps(False)

    def _collect(self) -> None:
        if self._thread is not None:
            records = self._thread.take_records()
            if records:
                self.records_ready.emit(records)

    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if thread is not None and thread is self._thread:
            thread.wait()
            self._finish(thread)

    def _finish(self, thread: TrainingThread) -> None:
        self._collect()
        self._thread = None
        thread.deleteLater()
        self.stopped.emit(thread.error)
