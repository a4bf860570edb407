"""Widgets laid over the heatmap: the empty heatmap's own Run button, and the note on a stale
result ("settings changed: run again")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyOverlay(QFrame):
    """"Nothing checked yet." and a Run check button (``button``), centred over the heatmap."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="heatmapEmpty", frameShape=QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.button = QPushButton("Run check", self, objectName="heatmapRunButton")
        self.button.setToolTip("Compare backprop's dθ with the numeric dθ_approx, component by component")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Nothing checked yet.", self, alignment=Qt.AlignmentFlag.AlignCenter))
        layout.addWidget(self.button)

    def place(self) -> None:
        size = self.sizeHint()
        area = self.parentWidget().rect()
        self.setGeometry((area.width() - size.width()) // 2, (area.height() - size.height()) // 2,
                         size.width(), size.height())


class StaleNote(QLabel):
    """A tooltip-coloured note across the top of the heatmap."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, objectName="heatmapStaleNote", wordWrap=True)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.setMargin(6)
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        self.hide()

    def place(self) -> None:
        """Centred at the top, one line when it fits."""
        area = self.parentWidget().rect()
        one_line = self.fontMetrics().horizontalAdvance(self.text()) + 2 * self.margin() + 4
        width = max(1, min(area.width() - 16, one_line))
        self.setGeometry((area.width() - width) // 2, 4, width, self.heightForWidth(width))
