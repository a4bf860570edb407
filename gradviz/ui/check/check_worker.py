"""Run a gradient check off the GUI thread (a superqt GeneratorWorker around iter_gradient_check)
and hand its progress to the GUI at most every UPDATE_MS, its report when done."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from superqt.utils import GeneratorWorker, qthrottled

from gradviz.core.check.gradcheck import (
    CheckProgress,
    gradient_check,
    iter_gradient_check,
    make_objective,
)
from gradviz.core.check.quickcheck import QuickCheckReport, quick_check
from gradviz.core.model.network import Network
from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.ui.check.verdict import Verdict
from gradviz.ui.common.gui_gc import collect_garbage_in_gui_thread
from gradviz.ui.model_file.errors import error_text, user_error

UPDATE_MS = 50
THREADS = 1
#: components of each failing block the quick check shows in the heatmap (a sample beyond this):
#: checking every component of a big failing block costs as much as the full check
LOCATE_SAMPLE = 4096


def _check(net, X, y, kwargs: dict[str, Any]):
    """Yield the analytic gradient (dict of arrays) first, then CheckProgress chunks; return the
    CheckReport of ``gradient_check(net, X, y, **kwargs)`` and its Verdict. An exception of the
    user's code is raised as a UserCodeError (their frames only)."""
    try:
        objective = make_objective(net, X, y, dropout=kwargs.get("dropout", "off"),
                                   terms=kwargs.get("terms", "all"), loss_scale=1.0,
                                   seed=kwargs.get("seed", 0))
        yield objective.analytic
        # one engine thread: the other core stays with the window, which must keep responding
        report = yield from iter_gradient_check(net, X, y, threads=THREADS, **kwargs)
        return report, Verdict.of(report)
    except Exception as exc:
        raise _plain(exc) from exc


def _plain(exc: Exception) -> Exception:
    """The user's exception as a UserCodeError; a RuntimeError as a CheckError (superqt takes a
    RuntimeError for a deleted worker and goes quiet); anything else as it is."""
    error = user_error(exc)
    if error is not None:
        return error
    if isinstance(exc, RuntimeError):
        return CheckError(str(exc) or type(exc).__name__)
    return exc


def _quick(net, X, y, kwargs: dict[str, Any]):
    """The app's quick check, as a generator with nothing to yield (so the same worker runs it):
    quick_check's random directions, then, for failing blocks only, up to LOCATE_SAMPLE of their
    components checked by the fast engine instead of quick_check's bisection (a bisection step
    costs a pass over the whole block: hundreds of them took seconds on large-784, more than the
    full check). A user's model has no fast engine: its failing blocks are bisected. Returns
    (QuickCheckReport, CheckReport of every block with only the failing ones checked, or None)."""
    yield from ()
    quick = {k: kwargs[k] for k in ("dropout", "terms", "seed") if k in kwargs}
    built_in = isinstance(net, Network)
    try:
        report = quick_check(net, X, y, localize=not built_in, **quick)
        failing = report.failing_blocks()
        return report, (_locate(net, X, y, failing, kwargs) if failing and built_in else None)
    except Exception as exc:
        raise _plain(exc) from exc


def _locate(net, X, y, blocks: list[str], kwargs: dict[str, Any]) -> CheckReport | None:
    """Up to LOCATE_SAMPLE components of each of ``blocks`` checked by the fast engine (None if it
    cannot serve this check); the other blocks come unchecked (NaN), so the heatmap keeps its
    layout."""
    options = {**kwargs, "sample": LOCATE_SAMPLE}
    try:
        found = gradient_check(net, X, y, blocks=blocks, engine="fast", threads=THREADS, **options)
    except ValueError:
        return None
    objective = make_objective(net, X, y, dropout=options.get("dropout", "off"),
                               terms=options.get("terms", "all"), loss_scale=1.0,
                               seed=options.get("seed", 0))
    every = {name: found.blocks.get(name) or BlockResult(
        name, g, np.full(np.shape(g), np.nan), np.zeros(np.shape(g), dtype=bool))
        for name, g in objective.analytic.items()}
    return replace(found, blocks=every)


class CheckError(Exception):
    """A RuntimeError raised by the check, passed on as an ordinary error."""


class ClosingWorker(GeneratorWorker):
    """A GeneratorWorker that closes its generator when it stops (so an aborted check restores
    the parameters in its own thread) and says when it is done."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.done = threading.Event()
        collect_garbage_in_gui_thread()

    def work(self):
        try:
            return super().work()
        finally:
            self._gen.close()
            self.done.set()


class CheckRunner(QObject):
    """One gradient check at a time. Signals arrive on the GUI thread.

    started_check(dict): the analytic gradient by block, before any numeric value;
    progressed(list[CheckProgress], float): chunks since the last update, seconds left (or nan);
    finished_check(CheckReport, Verdict); finished_quick(QuickCheckReport, CheckReport | None): the
    quick verdict and the failing blocks checked per component; failed(str): the error message;
    cancelled(): after Cancel, once the parameters are restored.
    """

    started_check = Signal(object)
    progressed = Signal(object, float)
    finished_check = Signal(object, object)
    finished_quick = Signal(object, object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: ClosingWorker | None = None
        self._pending: list[CheckProgress] = []
        self._t0 = 0.0

    def is_running(self) -> bool:
        return self._worker is not None

    def start(self, net, X, y, kwargs: dict[str, Any]) -> None:
        """Check ``net`` on (X, y) with gradient_check's keyword arguments; cancels a running check."""
        self._run(_check, net, X, y, kwargs)

    def start_quick(self, net, X, y, kwargs: dict[str, Any]) -> None:
        """The app's quick check (see ``_quick``) with gradient_check's keyword arguments."""
        self._run(_quick, net, X, y, kwargs)

    def _run(self, function, net, X, y, kwargs: dict[str, Any]) -> None:
        self.cancel(wait=True)
        worker = ClosingWorker(function, net, X, y, dict(kwargs))
        worker.yielded.connect(lambda item, w=worker: self._on_yielded(w, item))
        worker.returned.connect(lambda report, w=worker: self._on_returned(w, report))
        worker.errored.connect(lambda exc, w=worker: self._on_errored(w, exc))
        worker.finished.connect(lambda w=worker: self._on_finished(w))
        self._worker, self._pending, self._t0 = worker, [], time.perf_counter()
        worker.start()

    def cancel(self, wait: bool = False, timeout: float = 5.0) -> None:
        """Ask the running check to stop; with ``wait``, block until it has (params restored)."""
        worker = self._worker
        if worker is None:
            return
        worker.quit()
        if wait:
            worker.done.wait(timeout)
            self._stop(worker)
            self.cancelled.emit()

    # -- worker signals (queued to the GUI thread) ---------------------------------------------
    def _on_yielded(self, worker: ClosingWorker, item) -> None:
        if worker is not self._worker:
            return
        if isinstance(item, CheckProgress):
            self._pending.append(item)
            self._flush_soon()
        else:
            self.started_check.emit(item)

    def _on_returned(self, worker: ClosingWorker, result) -> None:
        if worker is self._worker:
            self._flush()
            self._stop(worker)
            if isinstance(result[0], QuickCheckReport):
                self.finished_quick.emit(*result)
            else:
                self.finished_check.emit(*result)

    def _on_errored(self, worker: ClosingWorker, exc: BaseException) -> None:
        if worker is self._worker:
            self._stop(worker)
            self.failed.emit(error_text(exc))

    def _on_finished(self, worker: ClosingWorker) -> None:
        if worker is self._worker:  # neither returned nor errored: it was aborted
            self._stop(worker)
            self.cancelled.emit()

    def _stop(self, worker: ClosingWorker) -> None:
        if worker is self._worker:
            self._worker = None
            self._pending = []
            self._flush_soon.cancel()

    def _flush(self) -> None:
        """Emit progressed with the chunks received since the last time."""
        if not self._pending:
            return
        chunks, self._pending = self._pending, []
        last = chunks[-1]
        elapsed = time.perf_counter() - self._t0
        left = elapsed * (last.total - last.done) / last.done if last.done else float("nan")
        self.progressed.emit(chunks, left)

    #: progress at most every UPDATE_MS while chunks keep coming
    _flush_soon = qthrottled(_flush, timeout=UPDATE_MS, leading=False)
