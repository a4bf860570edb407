"""The window on a user's model file: the edit–save–see loop.

Opening a ``.py`` file asks before running it (unless trusted), loads it in a worker thread and
shows its blocks in the Network dock; the check panel keeps what applies to a user's model, the
Training tab trains it when it comes with X and y. The file and the Python files beside it are
watched: each save loads it again and checks it again (the kind of check last run), keeping the
settings and the pinned component. The user's exceptions, at load or during a check, show in the
verdict with their file:line and grey the previous heatmap; the next save tries again.

A model file is not saved as a session: the .py file is its saved state, so Save and Save As are
off and edits of the check settings mark nothing unsaved. Opening a session leaves the model file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QProgressBar, QScrollArea

from gradviz.core.data.session import CheckSettings
from gradviz.ui.common.dialogs import show_error
from gradviz.ui.model_file.blocks_panel import ModelBlocksPanel
from gradviz.ui.model_file.errors import ShownError, error_text
from gradviz.ui.model_file.loader import ModelLoad, ModelLoader
from gradviz.ui.model_file.quick_offer import LARGE_CHECK_SECONDS, QuickOffer
from gradviz.ui.model_file.trust import may_run
from gradviz.ui.model_file.watcher import ModelFileWatcher
from gradviz.ui.stale_results import NOTES

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow

SAVE_OFF = "A model file is saved by your editor: the .py file is its saved state"
TRAINING_WAITS = "Training waits while your model is checked: the check moves its parameters"


class ModelFileMode(QObject):
    """The model file a window shows (``path``; None: the window shows its built-in network).

    Uses the window's network_dock, check_panel, training_panel, classroom, heatmap, verdict,
    checks, stale, document, files, app_settings and status bar. Signals: loaded(str) — the
    resolved path, each time the file loaded; checking_changed(bool) — a check of the model
    starts (before it moves the parameters) or ended (``checking`` tells which); the failures
    go out through the window's check controller (failed)."""

    loaded = Signal(str)
    checking_changed = Signal(bool)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.path: Path | None = None
        self.current: ModelLoad | None = None  # the file's last version that loaded
        self._last_run: str | None = None  # "full" or "quick": what a save runs again
        self.checking = False  # a check of the model runs: nothing else may move its parameters
        self.panel = ModelBlocksPanel()
        self.panel.reload_requested.connect(self.reload)
        self.offer = QuickOffer(window.heatmap)
        self.offer.quick_requested.connect(lambda: window.run_check(quick=True))
        self.offer.full_requested.connect(lambda: window.run_check())
        self.loader = ModelLoader(self)
        self.loader.done.connect(self._on_load)
        self.watcher = ModelFileWatcher(self)
        self.watcher.changed.connect(self.reload)
        self.busy = QProgressBar(objectName="modelLoadProgress", minimum=0, maximum=0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(window.statusBar().fontMetrics().height())  # the bar keeps its height
        self.busy.hide()
        window.statusBar().addPermanentWidget(self.busy)
        # the Network dock shows the builder or this panel (swapped: a hidden page of a stacked
        # widget would make every relayout of the window take an extra turn of the event loop)
        self._builder_page = window.network_dock.widget()
        self._panel_page = QScrollArea(window.network_dock, widgetResizable=True,
                                       frameShape=QFrame.Shape.NoFrame)
        self._panel_page.setWidget(self.panel)
        self._panel_page.hide()
        checks = window.checks
        for ended in (checks.finished, checks.quick_finished, checks.cancelled, checks.failed):
            ended.connect(self._check_ended)
        checks.failed.connect(self._on_failed)
        combo = window.check_panel.workers_combo
        combo.set_value(window.app_settings.check_workers())
        combo.currentIndexChanged.connect(lambda: window.app_settings.set_check_workers(combo.value()))

    def is_open(self) -> bool:
        return self.path is not None

    def name(self) -> str | None:
        return None if self.path is None else self.path.name

    # -- opening and closing -------------------------------------------------------------------
    def open(self, path: str | Path, trust: bool = False) -> bool:
        """Open the model file at ``path``: ask before running it (unless ``trust`` or trusted
        before), then load it in a worker thread and check it when it loads. False when it was
        not opened (not a .py file, the user said No, or kept unsaved work): then nothing ran and
        the window is as it was."""
        w = self.window
        path = Path(path)
        if path.suffix.lower() != ".py" or not path.is_file():
            show_error(w, "Cannot open the model file",
                       f"{path}:\nno such Python file (a model file ends in .py)")
            return False
        path = path.resolve()
        if not may_run(w, path, w.app_settings, trust):
            return False
        if not w.document.maybe_save("opening a Python model"):
            return False
        self._enter(path)
        return True

    def reload(self) -> None:
        """Load the file again (it was saved) and check it when it loads."""
        if self.path is None:
            return
        self.window.cancel_check()
        if self.window.checks.report is not None:
            self.window.stale.set(NOTES["model changed"])
        self._start_load()

    def close(self) -> None:
        """Show the built-in network again (a session was opened)."""
        if self.path is None:
            return
        w = self.window
        self.path, self.current, self._last_run = None, None, None
        self.watcher.watch(None)
        self.offer.hide()
        self.busy.hide()
        self._show_page(self._builder_page)
        w.check_panel.set_model_file(False)
        w.classroom.set_model_file(None)
        w.training_panel.setEnabled(True)
        w.document.set_tracking(True)
        for action in (w.files.save_action, w.files.save_as_action):
            action.setEnabled(True)
            action.setStatusTip("")

    def _enter(self, path: Path) -> None:
        w = self.window
        w.cancel_check(wait=True)
        w.training_panel.pause()
        same = path == self.path
        if not same:
            self.current, self._last_run = None, None
            w.checks.report = None
            w.inspector.clear()
            w.heatmap.set_shapes({})
            w.training_panel.set_problem(None)
        self.path = path
        w.classroom.set_model_file(path.name)
        w.document.set_tracking(False)
        w.check_panel.set_model_file(True, None if self.current is None else self.current.dtype())
        for action in (w.files.save_action, w.files.save_as_action):
            action.setEnabled(False)
            action.setStatusTip(SAVE_OFF)
        self._show_page(self._panel_page)
        w.network_dock.show()
        w.network_dock.raise_()
        self.watcher.watch(path)
        w.app_settings.add_recent_file(path)
        w.update_title()
        self._start_load()

    def _show_page(self, page) -> None:
        dock = self.window.network_dock
        if dock.widget() is not page:
            dock.widget().hide()
            dock.setWidget(page)
            page.show()

    def _start_load(self) -> None:
        self.offer.hide()
        self.panel.show_loading(self.path)
        self.busy.show()
        self.window.statusBar().showMessage(f"Loading {self.path.name}…")
        self.loader.load(self.path)

    # -- what the loader reports ---------------------------------------------------------------
    def _on_load(self, path: Path, load: ModelLoad | None, error: Exception | None) -> None:
        if path != self.path:  # a file left meanwhile
            return
        self.busy.hide()
        if load is None:
            self._show_load_error(path, error)
            return
        w = self.window
        self.current = load
        self.panel.show_model(load)
        w.check_panel.set_model_file(True, load.dtype())
        w.training_panel.set_model(load.loaded.model, load.loaded.X, load.loaded.y)
        if load.shapes != w.heatmap.shapes():
            w.heatmap.set_shapes(load.shapes)
        w.statusBar().showMessage(f"Loaded {path.name}", 5000)
        self.loaded.emit(str(path))
        settings = w.check_panel.check_settings()
        workers = w.check_panel.workers_combo.value()
        full = load.full_check_seconds(settings.method, workers, settings.sample)
        if self._last_run == "quick":
            w.run_check(quick=True)
        elif self._last_run == "full" or full <= LARGE_CHECK_SECONDS:
            w.run_check()
        else:
            w.verdict.show_message(f"{path.name} loaded: choose a quick or a full check above the "
                                   "heatmap (or press Run check).")
            self.offer.offer(path.name, load.components, full, load.quick_check_seconds(), workers)

    def _show_load_error(self, path: Path, error: Exception | None) -> None:
        w = self.window
        self.current = None
        self.panel.show_error(path, ShownError.of(error))
        w.training_panel.set_problem(None)
        w.statusBar().showMessage(f"{path.name} did not load", 10000)
        w.checks.fail(error_text(error), prefix=f"{path.name} did not load: ")

    # -- the check -----------------------------------------------------------------------------
    def target(self, settings: CheckSettings, quick: bool = False) -> tuple[object, object, object, dict]:
        """(model, X, y, gradient_check's keyword arguments) for a check of the loaded model with
        ``settings`` and the workers setting; ValueError saying why there is none. The model itself
        is checked (its parameters are restored bit for bit): a running check is stopped first,
        and training and the ε sweep wait until the check ends (checking_changed)."""
        if self.current is None:
            state = "is still loading" if self.loader.is_loading() else \
                "did not load: fix the error and save it again (or press Reload)"
            raise ValueError(f"{self.name()} {state}")
        self._last_run = "quick" if quick else "full"
        self.offer.hide()
        self.window.cancel_check(wait=True)  # its end would otherwise release the model mid-check
        self.window.training_panel.pause()
        self.window.training_panel.setEnabled(False)
        self.window.training_panel.setToolTip(TRAINING_WAITS)
        self.checking = True
        self.checking_changed.emit(True)
        kwargs = {**settings.check_kwargs(), "workers": self.window.check_panel.workers_combo.workers()}
        loaded = self.current.loaded
        return loaded.model, loaded.X, loaded.y, kwargs

    def _check_ended(self, *_) -> None:
        self.window.training_panel.setEnabled(True)
        self.window.training_panel.setToolTip("")
        self.checking = False
        self.checking_changed.emit(False)

    def _on_failed(self, _message: str) -> None:
        if self.path is not None:  # the heatmap shows the previous version's result
            self.window.stale.set(NOTES["model error"], verdict=False)

