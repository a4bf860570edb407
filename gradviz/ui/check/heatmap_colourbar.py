"""The colour bar that every block of the heatmap shares: its colour map and levels per mode, and
its text in the palette's colour at the heatmap's font size, never clipped or run together."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette

from gradviz.core.report.levels import DIVERGING, REL_LEVELS, REL_TICKS, SEQUENTIAL
from gradviz.ui.classroom.presenter import heatmap_colormap

WIDEST_AUTOMATIC = "−0.0000e-10"  # room for pyqtgraph's own tick labels (gradient modes)


def spaced_ticks(ticks: list[tuple[float, str]], levels: tuple[float, float], length: float,
                 gap: float) -> list[tuple[float, str]]:
    """The ticks, in order of priority, that keep at least ``gap`` px from every tick kept before
    them on a bar ``length`` px long spanning ``levels``."""
    lo, hi = levels
    kept: list[tuple[float, str]] = []
    for value, label in ticks:
        at = (value - lo) / (hi - lo) * length
        if all(abs(at - (v - lo) / (hi - lo) * length) >= gap for v, _ in kept):
            kept.append((value, label))
    return kept


class ColourBar:
    """The shared pyqtgraph ColorBarItem (``item``) and what it shows: the mode's colour map and
    levels, fixed ticks (None: automatic) and a label; the text is refitted when the bar resizes."""

    def __init__(self) -> None:
        self.item = pg.ColorBarItem(values=REL_LEVELS, colorMap=SEQUENTIAL, interactive=False,
                                    width=16, colorMapMenu=False, label="")
        self._ticks: list | None = REL_TICKS
        self._label = ""
        self._font = QFont()
        self._colour = QColor("black")
        self._shown: tuple | None = None
        self.item.getViewBox().sigResized.connect(self._fit)

    def set_scale(self, mode: str, levels: tuple[float, float], ticks: list | None, label: str) -> None:
        """The mode's colour map (diverging for gradients and ratios; the sequential one, or the
        presenter's, for errors), levels, ticks and label; only what changed is redone (a new
        map rebuilds every image's lookup table, slowly)."""
        bar = self.item
        diverging = mode in ("analytic", "numeric", "ratio")
        cmap = DIVERGING if diverging else heatmap_colormap(SEQUENTIAL)
        if getattr(bar.colorMap(), "name", None) != (cmap if isinstance(cmap, str) else cmap.name):
            bar.setColorMap(cmap)
        if tuple(bar.levels()) != tuple(levels):
            bar.setLevels(levels)
        self._ticks, self._label = ticks, label
        self._fit()

    def style(self, palette: QPalette, font: QFont) -> None:
        """Text in the palette's colour and ``font``; the tick axis as wide as its widest label
        (a fixed width clips "1e-7" to "1" in a large font)."""
        self._font, self._colour = QFont(font), palette.color(QPalette.ColorRole.WindowText)
        for side in ("left", "right", "top", "bottom"):
            axis = self.item.getAxis(side)
            axis.setPen(self._colour)
            axis.setTextPen(self._colour)
            axis.setStyle(tickFont=self._font)
        self._shown = None
        self._fit()

    def _fit(self) -> None:
        """Ticks far enough apart to read and the label elided to the bar's height."""
        metrics = QFontMetrics(self._font)
        length = self.item.getViewBox().geometry().height()
        ticks = None if self._ticks is None else spaced_ticks(
            self._ticks, tuple(self.item.levels()), length, 1.2 * metrics.height())
        # the label item adds a margin of its own on each end
        label = metrics.elidedText(self._label, Qt.TextElideMode.ElideRight, int(max(length - 16, 1)))
        labels = [text for _, text in self._ticks] if self._ticks else [WIDEST_AUTOMATIC]
        width = max(map(metrics.horizontalAdvance, labels)) + metrics.averageCharWidth() + 12
        shown = (ticks, label, width, self._font.pointSizeF(), self._colour.name())
        if shown == self._shown:
            return
        self._shown = shown
        self.item.axis.setTicks(None if ticks is None else [ticks, []])
        self.item.axis.setWidth(width)
        self.item.getAxis("left").setLabel(label, color=self._colour.name(),
                                           **{"font-size": f"{self._font.pointSizeF():.1f}pt"})
