"""Bias and variance, live: train and dev error after each epoch, Ng's reading of them (with an
optional Bayes error) and the dev curve's lowest point, where early stopping would stop."""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gradviz.core.model.training import EpochRecord, Trainer
from gradviz.core.teach.biasvariance import LECTURE_CASES, Reading
from gradviz.ui.classroom.throttle import FollowsTraining, Throttle, TurnPlot
from gradviz.ui.common.fields import FloatField, NumberRange
from gradviz.ui.common.scaled_label import ScaledLabel
from gradviz.ui.common.scrolled import scrolled
from gradviz.ui.common.theme import FollowsPalette, style_plot
from gradviz.ui.common.wrapped_label import WrappedLabel
from gradviz.ui.training.live_plots import curve_colors

_LIKE = {reading: f"like the lecture's {train:g} % train / {dev:g} % dev"
         for train, dev, reading in LECTURE_CASES}
BAYES_ERROR = NumberRange("The Bayes error (%)", 0.0, 50.0)
WAITING = "Train the network: after each epoch this reads its train and dev error."


def errors(epochs: list[EpochRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epoch numbers, train error, dev error) from the accuracies (NaN where there is none)."""
    def error(acc):
        return np.nan if acc is None else 1.0 - acc
    return (np.array([e.epoch for e in epochs], dtype=float),
            np.array([error(e.train_acc) for e in epochs]), np.array([error(e.dev_acc) for e in epochs]))


class BiasVariancePanel(FollowsTraining, FollowsPalette, QWidget):
    """``biasVarianceLabel`` reads the last epoch; ``errorPlot`` draws train and dev error per
    epoch with a line at the lowest dev error. ``set_trainer(get)`` gives the training panel's
    trainer (``get()`` may return None); ``refresh()`` after each training update."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("biasVariancePanel")
        self._trainer: Callable[[], Trainer | None] = lambda: None
        self.reading: Reading | None = None
        self.best_epoch: int | None = None
        self.label = ScaledLabel(WAITING, relative=1.15, objectName="biasVarianceLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.bayes_input = FloatField(BAYES_ERROR, "bayesErrorInput")
        self.bayes_input.setSingleStep(0.5)
        self.bayes_input.setSuffix(" %")
        self.bayes_input.setToolTip("Bayes error: the error the best possible classifier (or a human) "
                                    "makes; bias is measured from it")
        self.bayes_input.valueChanged.connect(lambda _v: self.throttle.now())
        self.plot = TurnPlot()
        self.plot.setObjectName("errorPlot")  # PlotWidget passes keywords on to its PlotItem
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "error")
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.plot.setMinimumHeight(80)
        self.train_curve = self.plot.plot([], [])
        self.dev_curve = self.plot.plot([], [])
        self.best_line = pg.InfiniteLine(angle=90, movable=False)
        # the legend, outside the small plot; a narrow dock wraps it rather than scrolling sideways
        self.key = WrappedLabel(objectName="errorPlotKey")
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.best_line.setVisible(False)
        self.plot.addItem(self.best_line, ignoreBounds=True)
        self.throttle = Throttle(self._redraw, self)

        reading = QWidget()
        column = QVBoxLayout(reading)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.label)
        bayes = QHBoxLayout()
        bayes.addWidget(QLabel("Bayes error"))
        bayes.addWidget(self.bayes_input)
        bayes.addStretch(1)
        column.addLayout(bayes)
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scrolled(reading, sideways=False), 2)
        layout.addWidget(self.key)
        layout.addWidget(self.plot, 3)
        self._apply_palette()

    def set_trainer(self, get: Callable[[], Trainer | None]) -> None:
        self._trainer = get
        self.throttle.now()

    def _redraw(self) -> None:
        trainer = self._trainer()
        epochs = list(trainer.history.epochs) if trainer is not None else []
        x, train, dev = errors(epochs)
        self.train_curve.setData(x, train, connect="finite")
        self.dev_curve.setData(x, dev, connect="finite")
        self.plot.setXRange(0, max(x[-1] if len(x) else 0, 5), padding=0.02)
        finite = np.isfinite(dev)
        self.best_epoch = int(x[finite][np.argmin(dev[finite])]) if finite.any() else None
        self.best_line.setVisible(self.best_epoch is not None)
        if self.best_epoch is not None:
            self.best_line.setPos(self.best_epoch)
        self._read(trainer, epochs)

    def _read(self, trainer: Trainer | None, epochs: list[EpochRecord]) -> None:
        self.reading = None
        if trainer is None or trainer.X_dev is None:
            self.label.setText("There is no dev set to compare with.")
            return
        if trainer.net.spec.loss == "mse":
            self.label.setText("The mse loss has no error rate: choose a classification loss.")
            return
        if not epochs:
            self.label.setText(WAITING)
            return
        last = epochs[-1]
        self.reading = reading = Reading(1 - last.train_acc, 1 - last.dev_acc, trainer.X.shape[1],
                                         trainer.X_dev.shape[1], self.bayes_input.value() / 100)
        diagnosis = reading.diagnosis
        best = ""
        dev = [1 - e.dev_acc for e in epochs]
        if self.best_epoch is not None and self.best_epoch != last.epoch:
            best = (f"<br>Lowest dev error {100 * min(dev):.1f} % at epoch {self.best_epoch}: early "
                    "stopping would stop there.")
        self.label.setText(
            f"Epoch {last.epoch}: {html.escape(reading.figures())}: "
            f"<b>{diagnosis.value}</b> ({_LIKE[diagnosis]}).<br>{html.escape(diagnosis.advice)}{best}")

    def _apply_palette(self) -> None:
        text = style_plot(self.plot, self.palette())
        colours = curve_colors(self.palette())
        self.train_curve.setPen(pg.mkPen(colours[0], width=2))
        self.dev_curve.setPen(pg.mkPen(colours[1], width=2))
        self.best_line.setPen(pg.mkPen(text, width=1, style=Qt.PenStyle.DashLine))
        self.key.setText(f"<span style='color:{colours[0]}'>━</span>&nbsp;train error &nbsp; "
                         f"<span style='color:{colours[1]}'>━</span>&nbsp;dev error &nbsp; "
                         "┆&nbsp;lowest dev error (early stopping)")
