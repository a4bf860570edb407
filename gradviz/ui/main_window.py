"""The main window: composes the panels, owns the session and the Problem built from it, and runs
the gradient check in a worker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.data.problem import Problem, build_problem
from gradviz.core.data.session import DataSettings, Session
from gradviz.core.model.bugs import Bug
from gradviz.core.model.network import Network
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.builder.builder_panel import BuilderPanel
from gradviz.ui.check.check_panel import CheckPanel
from gradviz.ui.check.check_worker import CheckRunner
from gradviz.ui.check.heatmap_view import HeatmapPanel
from gradviz.ui.check.inspector import InspectorPanel, describe_component
from gradviz.ui.check.verdict import Verdict, VerdictArea, VerdictLabel
from gradviz.ui.classroom.controller import ClassroomController
from gradviz.ui.common.settings import AppSettings
from gradviz.ui.file_actions import FileActions
from gradviz.ui.training.training_panel import TrainingPanel

PARAMS_MS = 250  # the schematic follows training at most this often
PLOTS_HEIGHT = 250  # px for the live plots dock when training starts


def _scrolled(widget: QWidget, horizontal: bool = False) -> QScrollArea:
    """``widget`` in a frameless scroll area, so a dock can be shorter (and, if ``horizontal``,
    narrower) than its contents."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    if not horizontal:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setMinimumWidth(widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    return area


def _snapshot(net: Network) -> Network:
    """A copy of ``net`` (θ and planted bug) for the check: training may go on meanwhile."""
    copy = Network(net.spec, params=net.params)
    if net.bug is not None:
        copy.inject_bug(net.bug.kind, net.bug.layer)
    return copy


def demo_session() -> Session:
    """The built-in demo: 2 → 16 ReLU → 3 softmax on the spiral."""
    spec = NetworkSpec(2, [LayerSpec(16, "relu"), LayerSpec(3, "linear")], loss="softmax_ce")
    return Session(spec, DataSettings(dataset="spiral", m=300), title="Demo: 2-16-3 ReLU net on the spiral")


class MainWindow(QMainWindow):
    """gradviz's window. Signals: check_finished(CheckReport), quick_check_finished(QuickCheckReport),
    check_cancelled(), training_step(StepRecord)."""

    check_finished = Signal(object)
    quick_check_finished = Signal(object)
    check_cancelled = Signal()
    training_step = Signal(object)

    def __init__(self, session: Session | None = None, *, settings: AppSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.app_settings = settings or AppSettings()
        self.problem: Problem | None = None
        self.report: CheckReport | None = None
        self.path: Path | None = None
        self.sealed_bug: Bug | None = None  # planted on every check, shown nowhere (classroom)
        self._session = session or demo_session()

        self.runner = CheckRunner(self)
        self.check_panel = CheckPanel()
        self.heatmap_panel = HeatmapPanel()
        self.heatmap = self.heatmap_panel.view
        self.verdict = VerdictLabel()
        self.inspector = InspectorPanel()
        self.training_panel = TrainingPanel()
        self.builder = BuilderPanel(self._session.spec, self._session.data)
        central = QWidget()
        layout = QVBoxLayout(central)
        self.verdict_area = VerdictArea(self.verdict)
        layout.addWidget(self.verdict_area)
        layout.addWidget(self.heatmap_panel, 1)
        self.setCentralWidget(central)
        self.files = FileActions(self)
        self.files.add_undo_stack(self.builder.undo_stack)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.network_dock = self._dock("Network", self.builder, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.check_dock = self._dock("Check", _scrolled(self.check_panel), right)
        self.training_dock = self._dock("Training", _scrolled(self.training_panel, horizontal=True), right)
        self.inspector_dock = self._dock("Inspector", _scrolled(self.inspector), right)
        self.plots_dock = self._plots_dock()
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.tabifyDockWidget(self.check_dock, self.training_dock)
        self.check_dock.raise_()
        self.resizeDocks([self.check_dock, self.inspector_dock], [560, 200], Qt.Orientation.Vertical)
        self.resizeDocks([self.network_dock, self.check_dock], [330, 380], Qt.Orientation.Horizontal)
        self._params_timer = QTimer(self, singleShot=True, interval=PARAMS_MS)
        self._params_timer.timeout.connect(self._show_params)
        self.statusBar().showMessage("Ready")
        self._connect()
        self._show_session(self._session, self._build(self._session))
        self.classroom = ClassroomController(self)
        self.resize(1280, 800)
        self._restore_layout()

    def _plots_dock(self) -> QDockWidget:
        """The live plots, side by side under the heatmap; shown when training starts."""
        plots = self.training_panel.plots
        plots.splitter.setOrientation(Qt.Orientation.Horizontal)
        dock = QDockWidget("Live plots", self, objectName="plotsDock")
        dock.setWidget(plots)
        self.training_panel.layout().addStretch(1)  # the controls keep to the top of their tab
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.files.view_menu.addAction(dock.toggleViewAction())
        dock.hide()
        return dock

    def _show_plots(self) -> None:
        if not self.plots_dock.isVisible():
            self.plots_dock.show()
            self.resizeDocks([self.plots_dock], [PLOTS_HEIGHT], Qt.Orientation.Vertical)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=f"{title.lower()}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.files.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _connect(self) -> None:
        panel, runner = self.check_panel, self.runner
        panel.run_requested.connect(self.run_check)
        panel.quick_requested.connect(self.run_quick_check)
        panel.cancel_requested.connect(self.cancel_check)
        panel.check_changed.connect(self._on_check_settings)
        panel.network_changed.connect(lambda: self._rebuild(keep_params=True))
        runner.started_check.connect(self.heatmap.begin)
        runner.progressed.connect(self._on_progress)
        runner.finished_check.connect(self._on_report)
        runner.finished_quick.connect(self._on_quick_report)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)
        self.heatmap.hovered.connect(self._on_hover)
        self.heatmap.run_requested.connect(self.run_check)
        self.heatmap.clicked.connect(self.inspector.pin)
        training = self.training_panel
        training.training_step.connect(self.training_step)
        training.check_now_requested.connect(self.run_check)
        training.training_step.connect(lambda _record: self._params_timer.start())
        training.training_reset.connect(self._show_params)
        # open the plots with the Training tab, so that starting training relayouts nothing
        self.training_dock.visibilityChanged.connect(lambda shown: shown and self._show_plots())
        training.running_changed.connect(lambda running: running and self._show_plots())
        self.builder.spec_changed.connect(self._on_builder_spec)
        self.builder.data_changed.connect(self._on_builder_data)

    # -- the session ---------------------------------------------------------------------------
    def session(self) -> Session:
        """The session as shown: spec, data, check settings, training and the current parameters."""
        s = self._session
        params = None if self.problem is None else {
            k: np.array(v, dtype=np.float64) for k, v in self.problem.net.params.items()}
        return Session(s.spec, s.data, self.check_panel.check_settings(),
                       self.training_panel.training_settings(), params, s.title, s.notes)

    def load_session(self, path: str | Path, *, remember: bool = True) -> bool:
        """Open a session file. On error, a dialog names the problem and nothing changes."""
        path = Path(path)
        try:
            session = Session.load(path)
            problem = build_problem(session)
        except ValueError as exc:
            QMessageBox.critical(self, "Cannot open the session", str(exc))
            return False
        self.cancel_check(wait=True)
        self._session = session
        self._show_session(session, problem)
        if remember:
            self.path = path
            self.app_settings.add_recent_file(path)
        else:
            self.path = None
        self._update_title()
        self.statusBar().showMessage(f"Opened {path.name}", 5000)
        return True

    def save_session(self, path: str | Path, include_params: bool | None = None) -> bool:
        """Write the session (with the parameters unless told otherwise by the argument or the
        File menu's choice). On error, a dialog names the problem."""
        path = Path(path)
        if include_params is None:
            include_params = self.app_settings.save_params()
        try:
            self.session().save(path, include_params=include_params)
        except OSError as exc:
            QMessageBox.critical(self, "Cannot save the session", f"{path}: {exc.strerror or exc}")
            return False
        self.path = path
        self.app_settings.add_recent_file(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    def export_heatmap(self, path: str | Path) -> bool:
        ok = self.heatmap.grab().save(str(path))
        self.statusBar().showMessage(f"{'Exported' if ok else 'Could not write'} {path}", 5000)
        return ok

    def export_report(self, path: str | Path) -> bool:
        if self.report is None:
            return False
        try:
            self.report.to_csv(str(path))
        except OSError as exc:
            QMessageBox.critical(self, "Cannot export the report", f"{path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def _build(self, session: Session) -> Problem | None:
        try:
            return build_problem(session)
        except ValueError as exc:
            self.verdict.show_error(str(exc), "The network and its data do not fit: ")
            return None

    def _show_session(self, session: Session, problem: Problem | None) -> None:
        """Show a whole new session in every panel."""
        self.training_panel.set_training_settings(session.training)
        self.builder.set_spec(session.spec)
        self.builder.set_data_settings(session.data)
        self.check_panel.set_check_settings(session.check)
        self.check_panel.set_network(session.spec)
        self._set_problem(problem)
        self._update_title()

    def _set_problem(self, problem: Problem | None) -> None:
        self.problem, self.report = problem, None
        self.inspector.clear()
        self.check_panel.run_button.setEnabled(problem is not None)
        self.training_panel.set_problem(problem)
        self._show_params()
        if problem is not None:
            self.heatmap.set_shapes({k: v.shape for k, v in problem.net.params.items()})
            self.verdict.show_message(
                f"{problem.net.spec.n_params} parameters in {len(problem.net.params)} blocks. "
                "Press Run check to compare backprop's dθ with the numeric dθ_approx.")

    def _rebuild(self, *, keep_params: bool) -> None:
        """Rebuild the Problem after the spec or data changed (keeping θ if asked and it fits)."""
        self.cancel_check(wait=True)
        self.training_panel.pause()
        spec = NetworkSpec.from_dict({**self._session.spec.to_dict(), **self.check_panel.network_options()})
        params = self.session().params if keep_params else None
        if params is not None and self.problem is not None and spec.sizes != self.problem.net.spec.sizes:
            params = None
        self.check_panel.set_network(spec)
        self._session = replace(self._session, spec=spec, params=params,
                                check=self.check_panel.check_settings(),
                                training=self.training_panel.training_settings())
        self._set_problem(self._build(self._session))

    def _on_builder_spec(self, spec: NetworkSpec) -> None:
        self._session.spec = spec
        self._rebuild(keep_params=False)

    def _on_builder_data(self, data: DataSettings) -> None:
        self._session.data = data
        self._rebuild(keep_params=True)

    def _show_params(self) -> None:
        """Colour the schematic by the current weights."""
        self.builder.set_params(None if self.problem is None else self.problem.net.params)

    def _on_check_settings(self) -> None:
        self._session.check = self.check_panel.check_settings()

    def _update_title(self) -> None:
        name = self.path.name if self.path else (self._session.title or "untitled")
        self.setWindowTitle(f"{name} — gradviz")

    # -- the check -----------------------------------------------------------------------------
    def is_checking(self) -> bool:
        return self.runner.is_running()

    def run_check(self, *, quick: bool = False) -> None:
        """Check backprop at the current θ with the panel's settings (cancels a running check);
        ``quick``: the directional quick check instead of every component."""
        if self.problem is None:
            return
        self.training_panel.pause()  # show the check of the θ the user sees
        self._session.check = settings = self.check_panel.check_settings()
        net = self.problem.net
        net.clear_bug()
        try:
            if settings.bug:
                bug = Bug.parse(settings.bug)
                net.inject_bug(bug.kind, bug.layer)
        except ValueError as exc:
            self.verdict.show_error(str(exc), "Cannot plant the bug: ")
            return
        if self.sealed_bug is not None:
            try:
                net.inject_bug(self.sealed_bug.kind, self.sealed_bug.layer)
            except ValueError:  # the network changed under the seal: it no longer applies
                self.sealed_bug = None
        kwargs = settings.check_kwargs()
        if quick:
            kwargs = {k: kwargs[k] for k in ("dropout", "terms", "seed")}
        start = self.runner.start_quick if quick else self.runner.start
        start(_snapshot(net), self.problem.X_check, self.problem.y_check, kwargs)
        self.check_panel.set_running(True)
        self.verdict_area.hold(True)
        self.verdict.show_message("Quick check…" if quick else "Checking…")
        self.statusBar().showMessage("Quick check…" if quick else "Checking…")

    def run_quick_check(self) -> None:
        """A few random directions per block, then bisection (gradviz.core.quick_check)."""
        self.run_check(quick=True)

    def cancel_check(self, wait: bool = False) -> None:
        self.runner.cancel(wait=wait)

    def _on_progress(self, chunks, seconds_left: float) -> None:
        self.heatmap.add_progress(chunks)
        last = chunks[-1]
        self.check_panel.set_progress(last.done, last.total, seconds_left)

    def _on_report(self, report: CheckReport, verdict: Verdict) -> None:
        self.report = report
        if self.sealed_bug is not None:
            verdict = verdict.without_diagnoses(report)
        self.verdict.show_report(report, verdict)
        self.verdict_area.hold(False)
        done = f"{report.n_checked} components in {report.elapsed:.2f} s"
        self.check_panel.set_idle(f"done: {done}")
        self.statusBar().showMessage(f"Checked {done}: {verdict.status}", 10000)
        self.heatmap.show_report(report)
        pinned = self.inspector.component
        if pinned is not None and pinned.block in report.blocks:
            self.inspector.pin(self.heatmap.component(pinned.block, pinned.index))
        # what follows the report (the classroom docks) updates on the next turn of the event
        # loop: after a large check, no single event keeps the window busy for long
        QTimer.singleShot(1, self, lambda: self.check_finished.emit(report))

    def _on_quick_report(self, report) -> None:
        self.verdict.show_quick(report)
        self.verdict_area.hold(False)
        self.check_panel.set_idle(f"quick check: {report.evaluations} loss evaluations")
        self.statusBar().showMessage("Quick check " + ("passed" if report.passed else "failed"), 10000)
        self.quick_check_finished.emit(report)

    def _on_failed(self, message: str) -> None:
        self.verdict.show_error(message)
        self.verdict_area.hold(False)
        self.check_panel.set_idle("failed")
        self.statusBar().showMessage("The check failed", 10000)

    def _on_cancelled(self) -> None:
        self.check_panel.set_idle("cancelled")
        self.verdict.show_message("Check cancelled: the heatmap shows the components finished so far.")
        self.verdict_area.hold(False)
        self.statusBar().showMessage("Check cancelled", 5000)
        self.check_cancelled.emit()

    def _on_hover(self, component) -> None:
        if component is not None:
            self.statusBar().showMessage(describe_component(component))

    # -- window --------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, state = self.app_settings.geometry(), self.app_settings.state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event) -> None:
        self.cancel_check(wait=True)
        self.training_panel.shutdown()
        self.app_settings.save_window(self.saveGeometry(), self.saveState())
        super().closeEvent(event)
