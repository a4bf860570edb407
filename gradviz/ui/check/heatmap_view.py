"""The heatmap: every block of any shape on one shared colour scale.

Blocks of one layer (W1 b1 gamma1 beta1) share a row; other blocks (x, w, dout) get a row each
(gradviz.core.report.layout). N-D blocks are drawn as mosaics of 2-D tiles, one ImageItem per block, and
hover, click and the inspector give the full index tuple. Components at the noise floor get a
neutral grey, kink-crossed ones an outlined hatched square, unchecked ones stay blank; the pinned
cell is outlined; a stale result is faded under a note; the empty heatmap offers a Run button.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import shiboken6
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontInfo, QFontMetrics, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from gradviz.core.check.gradcheck import CheckProgress
from gradviz.core.report.check_report import BlockResult, CheckReport, relative_error
from gradviz.core.report.layout import Placement, place_blocks
from gradviz.core.report.levels import (
    ERROR_MODES,
    MODES,
    REL_LEVELS,
    marked_mosaics,
    mode_values,
    scale_for,
)
from gradviz.ui.check.component_detail import ComponentDetail, detail_of
from gradviz.ui.check.heatmap_block import BlockPlot
from gradviz.ui.check.heatmap_colourbar import ColourBar
from gradviz.ui.check.heatmap_overlays import EmptyOverlay, StaleNote, legend_label
from gradviz.ui.check.inspector import describe_component

PAINT_MS = 150  # while a check runs, blocks are repainted at most this often
PRINT_DPI = 300  # export_png renders at this resolution
STRIP_LINES = 6  # a row holding only a vector or a scalar is at most this many text lines tall
NO_LIMIT = 16_777_215  # QWIDGETSIZE_MAX


class HeatmapView(pg.GraphicsLayoutWidget):
    """Shows per-component check results. Signals: hovered(ComponentDetail | None),
    clicked(ComponentDetail), run_requested() from the empty heatmap's Run button."""

    hovered = Signal(object)
    clicked = Signal(object)
    run_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heatmapView")
        self._mode = "rel"
        self._blocks: dict[str, BlockResult] = {}
        self._outdated: set[str] = set()  # blocks whose BlockResult lags behind _raw
        self._raw: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._values: dict[str, np.ndarray] = {}  # what each image shows, in the block's shape
        self._plots: dict[str, BlockPlot] = {}
        self._placements: dict[str, Placement] = {}
        self._unpainted: set[str] = set()  # blocks with progress not drawn yet
        self._settings: dict = {}  # the shown report's settings (ε, second ε)
        self._pinned: tuple[str, tuple[int, ...]] | None = None
        self._stale_note: str | None = None
        self._has_result = False
        self._font_scale = 1.0
        self._base_pt = QFontInfo(self.font()).pointSizeF()
        self._grid = (0, 0)  # rows, columns of the plot grid (colour bar excluded)
        self._colour_bar = ColourBar()
        self._bar = self._colour_bar.item
        self._empty = EmptyOverlay(self)
        self._empty.button.clicked.connect(self.run_requested)
        self.run_button = self._empty.button
        self._note = StaleNote(self)
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)
        self._apply_palette()

    # -- layout --------------------------------------------------------------------------------
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: raw[0].shape for name, raw in self._raw.items()}

    def set_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Lay out one empty plot per block, of any shape (reusing the plots of blocks that stay:
        a new PlotItem costs tens of milliseconds). Clears the result, the pin and the stale note."""
        shapes = {name: tuple(int(n) for n in shape) for name, shape in shapes.items()}
        self._placements, stretch = place_blocks(shapes)
        for item in [*(plot.plot for plot in self._plots.values()), self._bar]:
            if item in self.ci.items:
                self.ci.removeItem(item)
        self._plots = {name: self._plots.get(name) or BlockPlot(name, p.tiling)
                       for name, p in self._placements.items()}
        self._blocks, self._raw, self._values, self._outdated = {}, {}, {}, set()
        for name, p in self._placements.items():
            self._plots[name].set_tiling(p.tiling)
            self.ci.addItem(self._plots[name].plot, row=p.row, col=p.col, colspan=p.colspan)
            shape = shapes[name]
            self._raw[name] = (np.zeros(shape), np.full(shape, np.nan), np.zeros(shape, dtype=bool))
            self._blocks[name] = BlockResult(name, *self._raw[name])
        self._set_grid(len({p.row for p in self._placements.values()}) or 1, stretch)
        self._bar.setImageItem([p.image for p in self._plots.values()])
        self._pinned, self._settings = None, {}
        self._set_has_result(False)
        self.set_stale(None)
        self._apply_palette()
        self._redraw(self._plots)
        self.ci.layout.activate()  # block_rect is right at once, not after the next event

    def _set_grid(self, rows: int, stretch: list[int]) -> None:
        """Column stretches, the capped height of rows that hold only a vector or a scalar, and
        the colour bar in the last column across every row."""
        grid = self.ci.layout
        old_rows, old_cols = self._grid
        for c in range(max(old_cols, len(stretch)) + 1):
            grid.setColumnStretchFactor(c, stretch[c] if c < len(stretch) else 0)
        for r in range(max(old_rows, rows)):
            grid.setRowStretchFactor(r, 1 if r < rows else 0)
            grid.setRowMaximumHeight(r, NO_LIMIT)
        self._grid = (rows, len(stretch))
        self.ci.addItem(self._bar, row=0, col=len(stretch), rowspan=rows)
        self._cap_strip_rows()

    def _cap_strip_rows(self) -> None:
        lines = QFontMetrics(self._text_font()).lineSpacing()
        for p in self._placements.values():
            if p.alone and len(p.tiling.shape) < 2:
                self.ci.layout.setRowMaximumHeight(p.row, STRIP_LINES * lines)

    # -- data ----------------------------------------------------------------------------------
    def begin(self, analytic: dict[str, np.ndarray]) -> None:
        """A new check: dθ known for every block, nothing checked yet."""
        self._paint_progress.cancel()
        self._unpainted.clear()
        shapes = {k: np.shape(v) for k, v in analytic.items()}
        if shapes != self.shapes():
            self.set_shapes(shapes)
        for name, values in analytic.items():
            shape = self._raw[name][0].shape
            self._raw[name] = (np.asarray(values, dtype=np.float64).reshape(shape).copy(),
                               np.full(shape, np.nan), np.zeros(shape, dtype=bool))
            self._values[name] = np.full(shape, np.nan)  # nothing checked: blank in every mode
        self._outdated |= set(analytic)
        self._settings = {}
        self._set_has_result(True)
        self.set_stale(None)
        levels, ticks, label = self._scale()
        self._paint(self._plots, levels, with_marks=False)
        self._colour_bar.set_scale(self._mode, levels, ticks, label)

    def add_progress(self, chunks: list[CheckProgress]) -> None:
        """Fill in the numeric values of finished components and redraw their blocks at most
        every PAINT_MS. In the relative-error mode only the new components are computed."""
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
                    self._values[chunk.block].flat[chunk.flat] = np.clip(np.log10(rel), *REL_LEVELS)
        self._outdated |= changed
        self._unpainted |= changed
        self._paint_progress()

    @qthrottled(timeout=PAINT_MS, leading=False)
    def _paint_progress(self) -> None:
        """Paint the blocks with new progress (at most every PAINT_MS)."""
        names = {n for n in self._unpainted & set(self._plots) if shiboken6.isValid(self._plots[n].image)}
        self._unpainted = set()
        if self._mode == "rel":
            self._paint(names, REL_LEVELS, with_marks=False)
        else:
            self._redraw(names, with_marks=False)

    def show_report(self, report: CheckReport) -> None:
        """Show any CheckReport (blocks of any names and shapes); clears the stale note and keeps
        the pinned cell when the report has it."""
        self._paint_progress.cancel()
        self._unpainted.clear()
        shapes = {k: b.analytic.shape for k, b in report.blocks.items()}
        pinned = self._pinned
        if shapes != self.shapes():
            self.set_shapes(shapes)
        for name, block in report.blocks.items():
            self._blocks[name] = block
            self._outdated.discard(name)
            self._raw[name] = (block.analytic, block.numeric.copy(), block.kink.copy())
        self._settings = dict(report.settings)
        self._set_has_result(True)
        self.set_stale(None)
        self._redraw(self._plots)
        if pinned is not None and self._valid(*pinned):
            self.pin(*pinned)

    def block(self, name: str) -> BlockResult:
        """The block's results so far (unchecked components NaN)."""
        if name in self._outdated:
            self._blocks[name] = BlockResult(name, *self._raw[name])
            self._outdated.discard(name)
        return self._blocks[name]

    def component(self, name: str, index: tuple[int, ...]) -> ComponentDetail:
        """The component ``name[index]`` (full index tuple) with its kind and second step."""
        tiling = self._plots[name].tiling
        tile = tiling.tile_at(*tiling.cell_of(index))
        return detail_of(self.block(name), index, self._settings, tile)

    def block_plot(self, name: str) -> BlockPlot:
        return self._plots[name]

    # -- geometry ------------------------------------------------------------------------------
    def block_rect(self, name: str) -> QRectF:
        """Where a block's cells are drawn, in this widget's coordinates."""
        return self.viewportTransform().mapRect(self._plots[name].view.sceneBoundingRect())

    def cell_rect(self, name: str, index: tuple[int, ...]) -> QRectF:
        """Where the component ``name[index]`` is drawn, in this widget's coordinates."""
        plot = self._plots[name]
        row, col = plot.tiling.cell_of(index)
        scene = plot.view.mapViewToScene(QRectF(col, row, 1, 1)).boundingRect()
        return self.viewportTransform().mapRect(scene)

    # -- pin and stale -------------------------------------------------------------------------
    def _valid(self, name: str, index: tuple[int, ...]) -> bool:
        shape = self._raw[name][0].shape if name in self._raw else None
        return shape is not None and len(index) == len(shape) and all(
            0 <= i < n for i, n in zip(index, shape, strict=True))

    def pin(self, name: str, index: tuple[int, ...]) -> None:
        """Outline the component ``name[index]`` (the inspector's); one at a time."""
        self.clear_pin()
        index = tuple(int(i) for i in index)
        self._pinned = (name, index)
        self._plots[name].set_pin(self._plots[name].tiling.cell_of(index))

    def clear_pin(self) -> None:
        self._pinned = None
        for plot in self._plots.values():
            plot.set_pin(None)

    def pinned(self) -> tuple[str, tuple[int, ...]] | None:
        """(block, index) of the outlined component, or None."""
        return self._pinned

    def set_stale(self, note: str | None) -> None:
        """Fade the shown result under ``note`` ("settings changed: run again"); None shows it
        fully again. A new check or report clears it; with nothing shown there is nothing to fade."""
        self._stale_note = note if self._has_result else None
        for plot in self._plots.values():
            plot.set_dimmed(self._stale_note is not None)
        self._note.setText(self._stale_note or "")
        self._note.setVisible(self._stale_note is not None)
        self._place_overlays()

    def stale_note(self) -> str | None:
        return self._stale_note

    def _set_has_result(self, shown: bool) -> None:
        self._has_result = shown
        self._empty.setVisible(not shown)
        self._place_overlays()

    def _place_overlays(self) -> None:
        self._empty.place()
        self._note.place()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if hasattr(self, "_note"):  # pyqtgraph resizes before __init__ is through
            self._place_overlays()

    # -- export and fonts ----------------------------------------------------------------------
    def export_png(self, path: str | Path) -> bool:
        """Write the blocks and the colour bar to ``path`` at PRINT_DPI (pyqtgraph's ImageExporter)."""
        exporter = ImageExporter(self.scene())
        exporter.parameters()["width"] = round(self.width() * PRINT_DPI / self.logicalDpiX())
        return bool(exporter.export(str(path)))

    def set_font_scale(self, factor: float) -> None:
        """Titles, axis and colour-bar labels at ``factor`` × the normal font size (or the
        application's font, when that is larger): presenter view."""
        if not factor > 0:
            raise ValueError(f"font scale must be a positive number; got {factor!r}")
        self._font_scale = float(factor)
        self._apply_palette()

    def _text_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(QFontInfo(self.font()).pointSizeF(), self._base_pt * self._font_scale))
        return font

    # -- display -------------------------------------------------------------------------------
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        self._mode = mode
        self._redraw(self._plots)

    def image(self, name: str, levels: tuple[float, float] | None = None) -> np.ndarray:
        """The values shown for a block in the current mode, in the block's shape (NaN: blank);
        log-scale and ratio values are clipped to the colour scale."""
        return mode_values(self.block(name), self._mode, levels or self._scale()[0])

    def _scale(self):
        return scale_for(self._mode, [self.block(name) for name in self._raw])

    def _redraw(self, names, with_marks: bool = True) -> None:
        """Recompute what ``names`` show and update the colour bar."""
        levels, ticks, label = self._scale()
        for name in names:
            self._values[name] = self.image(name, levels)
        self._paint(names, levels, with_marks)
        self._colour_bar.set_scale(self._mode, levels, ticks, label)

    def _paint(self, names, levels: tuple[float, float], with_marks: bool = True) -> None:
        """Draw ``names``: values, kinks and, for a finished check in an error mode, the marks of
        components at the noise floor (drawn in place of their values)."""
        for name in names:
            plot, tiling = self._plots[name], self._plots[name].tiling
            shown, marks, checked = tiling.mosaic(self._values[name]), None, None
            if with_marks and self._mode in ERROR_MODES:
                shown, marks, checked = marked_mosaics(self.block(name), tiling, self._values[name])
            plot.paint(shown, self._mode, levels)
            plot.paint_marks(marks, checked)
            plot.paint_kinks(tiling.mosaic(self._raw[name][2], fill=False))

    # -- mouse ---------------------------------------------------------------------------------
    def _component_at(self, pos: QPointF) -> ComponentDetail | None:
        for name, plot in self._plots.items():
            cell = plot.cell_at(pos)
            index = None if cell is None else plot.tiling.index_at(*cell)
            if index is not None:
                return self.component(name, index)
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
            self.pin(comp.block, comp.index)
            self.clicked.emit(comp)

    # -- theme ---------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange) and hasattr(self, "_bar"):
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        palette, font = self.palette(), self._text_font()
        self.setBackground(palette.color(QPalette.ColorRole.Window))
        metrics = QFontMetrics(font)
        labels = [label for plot in self._plots.values() for label in plot.tick_labels()]
        left = max(map(metrics.horizontalAdvance, labels), default=0) + metrics.averageCharWidth() + 4
        for plot in self._plots.values():
            plot.style(palette, font, left)
        self._colour_bar.style(palette, font)
        self._cap_strip_rows()
        self._place_overlays()


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
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.mode_combo)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(legend_label())
