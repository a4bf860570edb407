"""Runs the window's checks in a CheckRunner and routes what they produce: progress and reports to
the heatmap, verdict, inspector and check panel; signals for scripts and the classroom.

A check that cannot start (no network, a bug that cannot be planted on it) or that fails says why
in the verdict and in ``failed(str)``: a script waiting on a signal never waits in vain.

What is checked is the window's built-in network, or, while the window shows a model file, the
user's model (``window.model_file.target``). The check panel shows the components checked per
second, from the progress records' time stamps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from gradviz.core.model.bugs import Bug
from gradviz.core.model.network import Network
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.check.check_worker import CheckRunner

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow


def planted_copy(net: Network, bugs: list[Bug], sealed: Bug | None) -> tuple[Network, bool]:
    """A copy of ``net`` (θ and dtype) for the check, so training may go on meanwhile, with the
    panel's ``bugs`` planted in ``net`` and the copy (ValueError if one cannot be) and the sealed
    bug beside them in the copy; and whether the sealed bug still applies."""
    net.clear_bug()
    for bug in bugs:
        net.add_bug(bug.kind, bug.layer)
    copy = Network(net.spec, params=net.params)
    for bug in net.bugs:
        copy.add_bug(bug.kind, bug.layer)
    if sealed is not None:
        try:
            copy.add_bug(sealed.kind, sealed.layer)
        except ValueError:  # the network changed under the seal: it no longer applies
            return copy, False
    return copy, True


class CheckController(QObject):
    """One check at a time for ``window`` (its problem or model_file, sealed_bug, check_panel,
    training_panel, heatmap, verdict, verdict_area, inspector and status bar).

    Signals: finished(CheckReport) — the report of the check just asked for, one event-loop turn
    after it is shown (a check started meanwhile first flushes it, so every report reaches the
    listeners of its own check); quick_finished(QuickCheckReport); cancelled(); failed(str).
    """

    finished = Signal(object)
    quick_finished = Signal(object)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.runner = CheckRunner(self)
        self.report: CheckReport | None = None
        self._pending: CheckReport | None = None
        self._changed_during: str | None = None  # a settings change while the check ran
        self._first_progress: tuple[int, float] | None = None  # (done, stamp) of the check's first
        # a deferral to the next event-loop turn that _flush() can overtake, not a throttle
        self._emit = QTimer(self, singleShot=True, interval=0)
        self._emit.timeout.connect(self._flush)
        r = self.runner
        r.started_check.connect(self._on_started)
        r.progressed.connect(self._on_progress)
        r.finished_check.connect(self._on_report)
        r.finished_quick.connect(self._on_quick_report)
        r.failed.connect(self._on_failed)
        r.cancelled.connect(self._on_cancelled)

    def is_running(self) -> bool:
        return self.runner.is_running()

    def run(self, *, quick: bool = False) -> bool:
        """Check backprop at the current θ with the panel's settings (cancels a running check);
        ``quick``: the directional quick check. False (and ``failed``) if it cannot start."""
        w = self.window
        self._flush()
        w.check_panel.settle()  # the panel shows exactly what runs
        settings = w.check_panel.check_settings()
        if w.model_file.is_open():
            try:
                net, X, y, kwargs = w.model_file.target(settings, quick)
            except ValueError as exc:
                return self._cannot_start(str(exc))
        else:
            if w.problem is None:
                return self._cannot_start("there is no network to check: the network and its data "
                                          "do not fit (see above)")
            w.training_panel.pause()  # check the θ the user sees
            try:
                net, sealed_applies = planted_copy(w.problem.net, settings.bugs, w.sealed_bug)
            except ValueError as exc:
                planted = ", ".join(map(str, settings.bugs))
                return self._cannot_start(f"cannot plant the bug {planted} on this network: {exc}")
            if not sealed_applies:
                w.sealed_bug = None
            X, y, kwargs = w.problem.X_check, w.problem.y_check, settings.check_kwargs()
        start = self.runner.start_quick if quick else self.runner.start
        self._changed_during = None
        start(net, X, y, kwargs)
        w.check_panel.set_running(True)
        w.verdict_area.hold(True)
        word = "Quick check…" if quick else "Checking…"
        w.verdict.show_message(word)
        w.statusBar().showMessage(word)
        return True

    def cancel(self, wait: bool = False) -> None:
        self.runner.cancel(wait=wait)

    def show_report(self, report: CheckReport) -> None:
        """Show a report made elsewhere (a script's or notebook's check) as if it were the last
        check's: heatmap, verdict, inspector."""
        w = self.window
        self._flush()
        self.cancel(wait=True)
        self.report = report
        w.verdict.show_report(report)
        w.verdict_area.hold(False)
        w.heatmap.show_report(report)
        self._repin(report)
        w.stale.set(None)

    def settings_changed(self, note: str) -> None:
        """The settings changed: a running check's report will be stale when it arrives."""
        if self.is_running():
            self._changed_during = note

    # -- what the runner reports ---------------------------------------------------------------
    def _cannot_start(self, reason: str) -> bool:
        self.fail(reason, "The check cannot start: ", idle="cannot start")
        return False

    def fail(self, message: str, prefix: str = "The check failed: ", idle: str = "failed") -> None:
        """Say that a check failed (or could not run) in the verdict (``prefix + message``), the
        panel (``idle``) and the status bar, and emit failed(message)."""
        w = self.window
        w.verdict.show_error(message, prefix)
        w.verdict_area.hold(False)
        w.check_panel.set_idle(idle)
        w.statusBar().showMessage(f"{prefix.rstrip(': ')}", 10000)
        self.failed.emit(message)

    def _on_started(self, analytic) -> None:
        self._first_progress = None
        self.window.heatmap.begin(analytic)
        self.window.stale.set(None)

    def _on_progress(self, chunks, seconds_left: float) -> None:
        self.window.heatmap.add_progress(chunks)
        first, last = self._first_progress or (chunks[0].done, chunks[0].stamp), chunks[-1]
        self._first_progress = first
        seconds = last.stamp - first[1]
        rate = (last.done - first[0]) / seconds if seconds > 0 else None
        self.window.check_panel.set_progress(last.done, last.total, seconds_left, rate)

    def _on_report(self, report: CheckReport, verdict) -> None:
        w = self.window
        self.report = report
        if w.sealed_bug is not None:
            verdict = verdict.without_diagnoses(report)
        w.verdict.show_report(report, verdict)
        w.verdict_area.hold(False)
        done = f"{report.n_checked} components in {report.elapsed:.2f} s"
        w.check_panel.set_idle(f"done: {done}")
        w.statusBar().showMessage(f"Checked {done}: {verdict.status}", 10000)
        w.heatmap.show_report(report)
        self._repin(report)
        self._after_result()
        # the verdict's new height reaches the heatmap now: whoever hears of the report finds
        # every cell where it is drawn
        w.centralWidget().layout().activate()
        w.heatmap.ci.layout.activate()
        # the classroom docks take the report on the next turn of the event loop: after a large
        # check, no single event keeps the window busy for long
        self._pending = report
        self._emit.start()

    def _on_quick_report(self, report, located: CheckReport | None) -> None:
        w = self.window
        w.verdict.show_quick(report)
        w.verdict_area.hold(False)
        if located is not None:  # the failing blocks, per component
            self.report = located
            w.heatmap.show_report(located)
            self._repin(located)
            self._after_result()
        w.check_panel.set_idle(f"quick check: {report.evaluations} loss evaluations")
        w.statusBar().showMessage("Quick check " + ("passed" if report.passed else "failed"), 10000)
        self.quick_finished.emit(report)

    def _after_result(self) -> None:
        if self._changed_during is not None:  # the settings moved on while it ran
            self.window.stale.set(self._changed_during)
            self._changed_during = None
        else:
            self.window.stale.set(None)

    def _on_failed(self, message: str) -> None:
        self.fail(message)

    def _on_cancelled(self) -> None:
        w = self.window
        w.check_panel.set_idle("cancelled")
        w.verdict.show_message("Check cancelled: the heatmap shows the components finished so far.")
        w.verdict_area.hold(False)
        w.statusBar().showMessage("Check cancelled", 5000)
        self.cancelled.emit()

    def _flush(self) -> None:
        """Deliver the pending finished(report) now."""
        self._emit.stop()
        report, self._pending = self._pending, None
        if report is not None:
            self.finished.emit(report)

    def _repin(self, report: CheckReport) -> None:
        """Keep the inspector's pinned component if the report has it, else drop it."""
        inspector = self.window.inspector
        pinned = inspector.component
        if pinned is None:
            return
        block = report.blocks.get(pinned.block)
        index = tuple(pinned.index)
        if block is None or len(index) != block.analytic.ndim or any(
                not 0 <= i < n for i, n in zip(index, block.analytic.shape, strict=True)):
            inspector.clear()
            self.window.heatmap.clear_pin()
            return
        inspector.pin(self.window.heatmap.component(pinned.block, index))
        self.window.heatmap.pin(pinned.block, index)
