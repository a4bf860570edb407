"""Presenter view: one toggle for teaching on a projector — a larger font everywhere (plot ticks and
axis labels included), a high-contrast colour map for the heatmap, full screen, and
the window's own presenter layout.

Widgets that size their own text (the heatmap, the live plots, the quiz's message) have a
``set_font_scale(factor)`` method: presenter view calls it with PRESENTER_SCALE, and with 1 when
it ends.

The heatmap asks ``heatmap_colormap(default)`` which map to use, so that it keeps the presenter
map across redraws; ``apply_presenter`` also recolours colour bars that are already drawn.
"""

from __future__ import annotations

import pyqtgraph as pg
import shiboken6
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QApplication, QGraphicsView, QWidget

PRESENTER_SCALE = 1.6
#: black → red → yellow: the widest lightness range among the perceptual maps, so it survives a
#: washed-out projector, and it reads the same for colour-blind viewers
PRESENTER_MAP = "inferno"
#: the sequential map the heatmap uses outside presenter view (replaced while presenting)
NORMAL_MAP = "viridis"

_state: dict = {"active": False, "font": None, "bars": []}


def presenter_active() -> bool:
    return _state["active"]


def presenter_colormap() -> pg.ColorMap:
    """The high-contrast sequential colour map of presenter view."""
    return pg.colormap.get(PRESENTER_MAP)


def heatmap_colormap(default: str | pg.ColorMap) -> str | pg.ColorMap:
    """The map a sequential heatmap should use now: the presenter map while presenting, else
    ``default``."""
    return presenter_colormap() if _state["active"] else default


def _colour_bars(window: QWidget) -> list[pg.ColorBarItem]:
    views = [window] if isinstance(window, QGraphicsView) else []
    views += window.findChildren(QGraphicsView)
    return [item for view in views if view.scene() is not None
            for item in view.scene().items() if isinstance(item, pg.ColorBarItem)]


def _map_name(bar: pg.ColorBarItem) -> str | None:
    return getattr(bar.colorMap(), "name", None)


def _plot_items(window: QWidget) -> list[pg.PlotItem]:
    """The plots in ``window`` that do not scale their own text (the heatmap does)."""
    views = [v for v in window.findChildren(pg.GraphicsView) if not hasattr(v, "set_font_scale")]
    return [item for view in views if view.scene() is not None
            for item in view.scene().items() if isinstance(item, pg.PlotItem)]


def scale_plot_text(window: QWidget) -> None:
    """Axis labels of the plots in ``window`` in the application font, as their tick labels
    already are (titles and legends keep their size: they live inside plots of a fixed width,
    and would be cut)."""
    font = QFont(QApplication.instance().font())
    for item in _plot_items(window):
        for side in ("left", "bottom"):
            item.getAxis(side).label.setFont(font)


def scale_fonts(window: QWidget, factor: float) -> None:
    """``set_font_scale(factor)`` on ``window`` and on every widget in it that has one."""
    for widget in [window, *window.findChildren(QWidget)]:
        scale = getattr(widget, "set_font_scale", None)
        if callable(scale):
            scale(factor)


def apply_presenter(window: QWidget, on: bool) -> None:
    """Presenter view on or off: the application font ×1.6 (and every ``set_font_scale``), the
    heatmap's sequential colour map, full screen (showFullScreen / back to normal or maximized),
    and the window's own presenter layout if it has one (``window.presenter_layout(on)``: the
    main window's)."""
    app = QApplication.instance()
    if on == _state["active"]:
        return
    if on:
        base = QFont(app.font())
        _state["font"] = base
        big = QFont(base)
        if base.pointSizeF() > 0:
            big.setPointSizeF(base.pointSizeF() * PRESENTER_SCALE)
        else:
            big.setPixelSize(round(base.pixelSize() * PRESENTER_SCALE))
        app.setFont(big)
    elif _state["font"] is not None:
        app.setFont(_state["font"])
    _state["active"] = on

    if on:
        bars = [bar for bar in _colour_bars(window) if _map_name(bar) == NORMAL_MAP]
        for bar in bars:
            bar.setColorMap(presenter_colormap())
        _state["bars"] = bars
    else:
        for bar in _state["bars"]:
            if shiboken6.isValid(bar) and _map_name(bar) == PRESENTER_MAP:
                bar.setColorMap(NORMAL_MAP)
        _state["bars"] = []

    scale_plot_text(window)
    scale_fonts(window, PRESENTER_SCALE if on else 1.0)
    layout = getattr(window, "presenter_layout", None)
    if layout is not None:
        layout(on)
    if on:
        window.setProperty("gradvizWasMaximized", window.isMaximized())
        window.showFullScreen()
    elif window.property("gradvizWasMaximized"):
        window.showMaximized()
    else:
        window.showNormal()


def presenter_action(window: QWidget) -> QAction:
    """A checkable "Presenter view" action (F11 / the platform's full-screen key) that toggles
    ``apply_presenter``; it is added to ``window`` so the shortcut works without a menu."""
    action = QAction("Presenter view", window)
    action.setObjectName("presenterAction")
    action.setCheckable(True)
    action.setChecked(presenter_active())
    shortcuts = [QKeySequence(QKeySequence.StandardKey.FullScreen), QKeySequence("F11")]
    action.setShortcuts([s for i, s in enumerate(shortcuts) if not s.isEmpty() and s not in shortcuts[:i]])
    action.setToolTip("Large font, high-contrast colours and full screen, for teaching")
    action.toggled.connect(lambda checked: apply_presenter(window, checked))
    window.addAction(action)
    return action
