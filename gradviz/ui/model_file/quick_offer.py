"""The offer laid over the top of the heatmap when a model file's full check would be long: a quick
check first, with the caveat the quick check gives about itself, or the full check anyway. Nothing
runs until the user chooses; the full check is never replaced without a word. (An overlay, like
the heatmap's own notes: showing it relayouts nothing.)"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gradviz.core.check.quickcheck import CAVEAT

#: a full check estimated longer than this (seconds) is offered a quick check first: past about
#: ten seconds a wait stops feeling like part of the edit–save–see loop
LARGE_CHECK_SECONDS = 10.0
MAX_WIDTH = 640  # px: the note's lines stay short enough to read


def duration(seconds: float) -> str:
    """A rough duration for people: "0.3 s", "40 s", "7 min", "2.5 h"."""
    if seconds < 1:
        return f"{seconds:.1g} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.2g} h"


class QuickOffer(QFrame):
    """A note with two buttons over the top of ``over``. Signals: quick_requested(),
    full_requested()."""

    quick_requested = Signal()
    full_requested = Signal()

    def __init__(self, over: QWidget) -> None:
        super().__init__(over, objectName="quickCheckOffer")
        self.setStyleSheet("QFrame#quickCheckOffer { background: palette(base); "
                           "border: 1px solid palette(mid); border-left: 4px solid #0072B2; }")
        self.text = QLabel(objectName="quickCheckOfferText")
        self.text.setWordWrap(True)
        self.quick_button = QPushButton("Quick check first", objectName="offerQuickButton")
        self.full_button = QPushButton("Full check", objectName="offerFullButton")
        self.quick_button.clicked.connect(self._choose(self.quick_requested))
        self.full_button.clicked.connect(self._choose(self.full_requested))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quick_button)
        buttons.addWidget(self.full_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        over.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.place()
        return False

    def place(self) -> None:
        """Centred at the top of the widget it lies over."""
        area = self.parentWidget().rect()
        width = max(1, min(area.width() - 16, MAX_WIDTH))
        self.setGeometry((area.width() - width) // 2, 4, width, self.heightForWidth(width))

    def offer(self, name: str, components: int, full_seconds: float, quick_seconds: float,
              workers: str) -> None:
        """Show the estimate for the file ``name`` and what the quick check can miss."""
        self.text.setText(
            f"{name} has {components:,} components: its full check would take about "
            f"{duration(full_seconds)} (workers: {workers}). A quick check takes about "
            f"{duration(quick_seconds)}, but {CAVEAT}.")
        self.place()
        self.show()
        self.raise_()

    def _choose(self, signal):
        def chosen() -> None:
            self.hide()
            signal.emit()
        return chosen
