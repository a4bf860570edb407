"""One block of the heatmap: a PlotItem whose view holds, in mosaic coordinates (one unit per
cell), the value image on the shared colour scale, the marks image (noise floor), kink squares,
the lines between tiles and the pinned cell's outline."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from gradviz.core.report.layout import Tiling
from gradviz.core.report.levels import marks_rgba, pool, pool_marks

STALE_OPACITY = 0.25  # how much of a stale result still shows


def _steps():
    """1, 2, 5, 10, 20, 50, …"""
    for decade in itertools.count():
        for k in (1, 2, 5):
            yield k * 10**decade


def index_ticks(n: int, unit: float = 1.0, labels: list[str] | None = None, room: int | None = None):
    """Ticks at the centres of ``n`` cells (or tiles of ``unit`` cells) labelled with their
    indices (or ``labels``), every 1st, 2nd, 5th, 10th… so that at most ``room`` labels show."""
    labels = labels or [str(i) for i in range(n)]
    room = max(1, n if room is None else room)
    step = next(k for k in _steps() if -(-n // k) <= room)
    return [[((i + 0.5) * unit, labels[i]) for i in range(0, n, step)]]


def shape_text(shape: tuple[int, ...]) -> str:
    """"16×2", "32" for a vector, "scalar"."""
    return "×".join(map(str, shape)) if shape else "scalar"


def _cosmetic(colour, width: float) -> QPen:
    pen = QPen(QColor(colour), width)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    return pen


def _let_title_shrink(plot: pg.PlotItem) -> None:
    """pyqtgraph keeps a title label at least as wide as its text (on every resize): keep only
    its height, so titles never widen the layout (the caller elides the text to fit)."""
    label = plot.titleLabel
    keep_text_width = label.updateMin

    def update_min() -> None:
        keep_text_width()
        label.setMinimumWidth(0)
        for hint in (Qt.SizeHint.MinimumSize, Qt.SizeHint.PreferredSize):
            label._sizeHint[hint] = (0, label._sizeHint[hint][1])
        label.updateGeometry()

    label.updateMin = update_min


class BlockPlot:
    """The plot of one block. ``tiling`` maps its components to mosaic cells."""

    def __init__(self, name: str, tiling: Tiling) -> None:
        self.name = name
        self.plot = pg.PlotItem(viewBox=pg.ViewBox(enableMenu=False))
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.getViewBox().setDefaultPadding(0.0)
        _let_title_shrink(self.plot)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.marks = pg.ImageItem(axisOrder="row-major")
        self.kinks = pg.ScatterPlotItem(pxMode=False, symbol="s", size=0.8, pen=pg.mkPen("w", width=2),
                                        brush=QBrush(QColor(255, 255, 255, 190), Qt.BrushStyle.BDiagPattern))
        self.separators = pg.PlotCurveItem(connect="pairs")
        self.pin = [QGraphicsRectItem(), QGraphicsRectItem()]  # a dark outline around a light one
        self.pin[0].setPen(_cosmetic("#000000", 5))
        self.pin[1].setPen(_cosmetic("#ffffff", 2))
        for z, item in enumerate((self.image, self.marks, self.separators, self.kinks, *self.pin)):
            item.setZValue(z)
            self.plot.addItem(item)
        for item in self.pin:
            item.hide()
        self._kinks_drawn: np.ndarray | None = None
        self._shown_ticks = None
        self.plot.geometryChanged.connect(self._fit_text)  # the title's room
        self.view.sigResized.connect(self._fit_text)  # the axes' room
        self.tiling = tiling
        self.set_tiling(tiling)

    @property
    def view(self) -> pg.ViewBox:
        return self.plot.getViewBox()

    def set_tiling(self, tiling: Tiling) -> None:
        """Axes, range and tile separators for ``tiling``; clears what was drawn."""
        self.tiling = tiling
        rows, cols = tiling.size
        self._shown_ticks = None
        self._fit_text()
        self.plot.setRange(xRange=(0, cols), yRange=(0, rows), padding=0)
        xs, ys = tiling.separators()
        x = [v for x in xs for v in (x, x)] + [v for _ in ys for v in (0.0, float(cols))]
        y = [v for _ in xs for v in (0.0, float(rows))] + [v for y in ys for v in (y, y)]
        self.separators.setData(x=np.array(x), y=np.array(y))
        self.image.clear()
        self.marks.clear()
        self.kinks.setData(x=[], y=[])
        self._kinks_drawn = None
        self.set_pin(None)

    def _axes(self) -> tuple:
        """Per axis (left, bottom): (n, unit, labels) of its index labels, or () for none."""
        t = self.tiling
        if not t.tiled:
            rows, cols = t.size
            left = () if len(t.shape) == 0 or t.strip else (rows, 1.0, None)
            bottom = () if len(t.shape) < 2 and not t.strip else (cols, 1.0, None)
            return left, bottom
        if len(t.shape) == 3:  # wrapped tiles: the tooltip names each tile
            return (), ()
        lead = t.shape[:-3]
        row_labels = [",".join(map(str, np.unravel_index(r, lead))) for r in range(t.grid[0])]
        return (t.grid[0], t.tile[0], row_labels), (t.grid[1], t.tile[1], None)

    def _ticks(self, rooms: tuple[int | None, int | None] = (None, None)) -> tuple:
        return tuple([[]] if axis == () else index_ticks(*axis, room=room)
                     for axis, room in zip(self._axes(), rooms, strict=True))

    def tick_labels(self) -> list[str]:
        """The left axis's longest labels, to size the left axes of every block alike."""
        left = self._axes()[0]
        return [] if left == () else (left[2] or [str(left[0] - 1)])

    def title(self) -> str:
        return f"{self.name} ({shape_text(self.tiling.shape)})"

    # -- drawing -------------------------------------------------------------------------------
    def paint(self, shown: np.ndarray, mode: str, levels: tuple[float, float]) -> None:
        """Draw ``shown`` (the mosaic of the mode's values; NaN blank) on the colour scale."""
        if np.isnan(shown).all():  # nothing checked yet: draw nothing (cheaper than NaN pixels)
            self.image.clear()
            return
        rows, cols = shown.shape
        # pooled by hand, not ImageItem's autoDownsample: it averages, hiding one wrong component
        self.image.setImage(pool(shown, mode), autoLevels=False, levels=levels,
                            rect=QRectF(0, 0, cols, rows))

    def paint_marks(self, marks: np.ndarray | None, checked: np.ndarray | None) -> None:
        """Draw the noise-floor marks (mosaic of NO_MARK / AT_NOISE_FLOOR / BOTH_BELOW_FLOOR) over
        the values; None or no mark: nothing."""
        if marks is None or not marks.any():
            self.marks.clear()
            return
        rows, cols = marks.shape
        self.marks.setImage(marks_rgba(pool_marks(marks, checked)), autoLevels=False,
                            rect=QRectF(0, 0, cols, rows))

    def paint_kinks(self, kink: np.ndarray) -> None:
        """Outlined, hatched squares on kink-crossed cells (``kink``: the mosaic of the mask)."""
        if self._kinks_drawn is not None and np.array_equal(self._kinks_drawn, kink):
            return
        self._kinks_drawn = kink.copy()
        rows, cols = np.nonzero(kink)
        self.kinks.setData(x=cols + 0.5, y=rows + 0.5)

    def set_pin(self, cell: tuple[int, int] | None) -> None:
        """Outline the mosaic cell (row, col), or none."""
        for item in self.pin:
            if cell is not None:
                item.setRect(QRectF(cell[1], cell[0], 1, 1))
            item.setVisible(cell is not None)

    def pinned(self) -> bool:
        return self.pin[1].isVisible()

    def set_dimmed(self, dimmed: bool) -> None:
        """Fade the drawn result (a stale one) or show it fully."""
        for item in (self.image, self.marks, self.kinks):
            item.setOpacity(STALE_OPACITY if dimmed else 1.0)

    # -- style ---------------------------------------------------------------------------------
    def style(self, palette: QPalette, font: QFont, left_width: int) -> None:
        """Text, axes, background and separators in the palette's colours and ``font``'s size;
        every left axis ``left_width`` wide and every bottom axis one line tall, so that the
        blocks of a row line up."""
        text = palette.color(QPalette.ColorRole.WindowText)
        self._title_style = {"color": text, "size": f"{font.pointSizeF():.1f}pt"}
        self._title_font = font
        self._shown_title = self._shown_ticks = None
        self._fit_text()
        self.view.setBackgroundColor(palette.color(QPalette.ColorRole.Base))
        self.separators.setPen(_cosmetic(palette.color(QPalette.ColorRole.Window), 2))
        offset = max(2, math.ceil(font.pointSizeF() / 3))
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(text)
            axis.setTextPen(text)
            axis.setStyle(tickFont=font, tickTextOffset=offset)
        self.plot.getAxis("left").setWidth(left_width)
        self.plot.getAxis("bottom").setHeight(QFontMetrics(font).height() + offset + 2)

    def _fit_text(self) -> None:
        """The title elided to the plot's width, and as many index labels as fit on each axis:
        text never widens the layout, overlaps or runs together."""
        if not hasattr(self, "_title_style"):
            return
        metrics = QFontMetrics(self._title_font)
        width = max(int(self.plot.geometry().width()) - 4, metrics.averageCharWidth())
        title = metrics.elidedText(self.title(), Qt.TextElideMode.ElideRight, width)
        if title != self._shown_title:
            self._shown_title = title
            self.plot.setTitle(title, **self._title_style)
            self.plot.titleLabel.setMaximumHeight(metrics.height() + 6)
            self.plot.layout.setRowFixedHeight(0, metrics.height() + 6)
        area = self.view.geometry()
        bottom = self._axes()[1]
        widest = max(map(metrics.horizontalAdvance, (bottom[2] or [str(bottom[0] - 1)])
                         if bottom else ["0"]))
        rooms = (int(area.height() / (1.2 * metrics.height())),
                 int(area.width() / (widest + metrics.averageCharWidth())))
        ticks = self._ticks(rooms)
        if ticks != self._shown_ticks:
            self._shown_ticks = ticks
            self.plot.getAxis("left").setTicks(ticks[0])
            self.plot.getAxis("bottom").setTicks(ticks[1])

    def cell_at(self, scene_pos) -> tuple[int, int] | None:
        """The mosaic cell (row, col) under a scene position, or None."""
        if not self.view.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.view.mapSceneToView(scene_pos)
        row, col = math.floor(point.y()), math.floor(point.x())
        rows, cols = self.tiling.size
        return (row, col) if 0 <= row < rows and 0 <= col < cols else None
