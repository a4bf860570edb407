"""Light and dark themes (Fusion style with a light or dark palette); "system" follows the
desktop's colour scheme and keeps following it while the app runs."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from gradviz.ui.common.settings import THEMES

_state = {"theme": "system", "connected": False}


class FollowsPalette:
    """Mixin for a QWidget that styles itself in ``_apply_palette()``: it runs again whenever the
    palette changes (a theme switch)."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _text_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.WindowText)


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style."""
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        role.Window: "#2d2d30", role.WindowText: "#e8e8e8", role.Base: "#1e1e1e",
        role.AlternateBase: "#2d2d30", role.ToolTipBase: "#3a3a3d", role.ToolTipText: "#e8e8e8",
        role.PlaceholderText: "#9a9a9a", role.Text: "#e8e8e8", role.Button: "#3a3a3d",
        role.ButtonText: "#e8e8e8", role.BrightText: "#ff6b6b", role.Link: "#6cb4ff",
        role.Highlight: "#2f7dd1", role.HighlightedText: "#ffffff", role.Light: "#505054",
        role.Midlight: "#444448", role.Mid: "#3a3a3d", role.Dark: "#1a1a1a", role.Shadow: "#000000",
    }
    for r, colour in colours.items():
        p.setColor(r, QColor(colour))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7f7f7f"))
    return p


def light_palette() -> QPalette:
    return QStyleFactory.create("Fusion").standardPalette()


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def is_dark(palette: QPalette) -> bool:
    """Whether the palette draws light text on a dark background."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def style_plot(plot, palette: QPalette) -> QColor:
    """Give a pyqtgraph PlotWidget the palette's background and text colour on its left and
    bottom axes; returns the text colour for the caller's own items."""
    text = palette.color(QPalette.ColorRole.WindowText)
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(text)
        axis.setTextPen(text)
    return text


def apply_theme(theme: str) -> None:
    """Set the running app's style and palette: "light", "dark" or "system"."""
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}; got {theme!r}")
    app = QApplication.instance()
    if app is None:
        return
    _state["theme"] = theme
    if not _state["connected"]:
        QGuiApplication.styleHints().colorSchemeChanged.connect(_on_system_scheme)
        _state["connected"] = True
    app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_is_dark())
    app.setPalette(dark_palette() if dark else light_palette())


def current_theme() -> str:
    return _state["theme"]


def _on_system_scheme(_scheme) -> None:
    if _state["theme"] == "system":
        apply_theme("system")
