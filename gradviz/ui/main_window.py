"""The main window: composes the panels and docks; the session it shows lives in a SessionDocument
(gradviz.ui.document), its checks run through a CheckController (gradviz.ui.check), a user's model
file through a ModelFileMode (gradviz.ui.model_file)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QDockWidget,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from gradviz.core.data.problem import Problem
from gradviz.core.data.session import DataSettings, Session
from gradviz.core.model.bugs import Bug
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.builder.builder_panel import BuilderPanel
from gradviz.ui.check.check_controller import CheckController
from gradviz.ui.check.check_panel import CheckPanel
from gradviz.ui.check.heatmap_view import HeatmapPanel
from gradviz.ui.check.inspector import InspectorPanel, describe_component
from gradviz.ui.check.verdict import VerdictArea, VerdictLabel
from gradviz.ui.classroom.controller import ClassroomController
from gradviz.ui.classroom.presenter import apply_presenter, presenter_active
from gradviz.ui.common.dialogs import show_error
from gradviz.ui.common.gui_gc import collect_garbage_in_gui_thread
from gradviz.ui.common.input_guard import install_input_guard
from gradviz.ui.common.scrolled import scrolled
from gradviz.ui.common.settings import AppSettings
from gradviz.ui.document import SessionDocument
from gradviz.ui.file_actions import FileActions
from gradviz.ui.model_file.model_file_mode import ModelFileMode
from gradviz.ui.stale_results import NOTES, StaleResults
from gradviz.ui.training.training_panel import TrainingPanel
from gradviz.ui.window_layout import WindowLayout

PARAMS_MS = 250  # the schematic follows training at most this often


def demo_session() -> Session:
    """The built-in demo: 2 → 16 ReLU → 3 softmax on the spiral."""
    spec = NetworkSpec(2, [LayerSpec(16, "relu"), LayerSpec(3, "linear")], loss="softmax_ce")
    return Session(spec, DataSettings(dataset="spiral", m=300), title="Demo: 2-16-3 ReLU net on the spiral")


class MainWindow(QMainWindow):
    """gradviz's window. Signals: check_finished(CheckReport), quick_check_finished(QuickCheckReport),
    check_cancelled(), check_failed(str), training_step(StepRecord), model_loaded(str) (the
    resolved path of a model file, each time it loaded)."""

    check_finished = Signal(object)
    quick_check_finished = Signal(object)
    check_cancelled = Signal()
    check_failed = Signal(str)
    training_step = Signal(object)
    model_loaded = Signal(str)

    def __init__(self, session: Session | None = None, *, settings: AppSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        collect_garbage_in_gui_thread()  # model files load and the classroom sweeps in threads
        install_input_guard()
        self.setObjectName("mainWindow")
        self.app_settings = settings or AppSettings()
        self.sealed_bug: Bug | None = None  # planted on every check, shown nowhere (classroom)
        session = session or demo_session()

        self.document = SessionDocument(self, session)
        self.undo_stack = self.document.undo_stack  # every edit of the builder and the check panel
        self.check_panel = CheckPanel(self.undo_stack)
        self.heatmap_panel = HeatmapPanel()
        self.heatmap = self.heatmap_panel.view
        self.verdict = VerdictLabel()
        self.verdict_area = VerdictArea(self.verdict)
        self.inspector = InspectorPanel()
        self.training_panel = TrainingPanel()
        self.builder = BuilderPanel(session.spec, session.data, undo_stack=self.undo_stack)
        self.checks = CheckController(self)
        self.runner = self.checks.runner
        self.stale = StaleResults(self)
        self.dock_layout = WindowLayout(self)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.verdict_area)
        layout.addWidget(self.heatmap_panel, 1)
        self.setCentralWidget(central)
        self.files = FileActions(self)
        self.files.add_undo_stack(self.undo_stack)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.network_dock = self._dock("Network", scrolled(self.builder), left)
        self.check_dock = self._dock("Check", self.check_panel, right)
        self.training_dock = self._dock("Training", scrolled(self.training_panel), right)
        self.inspector_dock = self._dock("Inspector", scrolled(self.inspector), right)
        self.plots_dock = self._plots_dock()
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.tabifyDockWidget(self.check_dock, self.training_dock)
        self.check_dock.raise_()
        self.statusBar().showMessage("Ready")
        self._connect()
        self.model_file = ModelFileMode(self)
        self.model_file.loaded.connect(self.model_loaded)
        self.document.show_first()
        self.classroom = ClassroomController(self)
        self._connect_classroom()
        self.dock_layout.restore()

    # -- building ------------------------------------------------------------------------------
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

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=f"{title.lower()}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.files.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _connect(self) -> None:
        panel, checks, document = self.check_panel, self.checks, self.document
        panel.run_requested.connect(self.run_check)
        panel.quick_requested.connect(self.run_quick_check)
        panel.cancel_requested.connect(self.cancel_check)
        panel.check_changed.connect(self._on_check_option)
        panel.network_changed.connect(self._on_network_option)
        checks.finished.connect(self.check_finished)
        checks.quick_finished.connect(self.quick_check_finished)
        checks.cancelled.connect(self.check_cancelled)
        checks.failed.connect(self.check_failed)
        document.problem_changed.connect(self._set_problem)
        document.modified_changed.connect(self.update_title)
        document.path_changed.connect(self.update_title)
        self.heatmap.hovered.connect(self._on_hover)
        self.heatmap.run_requested.connect(self.run_check)
        self.heatmap.clicked.connect(self.inspector.pin)
        training = self.training_panel
        training.training_step.connect(self.training_step)
        training.check_now_requested.connect(self.run_check)
        training.training_step.connect(self._on_trained)
        training.training_reset.connect(self._on_trained)
        for signal in (training.lrInput.valueChanged, training.optimizerCombo.currentIndexChanged,
                       training.batchSizeInput.valueChanged):
            signal.connect(document.settings_edited)
        # open the plots with the Training tab, so that starting training relayouts nothing
        self.training_dock.visibilityChanged.connect(lambda shown: shown and self.dock_layout.show_plots())
        training.running_changed.connect(lambda running: running and self.dock_layout.show_plots())
        self.builder.spec_changed.connect(self._on_builder_spec)
        self.builder.data_changed.connect(self._on_builder_data)

    def _on_check_option(self) -> None:
        self.stale.changed("check")

    def _on_network_option(self) -> None:
        self.stale.changed("network")
        self.document.rebuild(keep_params=True)

    def _on_builder_spec(self, spec: NetworkSpec) -> None:
        self.stale.changed("network")
        self.document.spec_edited(spec)

    def _on_builder_data(self, data: DataSettings) -> None:
        self.stale.changed("network")
        self.document.data_edited(data)

    def _on_trained(self, _record=None) -> None:
        self._follow_params()
        self.stale.changed("training")

    def _connect_classroom(self) -> None:
        c = self.classroom
        for dock in c.docks.values():  # they shrink (and scroll) rather than grow the window
            if not isinstance(dock.widget(), QAbstractScrollArea):
                dock.setWidget(scrolled(dock.widget()))
        self.stale.connect_classroom()
        presenter = c.actions["presenter"]
        self.files.view_menu.addSeparator()
        self.files.view_menu.addAction(presenter)

    # -- the session ---------------------------------------------------------------------------
    @property
    def problem(self) -> Problem | None:
        """The built-in network and its data (None while a model file is shown)."""
        return None if self.model_file.is_open() else self.document.problem

    @property
    def path(self) -> Path | None:
        return self.document.path

    @property
    def report(self) -> CheckReport | None:
        """The last check's report (None after a new network or session)."""
        return self.checks.report

    def session(self) -> Session:
        """The session as shown: spec, data, check settings, training and the current parameters."""
        return self.document.session()

    def load_session(self, path: str | Path, *, remember: bool = True) -> bool:
        """Open a session file (no question asked). On error, a dialog names the problem and
        nothing changes."""
        return self.document.load(path, remember=remember)

    def load_model_file(self, path: str | Path, trust: bool = False) -> bool:
        """Open a Python model file (its ``gradviz_model()``), asking before running its code
        unless ``trust`` or trusted before. Loads it in a worker thread (model_loaded(path) when
        done), checks it, and checks it again each time it or a Python file beside it is saved.
        False if it was not opened (the user said No): then nothing ran."""
        return self.model_file.open(path, trust)

    def open_session(self, path: str | Path, *, remember: bool = True) -> bool:
        """Open a session file after asking to save unsaved changes (Save / Discard / Cancel)."""
        return self.document.open(path, remember=remember)

    def save_session(self, path: str | Path, include_params: bool | None = None) -> bool:
        """Write the session (with the parameters unless told otherwise by the argument or the
        File menu's choice). On error, a dialog names the problem."""
        return self.document.save(path, include_params)

    def is_modified(self) -> bool:
        """Whether there are edits since the session was opened or saved."""
        return self.document.is_modified()

    def export_heatmap(self, path: str | Path) -> bool:
        ok = self.heatmap.export_png(path)
        self.statusBar().showMessage(f"{'Exported' if ok else 'Could not write'} {path}", 5000)
        return ok

    def export_report(self, path: str | Path) -> bool:
        if self.report is None:
            return False
        try:
            self.report.to_csv(str(path))
        except OSError as exc:
            show_error(self, "Cannot export the report", f"{path}:\n{exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def offer_recovery(self) -> bool:
        """If a window closed without saving (a crash, a kill), offer to restore its autosaved
        work: Open restores it, Discard deletes it, Cancel keeps it for the next start. True if
        work was restored."""
        return self.document.offer_recovery()

    def show_session(self, session: Session, problem: Problem | None) -> None:
        """Show a whole session in every panel (the SessionDocument calls this)."""
        self.model_file.close()
        self.builder.set_spec(session.spec)
        self.builder.set_data_settings(session.data)
        self.check_panel.set_check_settings(session.check)
        self.check_panel.set_network(session.spec)
        self.sealed_bug = None
        self._set_problem(problem, session.training, fresh=True)
        self.stale.classroom("session")
        self.update_title()

    def _set_problem(self, problem: Problem | None, training=None, *, fresh: bool = False) -> None:
        """Show a new Problem. A network of the same shapes keeps the last result, greyed as stale;
        other shapes (or ``fresh``: a new session) start from an empty heatmap."""
        self.checks.report = None
        self.inspector.clear()
        self.heatmap.clear_pin()
        self.training_panel.set_problem(problem, training)
        self._show_params()
        if problem is None:
            self.stale.set(NOTES["unbuilt"])
            return
        shapes = {k: v.shape for k, v in problem.net.params.items()}
        if fresh or shapes != self.heatmap.shapes():
            self.heatmap.set_shapes(shapes)
            self.stale.set(None)
            self.verdict.show_message(
                f"{problem.net.spec.n_params} parameters in {len(problem.net.params)} blocks. "
                "Press Run check to compare backprop's dθ with the numeric dθ_approx.")

    def _show_params(self) -> None:
        """Colour the schematic by the current weights."""
        self.builder.set_params(None if self.problem is None else self.problem.net.params)

    _follow_params = qthrottled(_show_params, timeout=PARAMS_MS, leading=False)

    def update_title(self, *_) -> None:
        self.setWindowTitle(f"{self.model_file.name() or self.document.name()}[*] — gradviz")
        self.setWindowModified(self.document.is_modified())

    def stale_note(self) -> str | None:
        """Why the shown check result no longer matches the settings (None: it does)."""
        return self.stale.note

    # -- the check -----------------------------------------------------------------------------
    def is_checking(self) -> bool:
        return self.checks.is_running()

    def run_check(self, *, quick: bool = False) -> bool:
        """Check backprop at the current θ with the panel's settings (cancels a running check);
        ``quick``: the quick check instead of every component. False (and check_failed(reason))
        if the check cannot start."""
        return self.checks.run(quick=quick)

    def run_quick_check(self) -> bool:
        """A few random directions per block; failing blocks then per component."""
        return self.checks.run(quick=True)

    def cancel_check(self, wait: bool = False) -> None:
        self.checks.cancel(wait=wait)

    def show_report(self, report: CheckReport) -> None:
        """Show a CheckReport made elsewhere (``gradviz.show`` from a script or notebook: any
        model, any block shapes) in the heatmap, verdict and inspector; ``report`` becomes the
        window's report. The window's own network stays as it is."""
        self.checks.show_report(report)

    def _on_hover(self, component) -> None:
        if component is not None:
            self.statusBar().showMessage(describe_component(component))

    # -- window --------------------------------------------------------------------------------
    def presenter_layout(self, on: bool) -> None:
        """Presenter view's layout (gradviz.ui.classroom.presenter calls it): see WindowLayout."""
        self.dock_layout.presenter(on)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.dock_layout.shown()

    def quit(self) -> bool:
        """Close as File › Quit does: unsaved changes are saved or discarded first (or the user
        cancels: False)."""
        return self.document.maybe_save("quitting") and self.close()

    def closeEvent(self, event) -> None:
        # the title bar's close button asks too; a script's close() does not
        if event.spontaneous() and not self.document.maybe_save("closing gradviz"):
            event.ignore()
            return
        if presenter_active():
            apply_presenter(self, False)
        self.cancel_check(wait=True)
        self.training_panel.shutdown()
        self.app_settings.save_window(self.saveGeometry(), self.saveState())
        self.document.autosaver.close()
        super().closeEvent(event)
