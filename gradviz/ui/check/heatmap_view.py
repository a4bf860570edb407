"""The heatmap: one image per parameter block (W1 b1 / W2 b2 / ...) on one shared colour scale.

Each block is a single row-major ImageItem (fast for 784×256 blocks); kink-crossed components get
an outlined, hatched square; unchecked components are NaN and so transparent.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gradviz.core.check.gradcheck import CheckProgress
from gradviz.core.report.check_report import BlockResult, CheckReport, Component, relative_error
from gradviz.ui.check.inspector import describe_component
from gradviz.ui.classroom.presenter import heatmap_colormap

#: mode -> what the combo box says
MODES = {
    "rel": "relative error",
    "abs": "absolute error",
    "analytic": "dθ (backprop)",
    "numeric": "dθ_approx (numeric)",
    "ratio": "ratio dθ / dθ_approx",
}
REL_LEVELS = (-10.0, 0.0)
REL_TICKS = [(-7.0, "1e-7"), (-5.0, "1e-5"), (-3.0, "1e-3"), (-2.0, "1e-2")]
RATIO_LEVELS = (0.0, 2.0)
RATIO_TICKS = [(0.0, "≤ 0"), (0.5, "0.5"), (1.0, "1"), (1.5, "1.5"), (2.0, "≥ 2")]
SMALL_AXIS = 24  # blocks with at most this many rows/cols label every index
PAINT_MS = 150  # while a check runs, blocks are repainted at most this often
MAX_PIXELS = 256  # image pixels per axis at most: bigger blocks show the worst cell of each group
SEQUENTIAL, DIVERGING = "viridis", "CET-D1A"


def _block_position(name: str) -> tuple[int, int]:
    """(row, col) of a block in the grid: W<l> at (l-1, 0), b<l> at (l-1, 1)."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    if not match:
        return 0, 0
    return int(match.group(2)) - 1, 0 if match.group(1) == "W" else 1


def _index_ticks(n: int) -> list[list[tuple[float, str]]] | None:
    """Ticks at cell centres labelled with indices: every 5th always, the rest when there is
    room; None (automatic ticks at cell edges) for long axes."""
    if n > SMALL_AXIS:
        return None
    every = 1 if n <= 10 else 5
    cells = [(i + 0.5, str(i)) for i in range(n)]
    return [cells[::every], [c for i, c in enumerate(cells) if i % every]]


def _pool(values: np.ndarray, mode: str) -> np.ndarray:
    """Shrink an image to at most MAX_PIXELS per axis, keeping from each group of cells the one
    farthest from agreement (largest error, largest |dθ|, ratio farthest from 1), so a single
    wrong component in a big block still shows."""
    rows, cols = values.shape
    fr, fc = -(-rows // MAX_PIXELS), -(-cols // MAX_PIXELS)
    if fr == fc == 1:
        return values
    R, C = -(-rows // fr), -(-cols // fc)
    padded = np.full((R * fr, C * fc), np.nan)
    padded[:rows, :cols] = values
    groups = padded.reshape(R, fr, C, fc).transpose(0, 2, 1, 3).reshape(R, C, fr * fc)
    centre = 1.0 if mode == "ratio" else 0.0  # agreement, for the modes that are not errors
    badness = groups.copy() if mode in ("rel", "abs") else np.abs(groups - centre)
    badness[np.isnan(groups)] = -np.inf
    pick = badness.argmax(axis=2)[..., None]
    return np.take_along_axis(groups, pick, axis=2)[..., 0]


def _decade_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    step = max(1, math.ceil((hi - lo) / 6))
    return [(float(k), f"1e{k}") for k in range(math.ceil(lo), math.floor(hi) + 1, step)]


class HeatmapView(pg.GraphicsLayoutWidget):
    """Shows per-component check results. Emits hovered(Component | None), clicked(Component)."""

    hovered = Signal(object)
    clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heatmapView")
        self._mode = "rel"
        self._blocks: dict[str, BlockResult] = {}
        self._stale: set[str] = set()  # blocks whose BlockResult lags behind _raw
        self._raw: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._shown: dict[str, np.ndarray] = {}  # what each image displays
        self._plots: dict[str, tuple[pg.PlotItem, pg.ImageItem, pg.ScatterPlotItem]] = {}
        self._unpainted: set[str] = set()  # blocks with progress not drawn yet
        self._kinks_drawn: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # (rows, cols) marked
        self._bar_text: tuple | None = None  # (ticks, label) on the colour bar
        self._paint_timer = QTimer(self, singleShot=True, interval=PAINT_MS)
        self._paint_timer.timeout.connect(self._paint_progress)
        self._bar = pg.ColorBarItem(values=REL_LEVELS, colorMap=SEQUENTIAL, interactive=False,
                                    width=16, colorMapMenu=False, label="")
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)
        self._apply_palette()

    # -- layout --------------------------------------------------------------------------------
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: raw[0].shape for name, raw in self._raw.items()}

    def set_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Lay out one empty plot per block (W beside its b), reusing the plots of blocks that
        stay (a new PlotItem costs tens of milliseconds)."""
        for name in [n for n in self._plots if n not in shapes]:
            self.ci.removeItem(self._plots.pop(name)[0])
        self._kinks_drawn = {}
        if self._bar in self.ci.items:
            self.ci.removeItem(self._bar)
        self._blocks, self._raw, self._shown, self._stale = {}, {}, {}, set()
        rows = 1
        for name, shape in shapes.items():
            shape = tuple(shape) if len(shape) == 2 else (int(np.prod(shape)), 1)
            row, col = _block_position(name)
            rows = max(rows, row + 1)
            if name not in self._plots:
                self._plots[name] = self._new_plot(row, col)
            plot = self._plots[name][0]
            for axis, n in (("left", shape[0]), ("bottom", shape[1])):
                plot.getAxis(axis).setTicks(_index_ticks(n))
            plot.setRange(xRange=(0, shape[1]), yRange=(0, shape[0]), padding=0)
            self._raw[name] = (np.zeros(shape), np.full(shape, np.nan), np.zeros(shape, dtype=bool))
            self._blocks[name] = BlockResult(name, *self._raw[name])
        self._plots = {name: self._plots[name] for name in shapes}
        self.ci.layout.setColumnStretchFactor(0, 5)
        self.ci.layout.setColumnStretchFactor(1, 1)
        self.ci.addItem(self._bar, row=0, col=2, rowspan=rows)
        self._bar.setImageItem([p[1] for p in self._plots.values()])
        self._apply_palette()
        self._redraw(self._plots)

    def _new_plot(self, row: int, col: int) -> tuple[pg.PlotItem, pg.ImageItem, pg.ScatterPlotItem]:
        plot = self.ci.addPlot(row=row, col=col, viewBox=pg.ViewBox(enableMenu=False))
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.invertY(True)
        plot.getViewBox().setDefaultPadding(0.0)
        image = pg.ImageItem(axisOrder="row-major")
        kinks = pg.ScatterPlotItem(pxMode=False, symbol="s", size=0.8, pen=pg.mkPen("w", width=2),
                                   brush=QBrush(QColor(255, 255, 255, 190), Qt.BrushStyle.BDiagPattern))
        plot.addItem(image)
        plot.addItem(kinks)
        return plot, image, kinks

    # -- data ----------------------------------------------------------------------------------
    def begin(self, analytic: dict[str, np.ndarray]) -> None:
        """A new check: dθ known for every block, nothing checked yet."""
        self._paint_timer.stop()
        self._unpainted.clear()
        shapes = {k: np.shape(v) for k, v in analytic.items()}
        if shapes != self.shapes():
            self.set_shapes(shapes)
        for name, values in analytic.items():
            shape = self._raw[name][0].shape
            self._raw[name] = (np.asarray(values, dtype=np.float64).reshape(shape).copy(),
                               np.full(shape, np.nan), np.zeros(shape, dtype=bool))
            self._shown[name] = np.full(shape, np.nan)  # nothing checked: blank in every mode
        self._stale |= set(analytic)
        levels, ticks, label = self._levels()
        self._paint(self._plots, levels)
        self._set_bar(levels, ticks, label)

    def add_progress(self, chunks: list[CheckProgress]) -> None:
        """Fill in the numeric values of finished components and redraw their blocks once.
        In the relative-error mode only the new components are computed."""
        changed = set()
        for chunk in chunks:
            if chunk.block not in self._raw:
                continue
            analytic, numeric, kink = self._raw[chunk.block]
            numeric.flat[chunk.flat] = chunk.numeric
            kink.flat[chunk.flat] = chunk.kink
            changed.add(chunk.block)
            if self._mode == "rel":
                rel = relative_error(analytic.flat[chunk.flat], np.asarray(chunk.numeric, dtype=float))
                with np.errstate(divide="ignore"):
                    self._shown[chunk.block].flat[chunk.flat] = np.clip(np.log10(rel), *REL_LEVELS)
        self._stale |= changed
        self._unpainted |= changed
        if not self._paint_timer.isActive():  # repaint at most every PAINT_MS while a check runs
            self._paint_timer.start()

    def _paint_progress(self) -> None:
        names = {n for n in self._unpainted & set(self._plots) if shiboken6.isValid(self._plots[n][1])}
        self._unpainted = set()
        if self._mode == "rel":
            self._paint(names, REL_LEVELS)
        else:
            self._redraw(names)

    def show_report(self, report: CheckReport) -> None:
        self._paint_timer.stop()
        self._unpainted.clear()
        shapes = {k: b.analytic.shape for k, b in report.blocks.items()}
        if shapes != self.shapes():
            self.set_shapes(shapes)
        for name, block in report.blocks.items():
            self._blocks[name] = block
            self._stale.discard(name)
            self._raw[name] = (block.analytic, block.numeric.copy(), block.kink.copy())
        self._redraw(self._plots)

    def block_rect(self, name: str) -> QRect:
        """Where a block's cells are drawn, in this widget's coordinates."""
        vb = self._plots[name][0].getViewBox()
        return self.mapFromScene(vb.sceneBoundingRect()).boundingRect()

    def block(self, name: str) -> BlockResult:
        """The block's results so far (unchecked components NaN)."""
        if name in self._stale:
            self._blocks[name] = BlockResult(name, *self._raw[name])
            self._stale.discard(name)
        return self._blocks[name]

    def component(self, name: str, index: tuple[int, int]) -> Component:
        b = self.block(name)
        return Component(name, index, float(b.analytic[index]), float(b.numeric[index]),
                         float(b.abs_error[index]), float(b.rel_error[index]), bool(b.kink[index]))

    # -- display -------------------------------------------------------------------------------
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        self._mode = mode
        self._redraw(self._plots)

    def image(self, name: str, levels: tuple[float, float] | None = None) -> np.ndarray:
        """The values shown for a block in the current mode (NaN: blank); log-scale and ratio
        values are clipped to the colour scale (an exact match shows at its low end)."""
        b = self.block(name)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self._mode == "rel":
                values = np.log10(b.rel_error)
            elif self._mode == "abs":
                values = np.log10(b.abs_error)
            elif self._mode == "analytic":
                values = np.where(b.checked, b.analytic, np.nan)
            elif self._mode == "numeric":
                values = b.numeric.copy()
            else:
                values = b.analytic / b.numeric
                values[(b.analytic == 0) & (b.numeric == 0)] = 1.0
        values[~b.checked] = np.nan
        if self._mode in ("rel", "abs", "ratio"):
            lo, hi = levels or self._levels()[0]
            values = np.clip(values, lo, hi)
        return values

    def _levels(self) -> tuple[tuple[float, float], list[tuple[float, str]] | None, str]:
        """(low, high), fixed ticks or None, and the colour bar's label for the current mode."""
        if self._mode == "rel":
            return REL_LEVELS, REL_TICKS, "relative error (log scale)"
        if self._mode == "ratio":
            return RATIO_LEVELS, RATIO_TICKS, "dθ / dθ_approx (1 = agree)"
        checked = [b for b in map(self.block, self._raw) if b.n_checked]
        if self._mode == "abs":
            errors = np.concatenate([b.abs_error[b.checked] for b in checked]) if checked else []
            positive = np.asarray(errors)[np.asarray(errors) > 0]
            if positive.size == 0:
                return (-16.0, 0.0), _decade_ticks(-16, 0), "absolute error (log scale)"
            lo, hi = math.floor(np.log10(positive.min())), math.ceil(np.log10(positive.max()))
            hi = max(hi, lo + 1)
            return (float(lo), float(hi)), _decade_ticks(lo, hi), "absolute error (log scale)"
        top = max((max(np.abs(b.analytic[b.checked]).max(), np.abs(b.numeric[b.checked]).max())
                   for b in checked), default=0.0)
        top = top if top > 0 else 1.0
        label = "dθ (backprop)" if self._mode == "analytic" else "dθ_approx (numeric)"
        return (-top, top), None, label

    def _redraw(self, names) -> None:
        """Recompute what ``names`` show and update the colour bar."""
        levels, ticks, label = self._levels()
        for name in names:
            self._shown[name] = self.image(name, levels)
        self._paint(names, levels)
        self._set_bar(levels, ticks, label)

    def _set_bar(self, levels, ticks, label: str) -> None:
        """Update what changed about the colour bar (a new colour map builds lookup tables for
        every image, slowly)."""
        diverging = self._mode in ("analytic", "numeric", "ratio")
        cmap = DIVERGING if diverging else heatmap_colormap(SEQUENTIAL)
        if getattr(self._bar.colorMap(), "name", None) != (cmap if isinstance(cmap, str) else cmap.name):
            self._bar.setColorMap(cmap)
        if tuple(self._bar.levels()) != tuple(levels):
            self._bar.setLevels(levels)
        if (ticks, label) != self._bar_text:
            self._bar_text = (ticks, label)
            self._bar.axis.setTicks(None if ticks is None else [ticks, []])
            self._bar.getAxis("left").setLabel(label)

    def _paint(self, names, levels: tuple[float, float]) -> None:
        for name in names:
            _, image, kinks = self._plots[name]
            shown = self._shown[name]
            if np.isnan(shown).all():  # nothing checked yet: draw nothing (cheaper than NaN pixels)
                image.clear()
            else:
                image.setImage(_pool(shown, self._mode), autoLevels=False, levels=levels,
                               rect=QRectF(0, 0, shown.shape[1], shown.shape[0]))
            rows, cols = np.nonzero(self._raw[name][2])
            drawn = self._kinks_drawn.get(name)
            if drawn is None or not (np.array_equal(drawn[0], rows) and np.array_equal(drawn[1], cols)):
                self._kinks_drawn[name] = (rows, cols)
                kinks.setData(x=cols + 0.5, y=rows + 0.5)

    # -- mouse ---------------------------------------------------------------------------------
    def _component_at(self, pos: QPointF) -> Component | None:
        for name, (plot, _, _) in self._plots.items():
            vb = plot.getViewBox()
            if not vb.sceneBoundingRect().contains(pos):
                continue
            point = vb.mapSceneToView(pos)
            row, col = math.floor(point.y()), math.floor(point.x())
            rows, cols = self._raw[name][0].shape
            if 0 <= row < rows and 0 <= col < cols:
                return self.component(name, (row, col))
        return None

    def _on_move(self, pos: QPointF) -> None:
        comp = self._component_at(pos)
        self.setToolTip("" if comp is None else describe_component(comp))
        self.hovered.emit(comp)

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        comp = self._component_at(event.scenePos())
        if comp is not None:
            self.clicked.emit(comp)

    # -- theme ---------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_bar"):
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        self.setBackground(palette.color(QPalette.ColorRole.Window))
        for name, (plot, _, _) in self._plots.items():
            rows, cols = self._raw[name][0].shape
            plot.setTitle(f"{name} ({rows}×{cols})", color=text, size="10pt")
            plot.getViewBox().setBackgroundColor(palette.color(QPalette.ColorRole.Base))
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(text)
                plot.getAxis(axis).setTextPen(text)
        for axis in ("left", "right", "top", "bottom"):
            self._bar.getAxis(axis).setPen(text)
            self._bar.getAxis(axis).setTextPen(text)


class HeatmapPanel(QWidget):
    """The heatmap with its mode switch and a legend line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = HeatmapView(self)
        self.mode_combo = QComboBox(objectName="heatmapModeCombo")
        for mode, text in MODES.items():
            self.mode_combo.addItem(text, mode)
        self.mode_combo.setToolTip("What the colours show")
        self.mode_combo.currentIndexChanged.connect(
            lambda: self.view.set_mode(self.mode_combo.currentData()))
        legend = QLabel("▨ crossed a kink: not a bug · blank: not checked")
        legend.setToolTip("Outlined, hatched cells: θ−ε and θ+ε fall on two sides of a ReLU or hinge "
                          "kink, so the numeric derivative is not exact there.\n"
                          "Blank cells: not checked (sampled out, or not reached yet).")
        legend.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.mode_combo)
        top.addWidget(legend, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
