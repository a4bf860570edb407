"""Sanity checks before training, in the app (CS231n): the initial loss at the network's own
init against ln C (or C − 1), the loss at several λ with the regularization term shown apart,
and the loss curve of overfitting 20 examples. They run in a worker."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.model.spec import NetworkSpec
from gradviz.core.teach.sanity import SanityResult, iter_sanity_checks
from gradviz.ui.classroom.explanation_panel import STATUS_COLOURS
from gradviz.ui.classroom.jobs import Job, JobResults
from gradviz.ui.common.scrolled import scrolled
from gradviz.ui.common.theme import FollowsPalette, style_plot

RESULT_NAMES = {"initial loss": "initialLossResult", "regularization": "regularizationResult",
                "overfit a tiny subset": "overfitResult"}
TABLE_COLUMNS = ("λ", "data loss", "+ λ/(2m)·Σ‖W‖²", "= J")


@dataclass
class SanitySource:
    """What the checks run on: the spec, the training data in the network's layout, and the
    parameters the network starts from (None: the spec's own init)."""

    spec: NetworkSpec
    X: Any
    y: Any
    params: dict | None = None


class SanityPanel(JobResults, FollowsPalette, QWidget):
    """Run sanity checks (``runSanityButton``) on what ``set_source(prepare)`` gives; shows each
    result as it arrives. Signal finished(list of SanityResult)."""

    finished = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sanityPanel")
        self._source: Callable[[], SanitySource] | None = None
        self._results: list[SanityResult] = []
        self.job = Job(self)
        self.job.yielded.connect(self._on_result)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)

        self.run_button = QPushButton("Run sanity checks", objectName="runSanityButton")
        self.run_button.setToolTip("Initial loss, loss against λ, overfit 20 examples (in the background)")
        self.run_button.clicked.connect(self.run)
        self.status = QLabel("Check the net before training it.", objectName="sanityStatus")
        self.status.setWordWrap(True)
        self.result_labels = {name: QLabel(objectName=object_name)
                              for name, object_name in RESULT_NAMES.items()}
        for label in self.result_labels.values():
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(0, len(TABLE_COLUMNS), objectName="regularizationTable")
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("overfitPlot")  # PlotWidget passes keywords on to its PlotItem
        self.plot.setLogMode(False, True)
        self.plot.setLabel("bottom", "iteration (Adam, 20 examples, λ = 0)")
        self.plot.setLabel("left", "loss")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setMinimumHeight(70)
        # decades only: a short plot has no room for the minor ticks' labels
        self.plot.getAxis("left").setTicks([[(float(k), f"{10.0**k:g}") for k in range(-4, 2)]])
        self.curve = self.plot.plot([], [])
        self.threshold = pg.InfiniteLine(angle=0, movable=False, label="target",
                                         labelOpts={"position": 0.95})
        self.plot.addItem(self.threshold, ignoreBounds=True)

        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.status, 1)
        results = QWidget()
        column = QVBoxLayout(results)
        column.setContentsMargins(0, 0, 0, 0)
        for name in RESULT_NAMES:
            column.addWidget(self.result_labels[name])
            if name == "regularization":
                column.addWidget(self.table)
        column.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scrolled(results, sideways=False))
        splitter.addWidget(self.plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.results_view = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._apply_palette()

    # -- running -------------------------------------------------------------------------------
    def results(self) -> list[SanityResult]:
        return list(self._results)

    def run(self) -> None:
        if self._source is None:
            return
        try:
            source = self._source()
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self._results = []
        for label in self.result_labels.values():
            label.clear()
        self.table.setRowCount(0)
        self.curve.setData([], [])
        self.status.setText("Running…")
        self.run_button.setEnabled(False)
        params = None if source.params is None else {k: np.array(v) for k, v in source.params.items()}
        self.job.start(iter_sanity_checks, source.spec, np.array(source.X), np.array(source.y),
                       params=params)

    def _on_result(self, result: SanityResult) -> None:
        self._results.append(result)
        word, colour = ("OK", STATUS_COLOURS["great"]) if result.ok else ("LOOK", STATUS_COLOURS["worry"])
        badge = (f"<span style='background-color:{colour}; color:#ffffff'>&nbsp;{word}&nbsp;</span>")
        self.result_labels[result.name].setText(
            f"{badge} <b>{html.escape(result.name.capitalize())}</b>: {html.escape(result.message)}")
        if result.rows:
            self.table.setRowCount(len(result.rows))
            for i, row in enumerate(result.rows):
                for j, value in enumerate((row.l2, row.data, row.reg, row.total)):
                    item = QTableWidgetItem(f"{value:g}" if j == 0 else f"{value:.4g}")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(i, j, item)
            self.table.setFixedHeight(self.table.horizontalHeader().height()
                                      + sum(self.table.rowHeight(i) for i in range(len(result.rows))) + 4)
        if result.curve.size:
            iterations = np.arange(1, result.curve.size + 1)
            self.curve.setData(iterations, np.maximum(result.curve, 1e-12))
            self.threshold.setPos(np.log10(result.expected))

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"The sanity checks failed: {message}")

    def _on_ended(self) -> None:
        self.run_button.setEnabled(True)
        if len(self._results) == len(RESULT_NAMES):
            passed = sum(r.ok for r in self._results)
            self.status.setText(f"{passed} of {len(self._results)} as expected."
                                + ("" if passed == len(self._results) else " Read the ones marked LOOK."))
            self.finished.emit(self.results())
        elif not self.status.text().startswith("The sanity checks failed"):
            self.status.setText("Cancelled.")

    def _apply_palette(self) -> None:
        text = style_plot(self.plot, self.palette())
        self.curve.setPen(pg.mkPen(text, width=2))
        self.threshold.setPen(pg.mkPen(text, width=1, style=Qt.PenStyle.DashLine))
        self.threshold.label.setColor(text)
