"""Signals and gradients by layer, on a log axis: ‖dW[l]‖ and the size of the activations a[l],
live while training runs, and after a check the check's difference in each W[l] (deeper nets
accumulate larger relative errors). With the init gain below or above 1 the forward signal
shrinks or grows with every layer, and the gradient with it."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gradviz.core.data.problem import Problem
from gradviz.core.report.check_report import CheckReport
from gradviz.core.teach.gradient_flow import activation_rms, gradient_norms, report_layers
from gradviz.ui.classroom.throttle import FollowsTraining, Throttle, TurnPlot
from gradviz.ui.common.theme import FollowsPalette, style_plot
from gradviz.ui.training.live_plots import curve_colors

#: examples of the training set the live curves are computed on
LIVE_EXAMPLES = 256
FLOOR = 1e-300  # zero drawn at the bottom of the log axis
STALE_ALPHA = 70  # of 255: the check's curve once the network has moved on


class LayerGradientPanel(FollowsTraining, FollowsPalette, QWidget):
    """``layerGradientPlot`` with the curves, and a note. ``set_problem(problem)``, ``refresh()``
    while training (throttled), ``show_report(report)`` after a check."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerGradientPanel")
        self._problem: Problem | None = None
        self.norms = np.zeros(0)  # the drawn ‖dW[l]‖, by layer
        self.activations = np.zeros(0)
        self.differences = np.zeros(0)
        self.plot = TurnPlot()
        self.plot.setObjectName("layerGradientPlot")  # PlotWidget passes keywords on to its PlotItem
        self.plot.setLogMode(False, True)
        self.plot.setLabel("bottom", "layer l")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setMinimumHeight(90)
        self.grad_curve = self.plot.plot([], [], symbol="o", symbolSize=7)
        self.act_curve = self.plot.plot([], [], symbol="s", symbolSize=6)
        self.diff_curve = self.plot.plot([], [], symbol="t", symbolSize=8)
        self.note = QLabel(objectName="layerGradientNote")  # with the legend: it would hide points
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self._about = ""
        self._stale: str | None = None  # why the check's curve no longer matches the network
        self.throttle = Throttle(self._draw_live, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        self._apply_palette()

    def set_problem(self, problem: Problem | None) -> None:
        self._problem = problem
        self.diff_curve.setData([], [])
        self.differences = np.zeros(0)
        self._stale = None
        if problem is None:
            self.grad_curve.setData([], [])
            self.act_curve.setData([], [])
            self._about = ""
            self._write_note()
            return
        spec = problem.net.spec
        layers = len(spec.layers)
        self.plot.getAxis("bottom").setTicks([[(float(l), str(l)) for l in range(1, layers + 1)]])
        self.plot.setXRange(0.5, layers + 0.5, padding=0)
        inits = sorted({layer.init or spec.init for layer in spec.layers})
        self._about = (f"{layers} layers, init {', '.join(inits)} × gain {spec.init_gain:g}; live on "
                       f"{min(LIVE_EXAMPLES, problem.X.shape[1])} training examples.")
        self._write_note()
        self.throttle.now()

    def show_report(self, report: CheckReport) -> None:
        """The check's ‖dW[l]‖ (backprop at the checked θ) and its difference in each W[l]."""
        layers, norms, differences = report_layers(report)
        self.set_stale(None)
        if not len(layers):
            return
        self.norms, self.differences = norms, differences
        self.grad_curve.setData(layers, np.maximum(norms, FLOOR))
        self.diff_curve.setData(layers, np.maximum(differences, FLOOR))

    def set_stale(self, note: str | None) -> None:
        """Fade the check's curve and say why (``note``; None: it is current). The live curves
        follow the network and are never stale."""
        self._stale = note
        self._apply_palette()

    def stale_note(self) -> str | None:
        return self._stale

    def _draw_live(self) -> None:
        problem = self._problem
        if problem is None:
            return
        k = min(LIVE_EXAMPLES, problem.X.shape[1])
        X, y = problem.X[:, :k], problem.y[..., :k]
        layers, self.norms = gradient_norms(problem.net, X, y)
        act_layers, self.activations = activation_rms(problem.net, X)
        self.grad_curve.setData(layers, np.maximum(self.norms, FLOOR))
        # the output layer's scores are not a signal passed on: show the hidden layers
        self.act_curve.setData(act_layers[:-1], np.maximum(self.activations[:-1], FLOOR))

    def _apply_palette(self) -> None:
        text = style_plot(self.plot, self.palette())
        colours = curve_colors(self.palette())
        faded = QColor(colours[2])
        faded.setAlpha(STALE_ALPHA if self._stale else 255)
        for curve, colour, style in ((self.grad_curve, colours[0], Qt.PenStyle.SolidLine),
                                     (self.act_curve, colours[1], Qt.PenStyle.DashLine),
                                     (self.diff_curve, faded, Qt.PenStyle.DotLine)):
            curve.setPen(pg.mkPen(colour, width=2, style=style))
            curve.setSymbolBrush(pg.mkBrush(colour))
            curve.setSymbolPen(pg.mkPen(colour))
        self.plot.setLabel("left", "size (log)", color=text.name())
        self._write_note()

    def _write_note(self) -> None:
        colours = curve_colors(self.palette())
        check = "the check's difference in W[l]" + (f" (greyed: {self._stale})" if self._stale else "")
        keys = [(colours[0], "●", "‖dW[l]‖ (backprop)"), (colours[1], "■", "rms of a[l] (forward)"),
                (colours[2], "▼", check)]
        legend = " · ".join(f"<span style='color:{c}'>{mark}</span>&nbsp;{html.escape(words)}"
                            for c, mark, words in keys)
        self.note.setText(f"{legend}<br>{html.escape(self._about)}")
