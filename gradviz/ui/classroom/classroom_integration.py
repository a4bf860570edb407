"""Adds the diagnosis and classroom panels to a MainWindow: lessons, the explanation of the
formulas, the ε sweep, the checkpoint timeline, the sealed-bug game and presenter view.

Uses the window's public parts only (problem, heatmap, verdict, check_panel, training_panel,
sealed_bug, inspector_dock, network_dock if any, files.view_menu, check_finished, load_session).
The window calls it once, when it is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

from gradviz.core.model.bugs import Bug, validate_bug
from gradviz.core.model.network import Network
from gradviz.core.model.training import Trainer
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.classroom.checkpoint_timeline import CheckpointRun, CheckpointTimeline
from gradviz.ui.classroom.classroom import ClassroomPanel
from gradviz.ui.classroom.explanation_panel import ExplanationPanel
from gradviz.ui.classroom.lesson_panel import LessonPanel
from gradviz.ui.classroom.presenter import presenter_action
from gradviz.ui.classroom.sweep_view import SweepView, copy_network

BOTTOM_DOCK_HEIGHT = 280  # px for the sweep / checkpoints docks when opened: the heatmap keeps the rest


@dataclass
class Classroom:
    """What ``install_classroom`` added to the window."""

    lessons: LessonPanel
    explanation: ExplanationPanel
    sweep: SweepView
    timeline: CheckpointTimeline
    classroom: ClassroomPanel
    docks: dict[str, QDockWidget]
    menu: QMenu
    actions: dict[str, QAction]


class _CloseGuard(QObject):
    """Stops the sweep and timeline workers when the window closes (docked widgets get no
    closeEvent of their own)."""

    def __init__(self, window: QMainWindow, sweep: SweepView, timeline: CheckpointTimeline) -> None:
        super().__init__(window)
        self._sweep, self._timeline = sweep, timeline
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self._timeline.cancel(wait=True)
            self._sweep.wait()
        return False


def install_classroom(window: QMainWindow) -> Classroom:
    """Add the docks, the Classroom menu and the connections to ``window``; return them."""
    lessons, explanation = LessonPanel(), ExplanationPanel()
    sweep, timeline = SweepView(), CheckpointTimeline()

    def apply_bug(kind: str, layer: int) -> None:
        if window.problem is None:
            raise ValueError("there is no network to plant a bug in: fix the network or data first")
        sizes = window.problem.net.spec.sizes
        square = isinstance(layer, int) and 1 <= layer < len(sizes) and sizes[layer] == sizes[layer - 1]
        validate_bug(kind, layer, len(sizes) - 1, square=square)
        window.sealed_bug = Bug(kind, layer)

    def clear_bug() -> None:
        window.sealed_bug = None

    def spec():
        return None if window.problem is None else window.problem.net.spec

    classroom = ClassroomPanel(apply_bug, spec, clear_bug)

    _CloseGuard(window, sweep, timeline)

    def checkpoint_run() -> CheckpointRun:
        problem = window.problem
        if problem is None:
            raise ValueError("there is no network to train: fix the network or data first")
        settings = window.check_panel.check_settings()
        training = window.training_panel.training_settings()
        net = copy_network(problem.net)
        net.clear_bug()
        for bug in settings.bugs:  # a session may plant several
            net.add_bug(bug.kind, bug.layer)
        if window.sealed_bug is not None:
            net.add_bug(window.sealed_bug.kind, window.sealed_bug.layer)
        trainer = Trainer(net, problem.X, problem.y, optimizer=training.optimizer, lr=training.lr,
                          batch_size=training.batch_size)
        return CheckpointRun(trainer, problem.X_check, problem.y_check, settings.check_kwargs())

    timeline.set_source(checkpoint_run)

    # -- docks ---------------------------------------------------------------------------------
    def dock(title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        d = QDockWidget(title, window, objectName=name)
        d.setWidget(widget)
        window.addDockWidget(area, d)
        window.files.view_menu.addAction(d.toggleViewAction())
        return d

    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    docks = {
        "lessons": dock("Lessons", "lessonsDock", lessons, left),
        "classroom": dock("Classroom", "classroomDock", classroom, left),
        "explanation": dock("Explanation", "explanationDock", explanation, right),
        "sweep": dock("ε sweep", "sweepDock", sweep, bottom),
        "timeline": dock("Checkpoints", "checkpointsDock", timeline, bottom),
    }
    network_dock = getattr(window, "network_dock", None)
    if network_dock is not None and window.dockWidgetArea(network_dock) == left:
        window.tabifyDockWidget(network_dock, docks["lessons"])
    window.tabifyDockWidget(docks["lessons"], docks["classroom"])
    window.tabifyDockWidget(window.inspector_dock, docks["explanation"])
    window.tabifyDockWidget(docks["sweep"], docks["timeline"])
    window.inspector_dock.raise_()
    for d in (docks["lessons"], docks["classroom"], docks["sweep"], docks["timeline"]):
        d.hide()  # opened from the Classroom menu or the View menu (the window restores its layout)

    # -- connections ---------------------------------------------------------------------------
    def check_data():
        problem = window.problem
        return (None, None, None) if problem is None else (problem.net, problem.X_check, problem.y_check)

    shown: list[CheckReport] = []  # the report the heatmap shows: the last check or a checkpoint

    def on_report(report: CheckReport) -> None:
        shown[:] = [report]
        explanation.set_model(*check_data())
        explanation.set_report(report)
        worst = report.worst(1)
        net, X, y = check_data()
        if worst and net is not None and not sweep.is_running():
            sweep.set_target(net, X, y, worst[0].block, worst[0].index)
        classroom.set_report(report)

    def on_click(component) -> None:
        net, X, y = check_data()
        if shown and component.block in shown[0].blocks:
            explanation.set_component(shown[0], component.block, component.index)
        if net is not None and not sweep.is_running():
            sweep.set_target(net, X, y, component.block, component.index)
        if classroom.guessing:
            classroom.guess(component.block)

    def on_checkpoint(iteration: int, report: CheckReport, params) -> None:
        shown[:] = [report]
        window.heatmap.show_report(report)
        window.verdict.show_report(report)
        problem = window.problem
        if problem is not None:
            net = Network(problem.net.spec, params=params)
            explanation.set_model(net, problem.X_check, problem.y_check)
        explanation.set_report(report)

    def on_lesson(path: str) -> None:
        if window.load_session(path, remember=False):
            classroom.clear()

    window.check_finished.connect(on_report)
    window.heatmap.clicked.connect(on_click)
    timeline.checkpoint_selected.connect(on_checkpoint)
    lessons.lesson_requested.connect(on_lesson)

    # -- menu ----------------------------------------------------------------------------------
    menu = QMenu("C&lassroom", window)
    window.menuBar().insertMenu(window.files.view_menu.menuAction(), menu)
    actions: dict[str, QAction] = {}

    def action(key: str, text: str, slot, shortcut: str | None = None) -> QAction:
        a = menu.addAction(text)
        a.setObjectName(f"{key}Action")
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(lambda _checked=False: slot())
        actions[key] = a
        return a

    def show(key: str):
        def raise_dock() -> None:
            d = docks[key]
            if not d.isVisible() and window.dockWidgetArea(d) == bottom:
                d.show()
                window.resizeDocks([d], [BOTTOM_DOCK_HEIGHT], Qt.Orientation.Vertical)
            d.show()
            d.raise_()
        return raise_dock

    action("lessons", "&Lessons", show("lessons"), "Ctrl+L")
    action("nextLesson", "&Next lesson", lambda: lessons.step(1), "Ctrl+PgDown")
    action("previousLesson", "&Previous lesson", lambda: lessons.step(-1), "Ctrl+PgUp")
    menu.addSeparator()
    action("sealBug", "&Seal a bug…", lambda: (show("classroom")(), classroom.open_seal_dialog()),
           "Ctrl+Shift+B")
    action("surprise", "S&urprise me", lambda: (show("classroom")(), classroom.surprise()), "Ctrl+Alt+B")
    action("reveal", "&Reveal the bug", classroom.reveal, "Ctrl+Alt+R")
    menu.addSeparator()
    action("explain", "&Explain the formulas", show("explanation"), "Ctrl+Alt+X")
    action("cube", "The θ³ &example", lambda: (show("explanation")(), explanation.show_cube()))
    action("sweep", "ε s&weep of the selected component",
           lambda: (show("sweep")(), sweep.run() if sweep.run_button.isEnabled() else None), "Ctrl+Alt+E")
    action("timeline", "Checks during &training", show("timeline"), "Ctrl+Alt+T")
    menu.addSeparator()
    presenter = presenter_action(window)
    menu.addAction(presenter)
    actions["presenter"] = presenter
    return Classroom(lessons, explanation, sweep, timeline, classroom, docks, menu, actions)
