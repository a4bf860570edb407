"""Widgets laid over and under the heatmap: the empty heatmap's own Run button, the note on a
stale result ("settings changed: run again"), and the legend of its marks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from gradviz.core.report.levels import MARK_GREY


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


def legend_label() -> QLabel:
    """One line (wrapping when narrow) naming what the marks mean, each explained in its tooltip."""
    grey = "#{:02x}{:02x}{:02x}".format(*MARK_GREY[:3])
    legend = QLabel(f"▨ kink · <span style='color:{grey}'>■</span> noise floor · "
                    f"<span style='color:{grey}'>▧</span> both ≈ 0 · □ not checked "
                    "(none of these is a bug)", objectName="heatmapLegend", wordWrap=True)
    legend.setToolTip("▨ Outlined, hatched cells: θ−ε and θ+ε fall on two sides of a ReLU or hinge "
                      "kink, so the numeric derivative is not exact there.\n"
                      "■ Grey cells: |dθ − dθ_approx| is within the rounding error of the numeric "
                      "difference (about u·|J|/ε): at the noise floor.\n"
                      "▧ Striped grey cells: dθ and dθ_approx are both below the noise floor: the "
                      "true gradient is about zero (a bias before batch normalization).\n"
                      "□ Blank cells: not checked (sampled out, or not reached yet).")
    return legend
