"""The classroom in the main window: its docks (lessons, quiz, explanation, ε sweep, checkpoints,
data and bias/variance, signals by layer, sanity checks and cost), the Classroom menu, and what
connects them to the window — one method per action.

Uses the window's public parts only: problem, heatmap, verdict, check_panel, training_panel,
sealed_bug, inspector_dock, network_dock and plots_dock if any, files.view_menu, check_finished,
open_session.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

from gradviz.core.data.problem import Problem
from gradviz.core.model.bugs import Bug, validate_bug
from gradviz.core.model.network import Network
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.model.training import StepRecord, Trainer
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.classroom.bias_variance import BiasVariancePanel
from gradviz.ui.classroom.checkpoint_timeline import CheckpointRun, CheckpointTimeline
from gradviz.ui.classroom.cost_panel import CostPanel
from gradviz.ui.classroom.data_view import DataViewPanel
from gradviz.ui.classroom.explanation_panel import ExplanationPanel
from gradviz.ui.classroom.layer_gradient_plot import LayerGradientPanel
from gradviz.ui.classroom.layout import stack
from gradviz.ui.classroom.lesson_panel import LessonPanel
from gradviz.ui.classroom.presenter import presenter_action
from gradviz.ui.classroom.quiz import ClassroomPanel
from gradviz.ui.classroom.sanity_panel import SanityPanel, SanitySource
from gradviz.ui.classroom.sweep_view import SweepView, copy_network
from gradviz.ui.common.unavailable import set_unavailable
from gradviz.ui.model_file.model_sweep import ModelFileSweep

BOTTOM_DOCK_HEIGHT = 280  # px for a bottom dock when opened: the heatmap keeps the rest
NO_NETWORK = "there is no network: fix the network or data first"
#: the views that work on the built-in network only, and why, shown over them while a model file
#: is open (the lessons open sessions, the explanation reads any report, the ε sweep sweeps the
#: user's model itself: they keep working)
MODEL_FILE_REASONS = {
    "classroom": "The quiz seals bugs in the built-in network: open a lesson or a session to play.",
    "timeline": "Checkpoints train a copy of the built-in network: gradviz does not copy your model.",
    "layer_gradients": "Signals by layer read the built-in network's layers: gradviz does not know "
                       "your model's.",
    "sanity": "The sanity checks need the built-in network's loss, initialization and data.",
    "cost": "The cost is measured on the built-in network: your model's check shows its own "
            "components/s.",
    "data_view": "The data view draws the built-in 2-D data sets, not your model's X.",
    "bias_variance": "Bias and variance need train and dev accuracy: your model gives gradviz only "
                     "its loss.",
}
#: Classroom menu actions that act on the built-in network
MODEL_FILE_ACTIONS = ("sealBug", "surprise", "reveal")

LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


class _CloseGuard(QObject):
    """Stops the classroom's workers when the window closes (docked widgets get no closeEvent)."""

    def __init__(self, window: QMainWindow, stop) -> None:
        super().__init__(window)
        self._stop = stop
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self._stop()
        return False


class ClassroomController:
    """Builds the classroom into ``window`` and reacts to it. Attributes: the panels (lessons,
    explanation, sweep, timeline, classroom, data_view, bias_variance, layer_gradients, sanity,
    cost), ``docks`` and ``actions`` by key, and ``menu``."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.lessons, self.explanation = LessonPanel(), ExplanationPanel()
        self.sweep, self.timeline = SweepView(), CheckpointTimeline()
        self.model_sweep = ModelFileSweep(window, self.sweep)
        self.classroom = ClassroomPanel(self.seal_bug, self.spec, self.unseal_bug,
                                        check_source=self.quiz_source)
        self.data_view, self.bias_variance = DataViewPanel(), BiasVariancePanel()
        self.layer_gradients, self.sanity, self.cost = LayerGradientPanel(), SanityPanel(), CostPanel()
        self.shown: CheckReport | None = None  # what the heatmap shows: the last check or a checkpoint
        training = window.training_panel
        for panel in (self.data_view, self.bias_variance, self.layer_gradients):
            panel.exclusive = training.exclusive
        self.bias_variance.set_trainer(lambda: training.trainer)
        self.timeline.set_source(self.checkpoint_run)
        self.sanity.set_source(self.sanity_source)
        self.cost.set_source(self.cost_source)
        self.docks = self._make_docks()
        self.menu, self.actions = self._make_menu()
        self._connect()
        _CloseGuard(window, self.stop_workers)
        self.show_problem(window.problem)

    # -- building ------------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea,
              shown: bool = False) -> QDockWidget:
        """A dock, hidden unless ``shown`` (the Classroom or View menu opens it): hidden before it
        joins the window, so that its size never counts in the window's minimum size."""
        dock = QDockWidget(title, self.window, objectName=name)
        dock.setWidget(widget)
        dock.setVisible(shown)
        self.window.addDockWidget(area, dock)
        self.window.files.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _make_docks(self) -> dict[str, QDockWidget]:
        window = self.window
        data = stack(self.data_view, self.bias_variance, stretch=(1, 1))
        sanity = stack(self.sanity, self.cost, stretch=(2, 1), side_by_side=True)
        docks = {
            "lessons": self._dock("Lessons", "lessonsDock", self.lessons, LEFT),
            "classroom": self._dock("Quiz", "classroomDock", self.classroom, LEFT),
            "explanation": self._dock("Explanation", "explanationDock", self.explanation, RIGHT,
                                      shown=True),
            "data": self._dock("Data", "dataDock", data, RIGHT),
            "sweep": self._dock("ε sweep", "sweepDock", self.sweep, BOTTOM),
            "timeline": self._dock("Checkpoints", "checkpointsDock", self.timeline, BOTTOM),
            "layers": self._dock("Signals by layer", "layerGradientsDock", self.layer_gradients, BOTTOM),
            "sanity": self._dock("Sanity checks", "sanityDock", sanity, BOTTOM),
        }
        network_dock = getattr(window, "network_dock", None)
        if network_dock is not None and window.dockWidgetArea(network_dock) == LEFT:
            window.tabifyDockWidget(network_dock, docks["lessons"])
        window.tabifyDockWidget(docks["lessons"], docks["classroom"])
        window.tabifyDockWidget(window.inspector_dock, docks["explanation"])
        window.tabifyDockWidget(docks["explanation"], docks["data"])
        plots_dock = getattr(window, "plots_dock", None)  # the bottom docks get its full width
        if plots_dock is not None and window.dockWidgetArea(plots_dock) == BOTTOM:
            window.tabifyDockWidget(plots_dock, docks["sweep"])
        for first, second in (("sweep", "timeline"), ("timeline", "layers"), ("layers", "sanity")):
            window.tabifyDockWidget(docks[first], docks[second])
        window.inspector_dock.raise_()
        return docks

    def _make_menu(self) -> tuple[QMenu, dict[str, QAction]]:
        window = self.window
        menu = QMenu("C&lassroom", window)
        window.menuBar().insertMenu(window.files.view_menu.menuAction(), menu)
        actions: dict[str, QAction] = {}

        def action(key: str, text: str, slot, shortcut: str | None = None) -> None:
            a = menu.addAction(text)
            a.setObjectName(f"{key}Action")
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(lambda _checked=False: slot())
            actions[key] = a

        action("lessons", "&Lessons", lambda: self.show_dock("lessons"), "Ctrl+L")
        action("nextLesson", "&Next lesson", lambda: self.lessons.step(1), "Ctrl+PgDown")
        action("previousLesson", "&Previous lesson", lambda: self.lessons.step(-1), "Ctrl+PgUp")
        menu.addSeparator()
        action("sealBug", "&Seal a bug…", self.open_seal_dialog, "Ctrl+Shift+B")
        action("surprise", "S&urprise me", self.surprise, "Ctrl+Alt+B")
        action("reveal", "&Reveal the bug", self.classroom.reveal, "Ctrl+Alt+R")
        menu.addSeparator()
        action("dataView", "&Data and bias/variance", lambda: self.show_dock("data"), "Ctrl+Alt+D")
        action("layerGradients", "Si&gnals by layer", lambda: self.show_dock("layers"), "Ctrl+Alt+G")
        action("sanity", "Sanity chec&ks", lambda: self.show_dock("sanity"), "Ctrl+Alt+K")
        menu.addSeparator()
        action("explain", "&Explain the formulas", lambda: self.show_dock("explanation"), "Ctrl+Alt+X")
        action("cube", "The θ³ &example", self.show_cube)
        action("sweep", "ε s&weep of the selected component", self.run_sweep, "Ctrl+Alt+E")
        action("timeline", "Checks during &training", lambda: self.show_dock("timeline"), "Ctrl+Alt+T")
        menu.addSeparator()
        presenter = presenter_action(window)
        menu.addAction(presenter)
        actions["presenter"] = presenter
        return menu, actions

    def _connect(self) -> None:
        window, training = self.window, self.window.training_panel
        window.check_finished.connect(self.on_report)
        window.heatmap.clicked.connect(self.on_click)
        self.timeline.checkpoint_selected.connect(self.on_checkpoint)
        self.lessons.lesson_requested.connect(self.load_lesson)
        training.problem_changed.connect(self.show_problem)
        training.training_step.connect(self.on_training_step)
        training.training_reset.connect(self.on_training_reset)
        training.running_changed.connect(self.on_running)

    # -- what the classroom reads from the window ---------------------------------------------
    def problem(self) -> Problem:
        problem = self.window.problem
        if problem is None:
            raise ValueError(NO_NETWORK)
        return problem

    def spec(self) -> NetworkSpec | None:
        problem = self.window.problem
        return None if problem is None else problem.net.spec

    def check_data(self):
        """(network, X_check, y_check) of the window, or Nones."""
        problem = self.window.problem
        return (None, None, None) if problem is None else (problem.net, problem.X_check, problem.y_check)

    def initial_params(self) -> dict:
        """θ training started from (kept by the trainer), else the network's current θ."""
        trainer = self.window.training_panel.trainer
        return trainer.initial_params if trainer is not None else dict(self.problem().net.params)

    def checkpoint_run(self) -> CheckpointRun:
        """Train a copy from the trainer's initial θ with the panel's settings, so checkpoint 0 is
        the initial θ and later ones follow the same path as the app's own training."""
        problem = self.problem()
        settings = self.window.check_panel.check_settings()
        training = self.window.training_panel.training_settings()
        net = Network(problem.net.spec, params=self.initial_params())
        sealed = self.window.sealed_bug  # beside the session's bugs, as in the window's check
        for bug in [*settings.bugs, *([sealed] if sealed is not None else [])]:
            net.add_bug(bug.kind, bug.layer)
        has_dev = problem.X_dev.shape[-1] > 0
        trainer = Trainer(net, problem.X, problem.y, problem.X_dev if has_dev else None,
                          problem.y_dev if has_dev else None, optimizer=training.optimizer,
                          lr=training.lr, batch_size=training.batch_size, seed=net.spec.seed)
        return CheckpointRun(trainer, problem.X_check, problem.y_check, settings.check_kwargs())

    def sanity_source(self) -> SanitySource:
        problem = self.problem()
        return SanitySource(problem.net.spec, problem.X, problem.y, self.initial_params())

    def cost_source(self):
        problem = self.problem()
        net = copy_network(problem.net)
        net.clear_bug()
        return net, problem.X_check, problem.y_check, self.window.check_panel.check_settings().check_kwargs()

    def quiz_source(self):
        """A bug-free copy of the network, its check examples and the check settings, or None."""
        return None if self.window.problem is None else self.cost_source()

    # -- actions -------------------------------------------------------------------------------
    def show_dock(self, key: str) -> None:
        dock = self.docks[key]
        if not dock.isVisible() and self.window.dockWidgetArea(dock) == BOTTOM:
            dock.show()
            self.window.resizeDocks([dock], [BOTTOM_DOCK_HEIGHT], Qt.Orientation.Vertical)
        dock.show()
        dock.raise_()

    def seal_bug(self, kind: str, layer: int) -> None:
        """Plant ``kind`` at ``layer`` in every check the window runs, shown nowhere."""
        problem = self.problem()
        sizes = problem.net.spec.sizes
        square = isinstance(layer, int) and 1 <= layer < len(sizes) and sizes[layer] == sizes[layer - 1]
        validate_bug(kind, layer, len(sizes) - 1, square=square)
        Network(problem.net.spec, params=problem.net.params).add_bug(kind, layer)  # can it take it?
        self.window.sealed_bug = Bug(kind, layer)

    def unseal_bug(self) -> None:
        self.window.sealed_bug = None

    def open_seal_dialog(self) -> None:
        self.show_dock("classroom")
        self.classroom.open_seal_dialog()

    def surprise(self) -> None:
        self.show_dock("classroom")
        self.classroom.surprise()

    def show_cube(self) -> None:
        self.show_dock("explanation")
        self.explanation.show_cube()

    def run_sweep(self) -> None:
        self.show_dock("sweep")
        if self.sweep.run_button.isEnabled():
            self.sweep.run()

    def load_lesson(self, path: str) -> None:
        """Open a lesson's session (after asking to save unsaved edits, as for any session)."""
        if self.window.open_session(path, remember=False):
            self.classroom.clear()

    def stop_workers(self) -> None:
        self.timeline.cancel(wait=True)
        self.sweep.cancel("The sweep stopped.")
        self.sweep.wait()
        for panel in (self.sanity, self.cost):
            panel.cancel(wait=True)
        self.classroom.search.cancel(wait=True)

    def set_model_file(self, name: str | None) -> None:
        """A model file (its ``name``) is open, or (None) the built-in network is back: the views
        of MODEL_FILE_REASONS are disabled with their reason meanwhile, and a sealed bug is
        removed (the quiz never judges a model file's report). The ε sweep sweeps the model file
        meanwhile."""
        if name is not None:
            self.classroom.clear()
            self.stop_workers()
            self.model_sweep.enter(name)
        else:
            self.model_sweep.leave()
        for view, reason in MODEL_FILE_REASONS.items():
            set_unavailable(getattr(self, view), None if name is None else reason)
        for key in MODEL_FILE_ACTIONS:
            self.actions[key].setEnabled(name is None)

    # -- reactions -----------------------------------------------------------------------------
    def show_problem(self, problem: Problem | None) -> None:
        """A new network or data: the views that show it start over."""
        self.data_view.set_problem(problem)
        self.layer_gradients.set_problem(problem)
        self.bias_variance.refresh()

    def sweep_component(self, report: CheckReport):
        """What a sweep after ``report`` targets: the pinned component, else the worst."""
        pinned = self.window.inspector.component
        if pinned is not None and pinned.block in report.blocks:
            return pinned
        worst = report.worst(1)
        return worst[0] if worst else None

    def on_report(self, report: CheckReport) -> None:
        self.shown = report
        self.explanation.set_model(*self.check_data())
        self.explanation.set_report(report)
        component = self.sweep_component(report)
        net, X, y = self.check_data()
        if net is None:  # a model file's report: the views of the built-in network keep out
            if component is not None:
                self.model_sweep.aim(component.block, component.index)
            return
        if component is not None and not self.sweep.is_running():
            self.sweep.set_target(net, X, y, component.block, component.index)
        self.layer_gradients.show_report(report)
        self.classroom.set_report(report)

    def on_click(self, component) -> None:
        net, X, y = self.check_data()
        if self.shown is not None and component.block in self.shown.blocks:
            self.explanation.set_component(self.shown, component.block, component.index)
        if self.window.model_file.is_open():
            self.model_sweep.aim(component.block, component.index)
        elif net is not None and not self.sweep.is_running():
            self.sweep.set_target(net, X, y, component.block, component.index)
        if self.classroom.guessing:
            self.classroom.select_block(component.block)

    def on_checkpoint(self, iteration: int, report: CheckReport, params) -> None:
        self.shown = report
        self.window.heatmap.show_report(report)
        self.window.verdict.show_report(report)
        problem = self.window.problem
        if problem is not None:
            net = Network(problem.net.spec, params=params)
            self.explanation.set_model(net, problem.X_check, problem.y_check)
        self.explanation.set_report(report)
        self.layer_gradients.show_report(report)

    def on_training_step(self, _record: StepRecord) -> None:
        for panel in (self.data_view, self.bias_variance, self.layer_gradients):
            panel.refresh()

    def on_training_reset(self) -> None:
        self.on_training_step(None)

    def on_running(self, running: bool) -> None:
        for panel in (self.data_view, self.bias_variance, self.layer_gradients):
            panel.set_training(running)
