"""Live training curves: loss per iteration (with a smoothed curve), train/dev accuracy per epoch,
and the update/weight ratio of every parameter block on a log axis.

Records are appended to fixed-size numpy ring buffers; a ~30 Hz timer redraws (``setData``) only
when something changed and the plots are visible, one plot per frame in turn, so that no frame
repaints all three at once and the event loop never waits for more than one plot. Drawing holds
the GIL that the training thread needs, so the frame rate adapts: after a frame that cost c
seconds (setData and painting), the next one waits c / DRAW_BUDGET (at most MAX_WAIT), which
keeps the plots' share of the time near 4% while training runs (``set_training``); when it
stops, the plots catch up on the next frames. ``exclusive``, when set, gives each frame's setData
and each paint the GIL to themselves (see gradviz.ui.training.training_worker).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from gradviz.core.model.training import StepRecord
from gradviz.ui.common.theme import is_dark
from gradviz.ui.training.ring_buffer import RingBuffer

REDRAW_MS = 33
#: the largest share of the time the plots may spend drawing
DRAW_BUDGET = 0.04
#: the longest wait between frames, however costly the last one (the first paints are)
MAX_WAIT = 1.0
LOSS_CAPACITY = 50_000
EPOCH_CAPACITY = 10_000
#: weight of the past in the exponential moving average of the loss (bias-corrected)
SMOOTHING = 0.95
#: accuracy points get a marker while there are at most this many epochs
MARKED_EPOCHS = 40
#: the update/weight ratio the lectures call healthy
REFERENCE_RATIO = 1e-3
#: pixels for the y axes' tick labels and title: fixed, so new tick labels never relayout a plot
Y_AXIS_WIDTH = 58
#: opacity of the b curves of the update/weight ratio (W curves are opaque)
FAINT_ALPHA = 110

# Okabe-Ito colours (colour-blind safe): a darker set for light backgrounds, a lighter one for dark
_LIGHT_CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_DARK_CYCLE = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#D55E00", "#FFFFFF")


def curve_colors(palette: QPalette) -> tuple[str, ...]:
    """The colour cycle that reads well on the palette's background."""
    return _DARK_CYCLE if is_dark(palette) else _LIGHT_CYCLE


class _Plot(pg.PlotWidget):
    """A PlotWidget that paints in an ``owner.exclusive()`` turn and reports how long it took."""

    def __init__(self, owner: LivePlots) -> None:
        super().__init__()
        self._owner = owner

    def paintEvent(self, event) -> None:
        start = time.perf_counter()
        with self._owner.exclusive():
            super().paintEvent(event)
        self._owner._painted(time.perf_counter() - start)


def _legend_name(block: str) -> str | None:
    """"layer l" for W blocks; None (no legend entry) for the faint b curve of the same colour."""
    return None if block.startswith("b") else f"layer {_block_layer(block)}"


def _block_layer(name: str) -> int:
    """1 for "W1"/"b1", 2 for "W2", ...; 1 for names without a number."""
    match = re.search(r"(\d+)$", name)
    return int(match.group(1)) if match else 1


class LivePlots(QWidget):
    """Three pyqtgraph plots fed by ``add_records``; ``clear`` empties them.

    lossPlot: the minibatch loss J per iteration and its moving average; accuracyPlot: train and
    dev accuracy per epoch; updateRatioPlot: ‖update‖/‖param‖ per block (W solid, b faint, one
    colour per layer) with a dashed reference line at 1e-3.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: a turn of the GUI thread for drawing: () -> context manager (TrainingRunner.exclusive)
        self.exclusive: Callable[[], AbstractContextManager] = nullcontext
        self.lossPlot = self._plot("lossPlot", "Loss", "iteration", "J")
        # accuracy climbs to the top right: its legend goes bottom right
        self.accuracyPlot = self._plot("accuracyPlot", "Accuracy", "epoch", "accuracy", legend_at=(-6, -6))
        self.updateRatioPlot = self._plot("updateRatioPlot", "Update / weight ratio (W solid, b faint)",
                                          "iteration", "‖Δθ‖ / ‖θ‖")
        self.accuracyPlot.setYRange(-0.02, 1.05, padding=0)
        self.accuracyPlot.getPlotItem().setMouseEnabled(y=False)
        self.updateRatioPlot.setLogMode(y=True)
        self.updateRatioPlot.setXLink(self.lossPlot)

        self.loss_curve = self.lossPlot.plot(name="minibatch")
        self.smooth_curve = self.lossPlot.plot(name="smoothed")
        self.train_acc_curve = self.accuracyPlot.plot(name="train", symbol="o", symbolSize=5)
        self.dev_acc_curve = self.accuracyPlot.plot(name="dev", symbol="s", symbolSize=5)
        for curve in (self.loss_curve, self.smooth_curve, self.train_acc_curve, self.dev_acc_curve):
            curve.setDownsampling(auto=True, method="peak")  # about one point per pixel
        # a data item rather than an InfiniteLine, so that the legend explains it
        self.reference_line = self.updateRatioPlot.plot(name="1e-3 target")
        self.updateRatioPlot.getPlotItem().legend.setColumnCount(3)
        self.ratio_curves: dict[str, pg.PlotDataItem] = {}
        self._no_accuracy = pg.TextItem("no accuracy for the mse loss", anchor=(0.5, 0.5))
        self._no_accuracy.setPos(0.5, 0.5)
        self._no_accuracy.setVisible(False)
        self.accuracyPlot.addItem(self._no_accuracy, ignoreBounds=True)

        self.splitter = QSplitter(Qt.Orientation.Vertical)  # horizontal in a wide, low dock
        for plot in (self.lossPlot, self.accuracyPlot, self.updateRatioPlot):
            self.splitter.addWidget(plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self._loss = RingBuffer(LOSS_CAPACITY, 3)  # iteration, J, smoothed J
        self._epochs = RingBuffer(EPOCH_CAPACITY, 3)  # epoch, train acc, dev acc
        self._ratios = RingBuffer(LOSS_CAPACITY, 1)  # iteration, one column per block
        self._blocks: list[str] = []
        self._by_layer = True  # colours and legend by layer (W1, b1) or by block (a model's names)
        self._ema = 0.0
        self._ema_count = 0
        self._plots = (self.lossPlot, self.accuracyPlot, self.updateRatioPlot)
        self._dirty: set[pg.PlotWidget] = set()  # plots with records not drawn yet
        self._turn = 0  # the plot the next frame starts looking at
        self._frame_start = 0.0
        self._frame_cost = 0.0
        self._training = False  # frames keep to the budget only while training runs
        # x ranges grow in round steps and y ranges jump between round numbers instead of moving
        # with every point, so the axes are seldom redrawn; a plot stops following the data once
        # the user pans or zooms it (until clear())
        self._x_limit = dict.fromkeys(self._plots, 0.0)
        self._y_limits: dict[pg.PlotWidget, tuple[float, float] | None] = dict.fromkeys(self._plots)
        self._following = set(self._plots)
        for plot in self._plots:
            plot.getViewBox().sigRangeChangedManually.connect(
                lambda _mask, p=plot: self._following.discard(p))
        # not qthrottled: frames wait c / DRAW_BUDGET after a frame that cost c, one plot per frame
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._tick)
        self._apply_palette()

    # -- set-up ----------------------------------------------------------------------------------
    def _plot(self, name: str, title: str, x_label: str, y_label: str,
              legend_at: tuple[int, int] = (-6, 6)) -> pg.PlotWidget:
        plot = _Plot(self)
        plot.setObjectName(name)
        plot.setTitle(title, size="10pt")
        plot.setProperty("plotTitle", title)
        plot.setLabel("bottom", x_label)
        plot.setLabel("left", y_label)
        for side in ("left", "bottom"):  # plain tick labels, never "(x1e+27)" prefixes
            plot.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
        plot.setClipToView(True)
        plot.getPlotItem().getAxis("left").setWidth(Y_AXIS_WIDTH)
        plot.addLegend(offset=legend_at, labelTextSize="8pt", verSpacing=-6)
        plot.setMinimumHeight(160)
        return plot

    def set_blocks(self, blocks: Sequence[str], accuracy: bool = True, *, by_layer: bool = True,
                   note: str = "no accuracy for the mse loss") -> None:
        """Start over with one ratio curve per parameter block ("W1", "b1", ...; the legend names the
        layers, b curves are faint; ``by_layer`` False: a colour and a legend entry per block, for
        a model's own names); ``accuracy`` False shows ``note`` instead of accuracy."""
        legend = self.updateRatioPlot.getPlotItem().legend
        for curve in self.ratio_curves.values():
            self.updateRatioPlot.removeItem(curve)
        legend.removeItem(self.reference_line)
        self._blocks, self._by_layer = list(blocks), by_layer
        self.ratio_curves = {
            name: self.updateRatioPlot.plot(name=_legend_name(name) if by_layer else name)
            for name in self._blocks
        }
        for curve in self.ratio_curves.values():
            curve.setDownsampling(auto=True, method="peak")
        legend.addItem(self.reference_line, self.reference_line.name())
        self._ratios = RingBuffer(LOSS_CAPACITY, 1 + len(self._blocks))
        self._no_accuracy.setText(note)
        self._no_accuracy.setVisible(not accuracy)
        self._style_curves()
        self.clear()

    def set_log_loss(self, on: bool) -> None:
        """Draw the loss on a log axis."""
        self.lossPlot.setLogMode(y=on)
        self._y_limits[self.lossPlot] = None
        self._dirty.add(self.lossPlot)

    def set_smooth(self, on: bool) -> None:
        """Show or hide the moving average of the loss."""
        self.smooth_curve.setVisible(on)

    # -- data ------------------------------------------------------------------------------------
    def add_records(self, records: Sequence[StepRecord]) -> None:
        """Append step records (oldest first); the next timer tick draws them."""
        if not records:
            return
        loss = np.empty((len(records), 3))
        ratios = np.full((len(records), 1 + len(self._blocks)), np.nan)
        epochs = []
        for i, record in enumerate(records):
            self._ema = SMOOTHING * self._ema + (1.0 - SMOOTHING) * record.loss
            self._ema_count += 1
            smoothed = self._ema / (1.0 - SMOOTHING**self._ema_count)
            loss[i] = record.iteration, record.loss, smoothed
            ratios[i, 0] = record.iteration
            for j, name in enumerate(self._blocks, start=1):
                ratios[i, j] = record.update_ratio.get(name, np.nan)
            end = record.epoch_end
            # no point without an accuracy (mse): an all-NaN scatter warns on every paint
            if end is not None and (end.train_acc is not None or end.dev_acc is not None):
                epochs.append((end.epoch, _or_nan(end.train_acc), _or_nan(end.dev_acc)))
        ratios[~np.isfinite(ratios)] = np.nan
        self._loss.extend(loss)
        self._ratios.extend(ratios)
        if epochs:
            self._epochs.extend(np.array(epochs))
            self._dirty.add(self.accuracyPlot)
        self._dirty |= {self.lossPlot, self.updateRatioPlot}

    def clear(self) -> None:
        """Forget every record and empty the curves."""
        for buffer in (self._loss, self._epochs, self._ratios):
            buffer.clear()
        self._ema, self._ema_count = 0.0, 0
        self._following = set(self._plots)
        self._x_limit = dict.fromkeys(self._plots, 0.0)
        self._y_limits = dict.fromkeys(self._plots)
        self._dirty = set(self._plots)
        self.redraw()

    def record_count(self) -> int:
        """How many iterations the loss buffer holds."""
        return len(self._loss)

    def set_training(self, running: bool) -> None:
        """Whether training runs: only then do frames wait to keep within DRAW_BUDGET."""
        self._training = running

    def _tick(self) -> None:
        if not self._dirty:
            return
        now = time.perf_counter()
        wait = min(self._frame_cost / DRAW_BUDGET, MAX_WAIT) if self._training else 0.0
        if now < self._frame_start + wait:
            return  # the last frame was expensive: wait so that drawing stays within budget
        self._frame_start, self._frame_cost = now, 0.0
        in_turn = self._plots[self._turn:] + self._plots[:self._turn]
        plot = next(p for p in in_turn if p in self._dirty)
        self._turn = (self._plots.index(plot) + 1) % len(self._plots)
        with self.exclusive():
            self.redraw(plot)
        self._frame_cost += time.perf_counter() - now

    def _painted(self, seconds: float) -> None:
        self._frame_cost += seconds

    def redraw(self, *plots: pg.PlotWidget) -> None:
        """Copy the ring buffers into the curves of ``plots`` (default: every plot with new
        records)."""
        for plot in plots or tuple(self._dirty):
            self._dirty.discard(plot)
            if plot is self.accuracyPlot:
                self._draw_accuracy()
            elif plot is self.lossPlot:
                self._draw_loss()
            else:
                self._draw_ratios()

    def _draw_accuracy(self) -> None:
        epochs = self._epochs.data()
        marks = len(epochs) <= MARKED_EPOCHS
        for curve, column, symbol in ((self.train_acc_curve, 1, "o"), (self.dev_acc_curve, 2, "s")):
            if (curve.opts["symbol"] is not None) != marks:
                curve.setSymbol(symbol if marks else None)
            curve.setData(epochs[:, 0], epochs[:, column], connect="finite")
        self._follow(self.accuracyPlot, epochs[-1, 0] if len(epochs) else 0.0)

    def _draw_loss(self) -> None:
        loss = self._loss.data()
        self.loss_curve.setData(loss[:, 0], loss[:, 1], connect="finite")
        self.smooth_curve.setData(loss[:, 0], loss[:, 2], connect="finite")
        self._follow(self.lossPlot, loss[-1, 0] if len(loss) else 0.0, loss[:, 1:])

    def _draw_ratios(self) -> None:
        ratios = self._ratios.data()
        for j, name in enumerate(self._blocks, start=1):
            self.ratio_curves[name].setData(ratios[:, 0], ratios[:, j], connect="finite")
        if len(ratios):
            span = [ratios[0, 0], ratios[-1, 0]]
            self.reference_line.setData(span, [REFERENCE_RATIO, REFERENCE_RATIO])
        else:
            self.reference_line.setData([], [])
        self._follow(self.updateRatioPlot, ratios[-1, 0] if len(ratios) else 0.0,
                     np.append(ratios[:, 1:], REFERENCE_RATIO))

    def _follow(self, plot: pg.PlotWidget, x_last: float, y_values: np.ndarray | None = None) -> None:
        """Widen the plot's x range to the next round number when the data reaches its end, and
        set its y range to round numbers around ``y_values`` when they leave it. The x-linked
        loss and ratio plots each follow on their own frame: the link is held back, so that one
        frame never repaints both."""
        if plot not in self._following:
            return
        views = [p.getViewBox() for p in (self.lossPlot, self.updateRatioPlot)]
        for view in views:
            view.blockLink(True)
        if not 0.0 < x_last <= self._x_limit[plot]:
            self._x_limit[plot] = limit = _nice_ceiling(max(x_last * 1.1, 10.0))
            plot.setXRange(0.0, limit, padding=0.02)
        if y_values is not None:
            limits = _round_limits(y_values, plot.getPlotItem().getAxis("left").logMode)
            if limits is not None and limits != self._y_limits[plot]:
                self._y_limits[plot] = limits
                plot.setYRange(*limits, padding=0.02)
        for view in views:
            view.blockLink(False)

    # -- Qt events -------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._timer.start()
        self.redraw()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _apply_palette(self) -> None:
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        for plot in (self.lossPlot, self.accuracyPlot, self.updateRatioPlot):
            plot.setBackground(background)
            item = plot.getPlotItem()
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                axis.setPen(text)
                axis.setTextPen(text)
            plot.setTitle(plot.property("plotTitle"), size="10pt", color=text)
            legend = item.legend
            legend.setLabelTextColor(text)
            for _sample, label in legend.items:
                label.setText(label.text, size="8pt")  # LabelItem applies a new colour when re-rendered
            fill = QColor(background)
            fill.setAlpha(200)
            legend.setBrush(fill)
            legend.setPen(pg.mkPen(QColor(text.red(), text.green(), text.blue(), 60)))
        self._no_accuracy.setColor(text)
        self._style_curves()

    def _style_curves(self) -> None:
        colors = curve_colors(self.palette())
        muted = QColor(self.palette().color(QPalette.ColorRole.Text))
        muted.setAlpha(170)
        self.reference_line.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DashLine))
        raw = QColor(colors[0])
        raw.setAlpha(110)
        self.loss_curve.setPen(pg.mkPen(raw, width=1))
        self.smooth_curve.setPen(pg.mkPen(colors[1], width=2))  # thicker pens draw far slower
        for curve, color in ((self.train_acc_curve, colors[0]), (self.dev_acc_curve, colors[1])):
            curve.setPen(pg.mkPen(color, width=1))
            curve.setSymbolPen(pg.mkPen(color))
            curve.setSymbolBrush(pg.mkBrush(color))
        for i, (name, curve) in enumerate(self.ratio_curves.items()):
            color = QColor(colors[((_block_layer(name) - 1) if self._by_layer else i) % len(colors)])
            if self._by_layer and name.startswith("b"):  # faint, not dashed: dashes draw 2× slower
                color.setAlpha(FAINT_ALPHA)
            curve.setPen(pg.mkPen(color, width=1))


_ROUND = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) >= value > 0."""
    scale = 10.0 ** np.floor(np.log10(value))
    return next(m * scale for m in _ROUND if m * scale >= value)


def _round_limits(values: np.ndarray, log: bool) -> tuple[float, float] | None:
    """Round y limits around the finite values: whole decades (as log10, the way a log axis
    takes them) on a log axis; else from 0 (or a round number below a negative minimum) to a
    round number above the maximum. None when there is nothing to show."""
    finite = values[np.isfinite(values)]
    if log:
        finite = finite[finite > 0]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    if log:
        bottom = math.floor(math.log10(lo))
        return float(bottom), float(max(math.ceil(math.log10(hi)), bottom + 1))
    bottom = 0.0 if lo >= 0 else -_nice_ceiling(-lo)
    top = _nice_ceiling(hi) if hi > 0 else 0.0
    return bottom, top if top > bottom else bottom + 1.0


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else float(value)
