"""Drawing that follows training without slowing it: a redraw at most every INTERVAL_MS and
within a share of the time (BUDGET), each done in an ``exclusive()`` turn of the GUI thread (the
training thread waits between two steps, see gradviz.ui.training.training_worker), and plots
that paint in such a turn too."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

INTERVAL_MS = 300
#: the largest share of the time the redraws may take while training runs
BUDGET = 0.05
MAX_WAIT_S = 2.0

Turn = Callable[[], AbstractContextManager]


class TurnPlot(pg.PlotWidget):
    """A PlotWidget that paints in an ``exclusive()`` turn (default: no turn)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.exclusive: Turn = nullcontext

    def paintEvent(self, event) -> None:
        with self.exclusive():
            super().paintEvent(event)


class Throttle(QObject):
    """Calls ``redraw()`` after ``request()``, at most every INTERVAL_MS and, while ``training``,
    only as often as keeps the redraws within BUDGET of the time (a redraw that took c seconds
    waits c / BUDGET before the next, at most MAX_WAIT_S). Each redraw runs in ``exclusive()``.
    While ``widget`` is hidden nothing is drawn: its showEvent should call ``now()``."""

    def __init__(self, redraw: Callable[[], None], widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._redraw = redraw
        self.exclusive: Turn = nullcontext
        self.training = False
        self._pending = False
        self._next = 0.0
        # not qthrottled: the wait after a redraw grows with its cost (BUDGET), in an exclusive() turn
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    def request(self) -> None:
        """Redraw on the next tick that the interval and the budget allow."""
        self._pending = True
        if not self._timer.isActive():
            self._timer.start()

    def now(self) -> None:
        """Redraw at once (when training stops, or for a new problem)."""
        self._pending = True
        self._next = 0.0
        self._tick()

    def _tick(self) -> None:
        start = time.perf_counter()
        if not self._pending or not self._widget.isVisible():
            self._timer.stop()
            return
        if start < self._next:
            return
        self._pending = False
        with self.exclusive():
            self._redraw()
        cost = time.perf_counter() - start
        self._next = start + (min(cost / BUDGET, MAX_WAIT_S) if self.training else 0.0)


class FollowsTraining:
    """Mixin for a panel that redraws with training: it has ``self.throttle`` (a Throttle) and
    ``self.plot`` (a TurnPlot); the window gives it the training runner's turn (``exclusive``),
    calls ``refresh()`` after training steps and ``set_training(running)``."""

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.throttle.now()

    @property
    def exclusive(self) -> Turn:
        return self.throttle.exclusive

    @exclusive.setter
    def exclusive(self, turn: Turn) -> None:
        self.throttle.exclusive = turn
        self.plot.exclusive = turn

    def set_training(self, running: bool) -> None:
        """While training runs, redraws keep within the budget; when it stops, one at once."""
        self.throttle.training = running
        if not running:
            self.throttle.now()

    def refresh(self) -> None:
        """The parameters changed: redraw when the throttle allows."""
        self.throttle.request()
