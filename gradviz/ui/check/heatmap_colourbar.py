"""The colour bar that every block of the heatmap shares: its colour map and levels per mode,
and its text in the palette's colour at the heatmap's font size."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics, QPalette

from gradviz.ui.check.heatmap_scale import DIVERGING, REL_LEVELS, SEQUENTIAL
from gradviz.ui.classroom.presenter import heatmap_colormap

WIDEST_AUTOMATIC = "−0.0000e-10"  # room for pyqtgraph's own tick labels (gradient modes)


def new_colour_bar() -> pg.ColorBarItem:
    return pg.ColorBarItem(values=REL_LEVELS, colorMap=SEQUENTIAL, interactive=False, width=16,
                           colorMapMenu=False, label="")


def set_colour_scale(bar: pg.ColorBarItem, mode: str, levels: tuple[float, float]) -> None:
    """The mode's colour map (diverging for gradients and ratios; the sequential one, or the
    presenter's, for errors) and levels; only what changed (a new map rebuilds every image's
    lookup table, slowly)."""
    diverging = mode in ("analytic", "numeric", "ratio")
    cmap = DIVERGING if diverging else heatmap_colormap(SEQUENTIAL)
    if getattr(bar.colorMap(), "name", None) != (cmap if isinstance(cmap, str) else cmap.name):
        bar.setColorMap(cmap)
    if tuple(bar.levels()) != tuple(levels):
        bar.setLevels(levels)


def style_colour_bar(bar: pg.ColorBarItem, ticks: list | None, label: str, palette: QPalette,
                     font: QFont) -> None:
    """Ticks (None: automatic) and label in the palette's text colour and ``font``; the tick
    axis as wide as its widest label (a fixed width clips "1e-7" to "1" in a large font)."""
    text = palette.color(QPalette.ColorRole.WindowText)
    bar.axis.setTicks(None if ticks is None else [ticks, []])
    for side in ("left", "right", "top", "bottom"):
        axis = bar.getAxis(side)
        axis.setPen(text)
        axis.setTextPen(text)
        axis.setStyle(tickFont=font)
    metrics = QFontMetrics(font)
    labels = [tick_label for _, tick_label in ticks] if ticks else [WIDEST_AUTOMATIC]
    bar.axis.setWidth(max(map(metrics.horizontalAdvance, labels)) + metrics.averageCharWidth() + 12)
    bar.getAxis("left").setLabel(label, color=text.name(), **{"font-size": f"{font.pointSizeF():.1f}pt"})
