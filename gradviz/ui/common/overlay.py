"""A widget laid over another: its child, always the size of it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class Overlay(QWidget):
    """A child of ``covered`` that follows its size (subclasses paint it)."""

    def __init__(self, covered: QWidget, name: str) -> None:
        super().__init__(covered, objectName=name)
        covered.installEventFilter(self)
        self.setGeometry(covered.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False
