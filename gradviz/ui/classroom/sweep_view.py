"""The epsilon sweep view: error against ε on log–log axes, centered and one-sided, in float64
and float32 for the built-in network (a copy of it) and in its own dtype for a user's model
(the model itself, perturbed in place and restored by the engine), with the fitted slopes and
the best ε of each curve.

The sweep runs in a superqt worker; the view only draws what the worker returns.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget
from superqt.utils import create_worker

from gradviz.core.model.network import Network
from gradviz.core.teach.sweep import Sweep, epsilon_sweep, own_dtype
from gradviz.ui.common.theme import FollowsPalette, style_plot
from gradviz.ui.model_file.errors import ShownError, user_error
from gradviz.ui.model_file.model_sweep import StoppableModel, own_dtype_note

#: colour per dtype (Okabe–Ito: colour-blind safe, visible on light and dark backgrounds)
DTYPE_COLOURS = {"float64": "#0072B2", "float32": "#E69F00", "float16": "#009E73"}
METHOD_STYLES = {
    "centered": Qt.PenStyle.SolidLine,
    "forward": Qt.PenStyle.DashLine,
    "richardson": Qt.PenStyle.DotLine,
}
METHOD_NAMES = {"centered": "centered", "forward": "one-sided", "richardson": "Richardson"}
EXPECTED_SLOPES = {"centered": 2, "forward": 1, "richardson": 4}
EMPTY_X, EMPTY_Y = (-12, -1), (-12, 0)  # log10 ranges shown before the first sweep
STACK_BELOW = 760  # px: narrower than this, the slopes go below the plot instead of beside it
RUN_TIP = "Compute the numeric gradient for ε from 1e-12 to 1e-1"
STOP_SECONDS = 30.0  # longest wait for a user's loss evaluation to end when a sweep is stopped


def copy_network(model):
    """A copy of a built-in Network (same θ, same planted bugs) for a worker, so that it never
    reads arrays the GUI thread may change; any other model is returned as it is."""
    if not isinstance(model, Network):
        return model
    copy = Network(model.spec, params=model.params)
    copy.bugs = model.bugs
    return copy


def _slope_text(slope: float) -> str:
    return "n/a" if math.isnan(slope) else f"{slope:+.2f}"


def drawable(epsilons: np.ndarray, errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points a log–log plot can show: finite errors > 0 (an error of exactly 0 has no
    logarithm; the numeric value then equals the analytic one)."""
    keep = np.isfinite(errors) & (errors > 0)
    return epsilons[keep], errors[keep]


class SweepView(FollowsPalette, QWidget):
    """Sweeps ε for a block or one component. ``set_target(model, X, y, block, index)`` then
    ``run()`` (or ``sweep(...)`` for both); ``hold(reason)`` keeps Run off while something else
    moves the model's parameters. Emits finished(Sweep) or failed(str) (the user's exceptions
    with their file:line), and running_changed(bool)."""

    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        sweep_function: Callable[..., Sweep] = epsilon_sweep,
        dtypes: tuple[str, ...] = ("float64", "float32"),
        methods: tuple[str, ...] = ("centered", "forward"),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sweepView")
        self._sweep_function = sweep_function
        self._dtypes, self._methods = dtypes, methods
        self._target: tuple | None = None
        self._worker = None
        self._done = threading.Event()
        self._done.set()
        self._stop = threading.Event()
        self._stoppable = False  # whether the running sweep evaluates a user's model itself
        self._hold: str | None = None
        self._status_before_hold = ""
        self._result: Sweep | None = None
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.best_marks: dict[tuple[str, str], pg.PlotDataItem] = {}

        self.target_label = QLabel("Nothing to sweep yet: run a check or pick a component.",
                                   objectName="sweepTarget")
        self.target_label.setWordWrap(True)
        self.run_button = QPushButton("Run sweep", objectName="runSweepButton")
        self.run_button.setToolTip(RUN_TIP)
        self.run_button.clicked.connect(self.run)
        self.run_button.setEnabled(False)
        self.plot = pg.PlotWidget(objectName="sweepPlot")
        self.plot.setLogMode(True, True)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "ε (step size)")
        self.plot.setLabel("left", "error")
        self.plot.setMinimumSize(320, 160)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        # the legend sits below the axis (row 4 of the plot's layout), never over a curve
        item = self.plot.getPlotItem()
        self.legend = pg.LegendItem(colCount=2)
        item.layout.addItem(self.legend, 4, 1)
        item.legend = self.legend
        self.legend.hide()  # until there are curves
        self.plot.setRange(xRange=EMPTY_X, yRange=EMPTY_Y, padding=0)
        self.status = QLabel("", objectName="sweepStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.slopes_label = QLabel("", objectName="sweepSlopes")
        self.slopes_label.setTextFormat(Qt.TextFormat.RichText)
        self.slopes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.target_label, 1)
        top.addWidget(self.run_button)
        column.addLayout(top)
        column.addWidget(self.slopes_label)
        column.addWidget(self.status)
        column.addStretch(1)
        # side by side in a wide (bottom) dock, stacked in a narrow one: see resizeEvent
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.plot)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self._apply_palette()

    # -- inputs --------------------------------------------------------------------------------
    def set_target(self, model, X, y, block: str, index: tuple[int, ...] | int | None = None) -> None:
        """What the next run sweeps: component ``index`` of ``block`` (None: the whole block)."""
        if block not in getattr(model, "params", {}):
            raise ValueError(f"block must name a parameter of the model; got {block!r}")
        self._target = (model, X, y, block, None if index is None else index)
        self.target_label.setText(self._target_text())
        self._sync_button()

    def clear_target(self, text: str) -> None:
        """Nothing to sweep until the next ``set_target``; ``text`` says what to do."""
        self._target = None
        self.target_label.setText(text)
        self._sync_button()

    def target(self) -> tuple | None:
        """What the next run sweeps: (model, X, y, block, index), or None."""
        return self._target

    def hold(self, reason: str | None) -> None:
        """Keep Run off, with ``reason`` in the status line and the button's tooltip (another job
        moves the swept model's parameters); None: Run works again and the status line shows
        what it said before."""
        if reason == self._hold:
            return
        if self._hold is None:
            self._status_before_hold = self.status.text()
        self._hold = reason
        self.status.setText(self._status_before_hold if reason is None else reason)
        self._sync_button()

    def held(self) -> str | None:
        """Why Run is held off (None: it is not)."""
        return self._hold

    def _sync_button(self) -> None:
        self.run_button.setEnabled(self._target is not None and self._worker is None and self._hold is None)
        self.run_button.setToolTip(self._hold or RUN_TIP)

    def sweep(self, model, X, y, block: str, index: tuple[int, ...] | int | None = None) -> None:
        self.set_target(model, X, y, block, index)
        self.run()

    def is_running(self) -> bool:
        return self._worker is not None

    def result(self) -> Sweep | None:
        return self._result

    def run(self) -> None:
        """Start the sweep in a worker (a running one is left to finish and ignored). The
        built-in network is swept as a copy, in each of the view's dtypes; any other model
        itself, in its own dtype."""
        if self._target is None:
            raise ValueError("nothing to sweep: call set_target(model, X, y, block, index) first")
        if self._hold is not None:
            raise ValueError(self._hold)
        model, X, y, block, index = self._target
        stop, done = threading.Event(), threading.Event()
        if isinstance(model, Network):
            swept, dtypes, note = copy_network(model), self._dtypes, ""
        else:
            swept, dtypes, note = StoppableModel(model, stop), (own_dtype(model),), own_dtype_note(model)
        sweep_function, methods = self._sweep_function, self._methods

        def work() -> Sweep:
            try:
                with np.errstate(all="ignore"):
                    sweep = sweep_function(swept, X, y, block=block, index=index,
                                           dtypes=dtypes, methods=methods)
            except Exception as exc:
                # the user's model raised: their exception with their frames only (file:line)
                error = user_error(exc) if isinstance(swept, StoppableModel) else None
                if error is None:
                    raise
                raise error from exc
            finally:
                done.set()
            if note:
                sweep.notes.append(note)
            return sweep

        worker = create_worker(work, _start_thread=False, _ignore_errors=True)
        # bound methods: Qt drops the connections if this view is deleted first
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        self._worker, self._done, self._stop = worker, done, stop
        self._stoppable = isinstance(swept, StoppableModel)
        self._sync_button()
        self.status.setToolTip("")
        self.status.setText(f"Sweeping {self._target_text()} …")
        self.running_changed.emit(True)
        worker.start()

    def cancel(self, reason: str, wait: bool = True) -> None:
        """Stop the running sweep and say ``reason`` in the status line: a user's model stops at
        its next loss evaluation (its parameters restored; with ``wait``, this returns once they
        are), a copy of the built-in network is left to finish and ignored."""
        if self._worker is None:
            return
        self._stop.set()
        self._worker = None
        if wait and self._stoppable:
            self._done.wait(STOP_SECONDS)
        self.status.setText(reason)
        self._sync_button()
        self.running_changed.emit(False)

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until the running sweep (if any) has finished; True if it has."""
        return self._done.wait(timeout)

    def closeEvent(self, event) -> None:
        self.wait()
        super().closeEvent(event)

    # -- results -------------------------------------------------------------------------------
    def _current(self) -> bool:
        """Whether the signal being handled comes from the running worker (not a stale one)."""
        return self._worker is not None and self.sender() is self._worker.signals

    def _on_returned(self, sweep: Sweep) -> None:
        if not self._current():
            return
        self._worker = None
        self._sync_button()
        self.show_sweep(sweep)
        self.running_changed.emit(False)
        self.finished.emit(sweep)

    def _on_errored(self, exc: BaseException) -> None:
        """The sweep raised: its message (with file:line for the user's code) in the status line,
        the user's traceback in its tooltip."""
        if not self._current():
            return
        self._worker = None
        self._sync_button()
        shown = ShownError.of(exc)
        self.status.setText(f"The sweep failed: {shown.message()}")
        self.status.setToolTip(shown.details)
        self.running_changed.emit(False)
        self.failed.emit(shown.message())

    def show_sweep(self, sweep: Sweep) -> None:
        """Draw a finished sweep: one curve per (dtype, method), a star at each best ε."""
        self._result = sweep
        self.plot.clear()
        self.legend.clear()
        self.legend.show()
        self.plot.enableAutoRange()
        self.curves, self.best_marks = {}, {}
        hidden = 0
        for key, (eps, errors) in sweep.curves.items():
            dtype, method = key
            colour = DTYPE_COLOURS.get(dtype, "#CC79A7")
            pen = pg.mkPen(colour, width=2.5, style=METHOD_STYLES.get(method, Qt.PenStyle.SolidLine))
            x, y = drawable(np.asarray(eps, float), np.asarray(errors, float))
            hidden += len(eps) - len(x)
            name = f"{dtype} {METHOD_NAMES.get(method, method)}"
            self.curves[key] = self.plot.plot(x, y, pen=pen, name=name)
            best, err = sweep.best_epsilon[key], sweep.best_error[key]
            if math.isfinite(err) and err > 0:
                self.best_marks[key] = self.plot.plot(
                    [best], [err], pen=None, symbol="star", symbolSize=16,
                    symbolBrush=colour, symbolPen=pg.mkPen(self._text_colour(), width=1),
                )
        what = "difference over the block" if sweep.index is None else "|dθ − dθ_approx|"
        self.plot.setLabel("left", what)
        self.plot.setTitle(f"ε sweep of {sweep.target}", color=self._text_colour())
        self.slopes_label.setText(self._slopes_html(sweep))
        self._fit_side()
        notes = list(sweep.notes)
        if hidden:
            notes.append(f"{hidden} point(s) with an error of exactly 0 or NaN are not drawn.")
        self.status.setText(" ".join(notes) or "★ marks the best ε of each curve.")

    def _slopes_html(self, sweep: Sweep) -> str:
        rows = ["<tr><th align='left'>curve</th><th>&nbsp;slope right of ★&nbsp;</th>"
                "<th>&nbsp;slope left of ★&nbsp;</th><th>&nbsp;best ε&nbsp;</th></tr>"]
        for key in sweep.curves:
            dtype, method = key
            colour = DTYPE_COLOURS.get(dtype, "#CC79A7")
            expected = EXPECTED_SLOPES.get(method)
            rows.append(
                f"<tr><td><span style='color:{colour}'>■</span> {dtype} {METHOD_NAMES.get(method, method)}"
                f"</td><td align='center'>{_slope_text(sweep.slopes[key])}"
                f"{'' if expected is None else f' (≈ {expected})'}</td>"
                f"<td align='center'>{_slope_text(sweep.rounding_slopes[key])}</td>"
                f"<td align='center'>{sweep.best_epsilon[key]:.0e}</td></tr>"
            )
        return "<table>" + "".join(rows) + "</table>"

    def _target_text(self) -> str:
        _, _, _, block, index = self._target
        if index is None:
            return f"block {block}"
        if isinstance(index, int | np.integer):
            return f"{block}.flat[{int(index)}]"
        return f"{block}[{', '.join(map(str, index))}]"

    def _fit_side(self) -> None:
        """Widen the side column (beside the plot) to the slopes table, which does not wrap."""
        if self.splitter.orientation() != Qt.Orientation.Horizontal:
            return
        need = self.splitter.widget(1).sizeHint().width()
        plot, side = self.splitter.sizes()
        if side < need:
            self.splitter.setSizes([max(plot + side - need, 0), need])

    def resizeEvent(self, event) -> None:
        wide = event.size().width() >= STACK_BELOW
        self.splitter.setOrientation(Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical)
        super().resizeEvent(event)
        self._fit_side()

    # -- theme ---------------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        text = style_plot(self.plot, self.palette())
        self.legend.setLabelTextColor(text)
        self.legend.setBrush(self.palette().color(QPalette.ColorRole.Base))
        self.legend.setPen(text)
        if self._result is not None:
            self.show_sweep(self._result)
