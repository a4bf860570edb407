"""One block of the heatmap: a PlotItem whose view holds, in mosaic coordinates (one unit per
cell), the value image on the shared colour scale, the marks image (noise floor), kink squares,
the lines between tiles and the pinned cell's outline."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from gradviz.ui.check.heatmap_layout import Tiling
from gradviz.ui.check.heatmap_scale import marks_rgba, pool, pool_marks

SMALL_AXIS = 24  # axes with at most this many cells (or tiles) label every index
MAX_TILE_LABELS = 10  # tiled axes label every k-th tile, at most about this many
STALE_OPACITY = 0.25  # how much of a stale result still shows


def index_ticks(n: int, unit: float = 1.0, labels: list[str] | None = None):
    """Ticks at the centres of ``n`` cells (or tiles of ``unit`` cells) labelled with their
    indices: every one (or every 5th, the rest when there is room) on short axes; on long ones
    None (automatic ticks) for cells, every k-th for tiles."""
    labels = labels or [str(i) for i in range(n)]
    marks = [((i + 0.5) * unit, labels[i]) for i in range(n)]
    if n <= SMALL_AXIS:
        every = 1 if n <= 10 else 5
        return [marks[::every], [m for i, m in enumerate(marks) if i % every]]
    if unit == 1.0:
        return None
    every = next(k for k in (5, 10, 20, 50, 100, 200, 500, 10**9) if n / k <= MAX_TILE_LABELS)
    return [marks[::every], []]


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
        self.plot.geometryChanged.connect(self._fit_title)
        self.tiling = tiling
        self.set_tiling(tiling)

    @property
    def view(self) -> pg.ViewBox:
        return self.plot.getViewBox()

    def set_tiling(self, tiling: Tiling) -> None:
        """Axes, range and tile separators for ``tiling``; clears what was drawn."""
        self.tiling = tiling
        rows, cols = tiling.size
        left, bottom = self._ticks()
        self.plot.getAxis("left").setTicks(left)
        self.plot.getAxis("bottom").setTicks(bottom)
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

    def _ticks(self):
        t = self.tiling
        if not t.tiled:
            rows, cols = t.size
            left = [[]] if len(t.shape) == 0 or t.strip else index_ticks(rows)
            bottom = [[]] if len(t.shape) < 2 and not t.strip else index_ticks(cols)
            return left, bottom
        if len(t.shape) == 3:  # wrapped tiles: the tooltip names each tile
            return [[]], [[]]
        lead = t.shape[:-3]
        row_labels = [",".join(map(str, np.unravel_index(r, lead))) for r in range(t.grid[0])]
        return index_ticks(t.grid[0], t.tile[0], row_labels), index_ticks(t.grid[1], t.tile[1])

    def title(self) -> str:
        return f"{self.name} ({shape_text(self.tiling.shape)})"

    # -- drawing -------------------------------------------------------------------------------
    def paint(self, shown: np.ndarray, mode: str, levels: tuple[float, float]) -> None:
        """Draw ``shown`` (the mosaic of the mode's values; NaN blank) on the colour scale."""
        if np.isnan(shown).all():  # nothing checked yet: draw nothing (cheaper than NaN pixels)
            self.image.clear()
            return
        rows, cols = shown.shape
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
    def tick_labels(self) -> list[str]:
        """The left axis's labels (or the longest automatic one), to size the axes alike."""
        left = self._ticks()[0]
        if left is None:
            return [str(self.tiling.size[0])]
        return [label for level in left for _, label in level]

    def style(self, palette: QPalette, font: QFont, left_width: int) -> None:
        """Text, axes, background and separators in the palette's colours and ``font``'s size;
        every left axis ``left_width`` wide and every bottom axis one line tall, so that the
        blocks of a row line up."""
        text = palette.color(QPalette.ColorRole.WindowText)
        self._title_style = {"color": text, "size": f"{font.pointSizeF():.1f}pt"}
        self._title_font = font
        self._shown_title = None
        self._fit_title()
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

    def _fit_title(self) -> None:
        """The title, elided to the plot's width: titles never push the layout wider or overlap."""
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

    def cell_at(self, scene_pos) -> tuple[int, int] | None:
        """The mosaic cell (row, col) under a scene position, or None."""
        if not self.view.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.view.mapSceneToView(scene_pos)
        row, col = math.floor(point.y()), math.floor(point.x())
        rows, cols = self.tiling.size
        return (row, col) if 0 <= row < rows and 0 <= col < cols else None
