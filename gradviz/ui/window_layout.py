"""Where the main window's docks go: the first layout in proportion to the screen, the remembered
one brought back inside this screen, the live plots opening under the heatmap, and presenter
view's layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QStyle, QTabBar

from gradviz.ui.classroom.presenter import PRESENTER_SCALE
from gradviz.ui.common.screen import clamp_to_screen, fit_first

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow

PLOTS_HEIGHT = 250  # px for the live plots dock when training starts
#: first layout: the share of the window's width for the left and the right column of docks
LEFT_SHARE, RIGHT_SHARE = 0.27, 0.28
#: the left column may take up to this share to show the builder without a horizontal scroll bar
LEFT_MOST = 0.35
#: presenter view: the editing docks step aside; the right column keeps Check and Training, and
#: takes these as tabs if they were open; the bottom docks keep at most this share of the height
PRESENTER_HIDES = ("networkDock", "inspectorDock")
PRESENTER_TABS = ("classroomDock", "explanationDock", "lessonsDock")
PRESENTER_BOTTOM = 0.3

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


class WindowLayout(QObject):
    """Sizes and arranges the docks of ``window`` (its network_dock, check_dock, plots_dock,
    builder, app_settings)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._sized = False
        self._normal_state: QByteArray | None = None  # the layout to return to after presenting

    def restore(self) -> None:
        """The remembered geometry (pulled inside this screen) and docks, or a first layout."""
        w = self.window
        geometry, state = w.app_settings.geometry(), w.app_settings.state()
        if geometry is not None:
            w.restoreGeometry(geometry)
            clamp_to_screen(w)
        else:
            fit_first(w)
        if state is not None:
            w.restoreState(state)
        self._sized = state is not None

    def shown(self) -> None:
        """The window is shown: at a first start, give the docks their share of its width."""
        if self._sized:
            return
        self._sized = True
        w = self.window
        width = w.width()
        builder = w.builder.minimumSizeHint().width() + w.style().pixelMetric(
            QStyle.PixelMetric.PM_ScrollBarExtent)
        left = max(width * LEFT_SHARE, min(builder, width * LEFT_MOST))
        w.resizeDocks([w.network_dock, w.check_dock], [round(left), round(width * RIGHT_SHARE)],
                      Qt.Orientation.Horizontal)

    def show_plots(self) -> None:
        """Open the live plots under the heatmap (once; then they stay where the user put them)."""
        w = self.window
        if not w.plots_dock.isVisible():
            w.plots_dock.show()
            w.resizeDocks([w.plots_dock], [PLOTS_HEIGHT], Qt.Orientation.Vertical)

    def presenter(self, on: bool) -> None:
        """Presenter view's layout: the heatmap takes most of the window; one column on the
        right holds Check, Training and the open classroom docks as tabs; the bottom docks keep a
        third of the height; the heatmap's labels scale. Off: the layout from before."""
        w = self.window
        if not on:
            w.heatmap.set_font_scale(1.0)
            if self._normal_state is not None:
                w.restoreState(self._normal_state)
                self._normal_state = None
            return
        self._normal_state = w.saveState()
        docks = {d.objectName(): d for d in w.findChildren(QDockWidget)}
        for name in PRESENTER_HIDES:
            docks[name].hide()
        for name in PRESENTER_TABS:
            dock = docks.get(name)
            if dock is not None and not dock.isHidden():
                w.addDockWidget(RIGHT, dock)
                w.tabifyDockWidget(w.check_dock, dock)
        w.check_dock.raise_()
        w.heatmap.set_font_scale(PRESENTER_SCALE)
        QTimer.singleShot(0, self, self._presenter_sizes)  # once the moved docks are laid out

    def _presenter_sizes(self) -> None:
        w = self.window
        for bar in w.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            bar.setElideMode(Qt.TextElideMode.ElideNone)  # "Check", never "C…"
            bar.setUsesScrollButtons(True)
        w.resizeDocks([w.check_dock], [round(w.width() * RIGHT_SHARE)], Qt.Orientation.Horizontal)
        bottom = [d for d in w.findChildren(QDockWidget) if d.isVisible() and w.dockWidgetArea(d) == BOTTOM]
        if bottom:
            w.resizeDocks(bottom, [round(w.height() * PRESENTER_BOTTOM)] * len(bottom),
                          Qt.Orientation.Vertical)
