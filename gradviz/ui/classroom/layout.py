"""Layout helper for the classroom docks: a dock must shrink to fit a 1024×768 screen, so
stacked panels go in a splitter (text in a scroll area: ui/common/scrolled.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget


def stack(*widgets: QWidget, stretch: tuple[int, ...] = (), side_by_side: bool = False) -> QWidget:
    """The widgets one above the other (or ``side_by_side``) in a splitter, each keeping a share
    when the dock is small; ``stretch`` gives their shares."""
    splitter = QSplitter(Qt.Orientation.Horizontal if side_by_side else Qt.Orientation.Vertical)
    splitter.setChildrenCollapsible(False)
    for i, widget in enumerate(widgets):
        splitter.addWidget(widget)
        if i < len(stretch):
            splitter.setStretchFactor(i, stretch[i])
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(splitter)
    return holder
