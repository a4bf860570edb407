"""A panel that cannot work on what the window shows (a classroom view of the built-in network
while a model file is open): ``set_unavailable(widget, reason)`` disables it and covers it with
the reason, so that no earlier result reads as current; None gives it back."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QWidget

from gradviz.ui.common.overlay import Overlay

MARGIN = 12  # px around the reason


class UnavailableCover(Overlay):
    """A child of the widget it covers: opaque, the reason centred on it in the palette's active
    text colour (the covered widget is disabled, its cover stays readable)."""

    def __init__(self, covered: QWidget) -> None:
        super().__init__(covered, "unavailableCover")
        self.reason = ""

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        active = QPalette.ColorGroup.Active
        painter.fillRect(self.rect(), self.palette().color(active, QPalette.ColorRole.Window))
        painter.setPen(self.palette().color(active, QPalette.ColorRole.WindowText))
        area = QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.reason)


def _cover(widget: QWidget) -> UnavailableCover | None:
    children = widget.findChildren(UnavailableCover, options=Qt.FindChildOption.FindDirectChildrenOnly)
    return next((c for c in children if shiboken6.isValid(c)), None)


def set_unavailable(widget: QWidget, reason: str | None) -> None:
    """Disable ``widget`` and show ``reason`` over it (also as its tooltip); None: enabled and
    uncovered again."""
    cover = _cover(widget)
    widget.setEnabled(reason is None)
    widget.setToolTip(reason or "")
    if reason is None:
        if cover is not None:
            cover.hide()
        return
    if cover is None:
        cover = UnavailableCover(widget)
    cover.reason = reason
    cover.raise_()
    cover.show()
    cover.update()


def unavailable_reason(widget: QWidget) -> str | None:
    """Why ``widget`` is unavailable, or None when it works."""
    cover = _cover(widget)
    return cover.reason if cover is not None and not cover.isHidden() else None
