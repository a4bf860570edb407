"""Greying a result that no longer matches the settings: ``mark_stale(widget, note)`` lays a
translucent veil with ``note`` over any widget (None lifts it). Widgets with a ``set_stale(note)``
(and ``stale_note()``) of their own are asked to do it themselves."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QWidget

from gradviz.ui.common.overlay import Overlay

VEIL_ALPHA = 150  # of 255: the result stays readable under the veil
STALE_NOTE = "settings changed: run again"


class StaleVeil(Overlay):
    """A child of the widget it covers: translucent, mouse events pass through, the note on a
    band across the top (unless ``band`` is off: then the note is the tooltip only)."""

    def __init__(self, covered: QWidget) -> None:
        super().__init__(covered, "staleVeil")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.note = ""
        self.band = True

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        window = self.palette().color(QPalette.ColorRole.Window)
        veil = QColor(window)
        veil.setAlpha(VEIL_ALPHA)
        painter.fillRect(self.rect(), veil)
        if not self.band:
            return
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        height = painter.fontMetrics().height() * 1.8
        band = QRectF(0, 0, self.width(), height)
        painter.fillRect(band, window)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.note)


def _veil(widget: QWidget) -> StaleVeil | None:
    return next((c for c in widget.findChildren(StaleVeil, options=Qt.FindChildOption.FindDirectChildrenOnly)
                 if shiboken6.isValid(c)), None)


def mark_stale(widget: QWidget, note: str | None, band: bool = True) -> None:
    """Grey ``widget`` with ``note`` on it (``band``: written across its top), or (None) show it
    plainly again."""
    own = getattr(widget, "set_stale", None)
    if callable(own):
        own(note)
        return
    veil = _veil(widget)
    if note is None:
        if veil is not None:
            veil.hide()
        return
    if veil is None:
        veil = StaleVeil(widget)
    veil.note, veil.band = note, band
    veil.raise_()
    veil.show()
    veil.update()


def stale_note(widget: QWidget) -> str | None:
    """The note ``widget`` is greyed with (None when it is current): its own ``stale_note()`` if
    it has one, else its veil's."""
    own = getattr(widget, "stale_note", None)
    if callable(own):
        return own()
    veil = _veil(widget)
    return veil.note if veil is not None and not veil.isHidden() else None
