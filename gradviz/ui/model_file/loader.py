"""Load a model file off the GUI thread (its code may be slow): import it, call gradviz_model(),
and time one evaluation of its loss, from which the cost of a full check is estimated."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker

from gradviz.core.check.modelfile import LoadedModel, load_model_file
from gradviz.core.check.parallel import EVALUATIONS, MIN_SECONDS_FOR_WORKERS, resolve_workers
from gradviz.ui.model_file.errors import user_error


@dataclass
class ModelLoad:
    """A loaded model file and what one evaluation of its loss cost (seconds)."""

    loaded: LoadedModel
    seconds_per_loss: float

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: tuple(np.shape(v)) for name, v in self.loaded.model.params.items()}

    @property
    def components(self) -> int:
        return sum(math.prod(shape) for shape in self.shapes.values())

    def dtype(self) -> str | None:
        """The parameters' precision (None when the blocks differ)."""
        kinds = {str(np.asarray(v).dtype) for v in self.loaded.model.params.values()}
        return kinds.pop() if len(kinds) == 1 else None

    def full_check_seconds(self, method: str, workers: int | str, sample: int | None = None) -> float:
        """The first step of a full check, estimated from the timed loss: evaluations per
        component × components × seconds per evaluation, spread over the workers when the check
        is long enough to start them."""
        components = sum(min(math.prod(s), sample or math.prod(s)) for s in self.shapes.values())
        serial = EVALUATIONS.get(method, 2) * components * self.seconds_per_loss
        processes = resolve_workers(workers, None)
        return serial / processes if serial >= MIN_SECONDS_FOR_WORKERS else serial

    def quick_check_seconds(self) -> float:
        """The quick check along two random directions per block (bisection of a failing block
        costs more): two loss evaluations per direction, plus the objective's own two."""
        blocks = len(self.shapes)
        return (2 * 2 * blocks + 2) * self.seconds_per_loss


def load_and_time(path: Path) -> ModelLoad:
    """Load the model file and time one evaluation of its loss; the user's exceptions are raised
    as UserCodeError."""
    loaded = load_model_file(path)
    start = time.perf_counter()
    try:
        loaded.model.loss(loaded.X, loaded.y)
    except (Exception, SystemExit) as exc:
        error = user_error(exc)
        if error is None:
            raise
        raise error from None
    return ModelLoad(loaded, time.perf_counter() - start)


def _attempt(generation: int, path: Path) -> tuple[int, Path, ModelLoad | None, Exception | None]:
    """load_and_time without raising: (generation, path, load or None, error or None)."""
    try:
        return generation, path, load_and_time(path), None
    except (Exception, SystemExit) as exc:  # the user's sys.exit() stops nothing but their file
        return generation, path, None, exc


class ModelLoader(QObject):
    """Loads one model file at a time in a worker thread. ``done(path, ModelLoad | None,
    Exception | None)`` arrives on the GUI thread for the latest ``load`` only (an older load
    still running when another starts is ignored when it ends)."""

    done = Signal(object, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._running = 0

    def load(self, path: Path) -> None:
        self._generation += 1
        self._running += 1
        worker = create_worker(_attempt, self._generation, Path(path), _start_thread=False)
        worker.returned.connect(self._on_returned)
        worker.start()

    def is_loading(self) -> bool:
        return self._running > 0

    def _on_returned(self, result) -> None:
        generation, path, load, error = result
        self._running -= 1
        if generation == self._generation:
            self.done.emit(path, load, error)
