"""The checkpoint timeline: train a copy of the network and check it at chosen iterations, plot
the difference at each checkpoint, and scrub through them with a slider.

A bug can hide at initialization (a missing (λ/m)·W is invisible while W ≈ 0) and show after
training: on the plot it is a point that jumps above the 1e-5 line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from gradviz.core.model.training import Trainer
from gradviz.core.report.check_report import GREAT, OK, WORRY
from gradviz.core.teach.checkpoints import Checkpoint, iter_check_during_training
from gradviz.ui.classroom.explanation_panel import STATUS_COLOURS
from gradviz.ui.classroom.jobs import Job
from gradviz.ui.common.theme import FollowsPalette, style_plot

DEFAULT_ITERATIONS = (0, 100, 500)
PROGRESS_S = 0.05  # seconds between progress reports while training (and chances to cancel)
FLOOR = 1e-17  # where a difference of exactly 0 is drawn on the log axis


def parse_iterations(text: str) -> list[int]:
    """ "0, 100, 500" -> [0, 100, 500] (sorted, unique); ValueError names what is wrong."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError("iterations must list at least one whole number, e.g. 0, 100, 500")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"iterations must be whole numbers separated by commas; got {text!r}") from None
    if min(values) < 0:
        raise ValueError(f"iterations must be >= 0 (0: before training); got {text!r}")
    return sorted(set(values))


@dataclass
class CheckpointRun:
    """What a timeline run trains and checks. trainer: a Trainer on a *copy* of the network
    (see sweep_view.copy_network: the run trains it); X_check, y_check: the few examples the
    check uses (None: the trainer's data); check_options: gradient_check keyword arguments."""

    trainer: Trainer
    X_check: Any = None
    y_check: Any = None
    check_options: dict[str, Any] = field(default_factory=dict)


def _checkpoints(trainer: Trainer, at: list[int], X, y, options: dict[str, Any]):
    """Yield the iteration at most every PROGRESS_S while training (so Cancel is heard between
    them, and a tiny net's thousands of steps a second do not flood the GUI thread with queued
    signals), and a Checkpoint at each target; stop early when training stops."""
    last = time.monotonic()
    with np.errstate(all="ignore"):
        for target in at:
            record = None
            for step in trainer.steps(target - trainer.iteration):
                record = step
                if time.monotonic() - last >= PROGRESS_S:
                    last = time.monotonic()
                    yield step.iteration
            if trainer.iteration < target:
                return
            for cp in iter_check_during_training(trainer, [target], X=X, y=y, **options):
                if record is not None:  # the step that reached the checkpoint was taken here
                    cp = replace(cp, loss=record.loss, update_ratio=dict(record.update_ratio))
                yield cp


class CheckpointTimeline(FollowsPalette, QWidget):
    """Checks at chosen iterations of a training run (in a worker). ``set_source(prepare)`` gives
    what to train; ``run()`` starts. Emits checkpoint_selected(iteration, report, params) when the slider
    picks a checkpoint, finished(list of Checkpoint) at the end and failed(str) on an error."""

    checkpoint_selected = Signal(int, object, object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkpointTimeline")
        self._source: Callable[[], CheckpointRun] | None = None
        self.job = Job(self)
        self.job.yielded.connect(self._on_checkpoint)
        self.job.returned.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self._outcome: str | None = None  # how the run ended (None: cancelled)
        self._failure = ""
        self._total = 0
        self._checkpoints: list[Checkpoint] = []

        self.iterations_edit = QLineEdit(", ".join(map(str, DEFAULT_ITERATIONS)),
                                         objectName="checkpointIterations")
        self.iterations_edit.setToolTip("Iterations at which to check, e.g. 0, 100, 500 (0: before training)")
        self.run_button = QPushButton("Train and check", objectName="runCheckpointsButton")
        self.run_button.setToolTip("Train a copy of the network and run the check at each iteration")
        self.run_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel", objectName="cancelCheckpointsButton")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)

        self.plot = pg.PlotWidget(objectName="checkpointPlot")
        self.plot.setLogMode(False, True)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setLabel("bottom", "iteration")
        self.plot.setLabel("left", "difference")
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.plot.setMinimumHeight(120)
        self.plot.setMouseEnabled(x=False, y=False)
        self._bands = []
        for value, words in ((GREAT, "1e-7 great"), (OK, "1e-5"), (WORRY, "1e-3 worry")):
            line = pg.InfiniteLine(pos=math.log10(value), angle=0, movable=False,
                                   label=words, labelOpts={"position": 0.02, "anchors": [(0, 1), (0, 1)]})
            self.plot.addItem(line, ignoreBounds=True)
            self._bands.append(line)
        self._line = self.plot.plot([], [], pen=pg.mkPen(width=2))
        self._points = pg.ScatterPlotItem(size=11)
        self._selected = pg.ScatterPlotItem(size=20, brush=None, symbol="o")
        self.plot.addItem(self._points)
        self.plot.addItem(self._selected)

        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="checkpointSlider")
        self.slider.setEnabled(False)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.valueChanged.connect(self._on_slider)
        self.current_label = QLabel("", objectName="checkpointLabel")
        self.current_label.setWordWrap(True)
        self.status = QLabel("Give the iterations and press Train and check.", objectName="checkpointStatus")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        top = QHBoxLayout()
        top.addWidget(QLabel("Check at iterations"))
        top.addWidget(self.iterations_edit, 1)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.slider)
        bottom = QHBoxLayout()
        bottom.addWidget(self.current_label, 2)
        bottom.addWidget(self.status, 1)
        layout.addLayout(bottom)
        self._apply_palette()

    # -- inputs --------------------------------------------------------------------------------
    def set_source(self, prepare: Callable[[], CheckpointRun]) -> None:
        """What to train and check: ``prepare()`` is called on the GUI thread when a run starts
        (so it sees the window's current network and settings); a ValueError from it is shown."""
        self._source = prepare
        self.run_button.setEnabled(not self.job.is_running())

    def iterations(self) -> list[int]:
        return parse_iterations(self.iterations_edit.text())

    def set_iterations(self, iterations) -> None:
        self.iterations_edit.setText(", ".join(str(int(i)) for i in iterations))

    def checkpoints(self) -> list[Checkpoint]:
        return list(self._checkpoints)

    def is_running(self) -> bool:
        return self.job.is_running()

    # -- running -------------------------------------------------------------------------------
    def run(self) -> None:
        """Start training and checking in a worker; cancels a running one first."""
        if self._source is None:
            raise ValueError("nothing to train: call set_source(prepare) first")
        try:
            at = self.iterations()
            job = self._source()
        except ValueError as exc:
            self.status.setText(str(exc))
            self.failed.emit(str(exc))
            return
        self.cancel(wait=True)
        self._checkpoints = []
        self._outcome = None
        self._redraw()
        self._total = len(at)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Training and checking at {', '.join(map(str, at))} …")
        self.job.start(_checkpoints, job.trainer, at, job.X_check, job.y_check, dict(job.check_options))

    def cancel(self, wait: bool = False) -> None:
        """Stop after the current checkpoint; with ``wait``, block until the worker has stopped."""
        self.job.cancel(wait=wait)

    def closeEvent(self, event) -> None:
        self.cancel(wait=True)
        super().closeEvent(event)

    def _on_checkpoint(self, checkpoint: Checkpoint | int) -> None:
        if isinstance(checkpoint, int):
            self.status.setText(f"Training: iteration {checkpoint} …")
            return
        self._checkpoints.append(checkpoint)
        self.status.setText(f"Checked at iteration {checkpoint.iteration} "
                            f"({len(self._checkpoints)} of {self._total}) …")
        self._redraw()
        self._show(len(self._checkpoints) - 1)  # follow the run without emitting

    def _on_done(self, _value=None) -> None:
        missing = self._total - len(self._checkpoints)
        self._outcome = ("Done." if not missing else
                         f"Training stopped early: {missing} checkpoint(s) not reached.")

    def _on_failed(self, message: str) -> None:
        self._outcome = f"Failed: {message}"
        self._failure = message

    def _on_ended(self) -> None:
        """The worker stopped: after its result, its error, or a cancel (no outcome)."""
        self.run_button.setEnabled(self._source is not None)
        self.cancel_button.setEnabled(False)
        self.status.setText(self._outcome or "Cancelled.")
        if self._outcome is not None and self._outcome.startswith("Failed: "):
            self.failed.emit(self._failure)
        elif self._outcome is not None:
            self.finished.emit(self.checkpoints())

    # -- scrubbing -----------------------------------------------------------------------------
    def select(self, position: int) -> None:
        """Pick checkpoint ``position`` (0-based, in iteration order) and emit it."""
        if not 0 <= position < len(self._checkpoints):
            raise ValueError(f"position must be between 0 and {len(self._checkpoints) - 1}; got {position}")
        if self.slider.value() == position:
            self._on_slider(position)
        else:
            self.slider.setValue(position)

    def _on_slider(self, position: int) -> None:
        if 0 <= position < len(self._checkpoints):
            cp = self._show(position)
            self.checkpoint_selected.emit(cp.iteration, cp.report, cp.params)

    def _show(self, position: int) -> Checkpoint:
        """Move the slider, the label and the highlight to checkpoint ``position``."""
        with signals_blocked(self.slider):
            self.slider.setValue(position)
        cp = self._checkpoints[position]
        report = cp.report
        failing = report.failing_blocks()
        self.current_label.setText(
            f"Iteration {cp.iteration}: difference {report.difference:.2e} ({report.status})"
            + (f", failing: {', '.join(failing)}" if failing else "")
            + ("" if cp.loss is None else f", loss {cp.loss:.4g}")
        )
        self._selected.setData([cp.iteration], [self._log(report.difference)])
        return cp

    # -- drawing -------------------------------------------------------------------------------
    @staticmethod
    def _log(difference: float) -> float:
        """The y position in view coordinates (log10): FLOOR for 0, 10 for NaN/Inf (scatter
        items and lines take view coordinates; only PlotDataItems follow the log axis)."""
        if not math.isfinite(difference):
            return 1.0
        return math.log10(max(difference, FLOOR))

    def _redraw(self) -> None:
        n = len(self._checkpoints)
        with signals_blocked(self.slider):
            self.slider.setRange(0, max(n - 1, 0))
        self.slider.setEnabled(n > 1)
        iterations = np.array([cp.iteration for cp in self._checkpoints], dtype=float)
        differences = [cp.report.difference for cp in self._checkpoints]
        y = np.array([self._log(d) for d in differences])
        self._line.setData(iterations, 10.0**y)  # a PlotDataItem follows the axis' log mode

        self._points.setData(
            iterations, y,
            brush=[pg.mkBrush(STATUS_COLOURS[cp.report.status]) for cp in self._checkpoints],
            pen=pg.mkPen(self._text_colour()),
        )
        if n == 0:
            self._selected.clear()
            self.current_label.setText("")
        low = min(float(np.min(y)) if n else -9.0, math.log10(GREAT)) - 1
        high = max(float(np.max(y)) if n else 0.0, math.log10(WORRY)) + 1
        self.plot.setYRange(low, high, padding=0)
        step = max(1, math.ceil((high - low) / 6))
        decades = range(math.ceil(low), math.floor(high) + 1, step)
        self.plot.getAxis("left").setTicks([[(float(k), f"1e{k}") for k in decades], []])

    # -- theme ---------------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        text = style_plot(self.plot, self.palette())
        self._line.setPen(pg.mkPen(text, width=2))
        self._selected.setPen(pg.mkPen(text, width=2))
        faint = pg.mkPen(text, width=1, style=Qt.PenStyle.DashLine)
        for line in self._bands:
            line.setPen(faint)
            line.label.setColor(text)
        self._redraw()
