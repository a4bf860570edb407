"""The ε sweep on a user's model file: the model itself is swept (gradviz does not copy a user's
model), in its own dtype, one job at a time on its parameters.

The sweep's target follows the loaded version of the file. Run waits while a check or training
moves the model's parameters; a check that starts stops a running sweep first (at its next loss
evaluation, the parameters restored by the engine); training waits while the sweep runs.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject

from gradviz.core.teach.sweep import own_dtype
from gradviz.ui.common.stale import mark_stale

if TYPE_CHECKING:
    from gradviz.ui.classroom.sweep_view import SweepView
    from gradviz.ui.main_window import MainWindow

CHECK_MOVES = "A check of {name} is running: the sweep waits for it (both move your model's parameters)."
TRAINING_MOVES = "Training moves the parameters of {name}: pause it to run the sweep."
TRAINING_WAITS = "Training waits while the ε sweep runs on your model: the sweep moves its parameters"
STOPPED_FOR_CHECK = ("The sweep stopped: a check of {name} started (the parameters are as they "
                     "were). Run it again when the check ends.")
STOPPED_FOR_CHANGE = "The sweep stopped: {name} changed."
PICK = "Sweep {name}: run a check (its worst component is swept) or click a component of the heatmap."
NOT_LOADED = "{name} did not load: the sweep waits for a version that loads."
CHANGED = "your model file changed: run the sweep again"
BUILT_IN = "this sweep is of the built-in network: run it on your model"


class SweepStopped(Exception):
    """The sweep of a user's model was stopped (the engine has restored its parameters)."""


class StoppableModel:
    """A user's model as the sweep evaluates it: the same ``params`` (perturbed in place and
    restored by the engine) and a ``loss`` that raises SweepStopped once ``stop`` is set, so that
    a check can take the model over after at most one evaluation of its loss."""

    def __init__(self, model, stop: threading.Event) -> None:
        self._model, self._stop = model, stop

    @property
    def params(self) -> dict:
        return self._model.params

    def loss(self, X, y):
        if self._stop.is_set():
            raise SweepStopped
        return self._model.loss(X, y)


def own_dtype_note(model) -> str:
    """What a sweep of a user's model (in its own dtype only) leaves out, and why."""
    own = own_dtype(model)
    others = " or ".join(d for d in ("float64", "float32") if d != own)
    return (f"{own} curves only: your model is swept as it is, in its own dtype ({own}); "
            f"a {others} curve needs the model in {others}.")


def has_component(params: dict, block: str, index) -> bool:
    """Whether ``params[block]`` has the component at position ``index`` (a tuple)."""
    if block not in params:
        return False
    shape = np.shape(params[block])
    index = tuple(index)
    return len(index) == len(shape) and all(0 <= i < n for i, n in zip(index, shape, strict=True))


class ModelFileSweep(QObject):
    """Keeps ``view`` (the classroom's SweepView) on the model file that ``window`` shows (its
    model_file, checks and training_panel); the classroom calls ``enter(name)``, ``leave()`` and
    ``aim(block, index)``."""

    def __init__(self, window: MainWindow, view: SweepView) -> None:
        super().__init__(window)
        self.window, self.view = window, view
        self._training_held = False  # the sweep turned the training panel off
        mode = window.model_file
        mode.checking_changed.connect(self._on_checking)
        mode.loaded.connect(self._follow)
        window.checks.failed.connect(self._follow)  # a version that did not load
        window.training_panel.running_changed.connect(self.refresh)
        view.running_changed.connect(self._on_sweep_running)

    def _name(self) -> str:
        return self.window.model_file.name() or "your model"

    def _loaded(self):
        current = self.window.model_file.current
        return None if current is None else current.loaded

    # -- what the classroom asks ---------------------------------------------------------------
    def enter(self, name: str) -> None:
        """A model file is open: nothing to sweep until its check or a click gives a component."""
        self.view.clear_target(PICK.format(name=name))
        if self.view.result() is not None:
            mark_stale(self.view, BUILT_IN)
        self.refresh()

    def leave(self) -> None:
        """The built-in network is back: the next check or click targets it."""
        self.view.cancel("The sweep stopped: the model file was closed.")
        self.view.clear_target("Nothing to sweep yet: run a check or pick a component.")
        self.view.hold(None)

    def aim(self, block: str, index) -> bool:
        """Sweep component ``index`` of ``block`` of the loaded model next; False (nothing
        changes) while a sweep runs or when the model has no such component."""
        loaded = self._loaded()
        if loaded is None or self.view.is_running() or not has_component(loaded.model.params, block, index):
            return False
        self.view.set_target(loaded.model, loaded.X, loaded.y, block, tuple(index))
        return True

    def waits_for(self) -> str | None:
        """Why the sweep cannot run on the model file now (None: it can, or none is open)."""
        mode = self.window.model_file
        if not mode.is_open():
            return None
        if mode.checking:
            return CHECK_MOVES.format(name=self._name())
        if self.window.training_panel.is_running():
            return TRAINING_MOVES.format(name=self._name())
        return None

    def refresh(self, *_) -> None:
        self.view.hold(self.waits_for())

    # -- reactions -----------------------------------------------------------------------------
    def _on_checking(self, checking: bool) -> None:
        if checking and self.view.is_running():
            self.view.cancel(STOPPED_FOR_CHECK.format(name=self._name()))
        self.refresh()

    def _on_sweep_running(self, running: bool) -> None:
        """Training waits while the sweep moves the model's parameters."""
        training, mode = self.window.training_panel, self.window.model_file
        if running and mode.is_open():
            training.pause()
            training.setEnabled(False)
            training.setToolTip(TRAINING_WAITS)
            self._training_held = True
        elif not running and self._training_held:
            self._training_held = False
            if not mode.checking:
                training.setEnabled(True)
                training.setToolTip("")

    def _follow(self, *_) -> None:
        """A version of the file loaded (or did not): the target moves to it, same component."""
        if not self.window.model_file.is_open():
            return
        loaded, target = self._loaded(), self.view.target()
        if target is not None and loaded is not None and target[0] is loaded.model:
            return
        self.view.cancel(STOPPED_FOR_CHANGE.format(name=self._name()))
        if self.view.result() is not None:
            mark_stale(self.view, CHANGED)
        if loaded is None:
            self.view.clear_target(NOT_LOADED.format(name=self._name()))
        elif target is None or not self.aim(target[3], target[4]):
            self.view.clear_target(PICK.format(name=self._name()))
