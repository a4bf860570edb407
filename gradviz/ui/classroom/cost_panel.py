"""What a gradient check costs on the current network, measured live: one backprop, the lectures'
reference loop (timed on a sample and scaled, as it says) and gradviz's fast engine — why the
check is for debugging, never for every training step."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gradviz.core.teach.cost import CheckCost, iter_check_cost
from gradviz.ui.classroom.jobs import Job, JobResults
from gradviz.ui.common.scrolled import scrolled

#: (network copy, X, y, gradient_check keyword arguments)
CostSource = tuple[Any, Any, Any, dict[str, Any]]


class CostPanel(JobResults, QWidget):
    """``measureCostButton`` measures ``CheckCost`` in a worker on what ``set_source(prepare)``
    gives and shows it in ``checkCostLabel``. Signal measured(CheckCost)."""

    measured = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkCostPanel")
        self._source: Callable[[], CostSource] | None = None
        self.cost: CheckCost | None = None
        self.job = Job(self)
        self.job.yielded.connect(lambda stage: self.label.setText(f"Timing {stage}…"))
        self.job.returned.connect(self._on_cost)
        self.job.failed.connect(lambda message: self.label.setText(f"The measurement failed: {message}"))
        self.job.ended.connect(lambda: self.button.setEnabled(True))
        self.button = QPushButton("Measure the check's cost", objectName="measureCostButton")
        self.button.setToolTip("Time one backprop, the reference loop and the fast engine on this network")
        self.button.clicked.connect(self.run)
        self.label = QLabel("How long does a gradient check take, next to a training step?",
                            objectName="checkCostLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        self.results_view = scrolled(self.label, sideways=False)
        layout.addWidget(self.results_view, 1)

    def run(self) -> None:
        if self._source is None:
            return
        try:
            net, X, y, options = self._source()
        except ValueError as exc:
            self.label.setText(html.escape(str(exc)))
            return
        self.cost = None
        self.button.setEnabled(False)
        self.label.setText("Timing…")
        self.job.start(iter_check_cost, net, X, y, **options)

    def _on_cost(self, cost: CheckCost) -> None:
        self.cost = cost
        items = "".join(f"<li>{html.escape(line)}</li>" for line in cost.lines())
        self.label.setText(f"<ul style='margin-left:-20px'>{items}</ul>Gradient checking is for "
                           "debugging: run it, then turn it off and train.")
        self.measured.emit(cost)
