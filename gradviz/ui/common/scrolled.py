"""A widget in a frameless scroll area, so the dock that holds it can be smaller than its
contents: it scrolls, nothing is clipped and the window never grows past the screen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


def scrolled(widget: QWidget, *, sideways: bool = True) -> QScrollArea:
    """``widget`` in a frameless, resizable scroll area; ``sideways`` False: it scrolls only
    vertically (text that wraps to the dock's width)."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    if not sideways:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
