"""The data view: the training examples (filled) and dev examples (hollow) in class colours and
shapes, over the network's decision regions, redrawn while training runs. Inputs with more than
two features are shown on their first two principal components, with a note saying so."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gradviz.core.data.problem import Problem
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.teach.boundary import Plane, data_plane, decision_grid, grid_resolution
from gradviz.ui.classroom.throttle import FollowsTraining, Throttle, TurnPlot
from gradviz.ui.common.theme import FollowsPalette, style_plot
from gradviz.ui.common.wrapped_label import WrappedLabel

#: Okabe-Ito (colour-blind safe), then two more distinct colours for up to 10 classes
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                 "#999999", "#882255", "#44AA99")
#: a shape per class as well, so the classes read without colour (and how the note writes it)
CLASS_SYMBOLS = ("o", "s", "t", "d", "h", "star", "t1", "p", "x", "+")
SYMBOL_TEXT = ("●", "■", "▼", "◆", "⬢", "★", "▲", "⬟", "✕", "✚")
#: how much of the class colour tints a region: the least and the most confident
TINT_RANGE = (0.12, 0.45)
MARGIN = 0.08  # of the data's extent, around it
#: the most examples of each set drawn (an even sample of the rest): a scatter stays quick
MAX_POINTS = 4000


def class_labels(spec: NetworkSpec, y: np.ndarray) -> np.ndarray:
    """Integer labels (m,) from y in the network's layout (labels, a (1, m) row, or one-hot)."""
    y = np.asarray(y)
    if spec.loss == "mse":
        return np.argmax(y, axis=0)
    return y.reshape(-1).astype(np.intp)


def _shown(m: int) -> np.ndarray:
    """Indices of the examples drawn: all, or MAX_POINTS evenly spread."""
    return np.arange(m) if m <= MAX_POINTS else np.linspace(0, m - 1, MAX_POINTS).astype(np.intp)


def _tints(background: QColor, n_classes: int) -> np.ndarray:
    """(n_classes, 2, 3) RGB: each class colour over the background at the least and most tint."""
    bg = np.array(background.getRgb()[:3], dtype=float)
    colours = np.array([QColor(CLASS_COLOURS[c % len(CLASS_COLOURS)]).getRgb()[:3]
                        for c in range(n_classes)], dtype=float)
    alphas = np.array(TINT_RANGE)[None, :, None]
    return bg * (1 - alphas) + colours[:, None, :] * alphas


class DataViewPanel(FollowsTraining, FollowsPalette, QWidget):
    """The plot (objectName ``dataView``) and a note under it. ``set_problem(problem)`` shows a
    problem's examples; ``refresh()`` asks for the decision regions to be redrawn (throttled
    while ``set_training(True)``); ``exclusive`` is the training runner's turn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataViewPanel")
        self.plot = TurnPlot()
        self.plot.setObjectName("dataView")  # PlotWidget passes keywords on to its PlotItem
        self.plot.setMinimumSize(160, 110)
        for side in ("left", "bottom"):
            self.plot.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=8, pxMode=True)
        self.dev_points = pg.ScatterPlotItem(size=9, pxMode=True)
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.dev_points)
        self.note = WrappedLabel(objectName="dataViewNote")  # the legend too: a legend would hide examples
        self.note.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.note)
        self._problem: Problem | None = None
        self._plane: Plane | None = None
        self._bounds = ((-1.0, 1.0), (-1.0, 1.0))
        self.classes: np.ndarray | None = None  # the last decision grid (res, res)
        self.throttle = Throttle(self._draw_regions, self)
        self._apply_palette()
        self.set_problem(None)

    # -- inputs --------------------------------------------------------------------------------
    def set_problem(self, problem: Problem | None) -> None:
        """Show ``problem``'s train and dev examples and its network's decision regions."""
        self._problem = problem
        if problem is None:
            self._plane = None
            self.train_points.clear()
            self.dev_points.clear()
            self.image.clear()
            self.classes = None
            self.note.setText("No data: fix the network or its data first.")
            return
        self._plane = plane = data_plane(problem.X[:, _shown(problem.X.shape[1])])
        P = np.concatenate([plane.project(problem.X), plane.project(problem.X_dev)], axis=1)
        lo, hi = P.min(axis=1), P.max(axis=1)
        pad = np.maximum(hi - lo, 1e-6) * MARGIN
        self._bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
        self._draw_points()
        self.plot.setRange(xRange=self._bounds[0], yRange=self._bounds[1], padding=0)
        self.note.setText(self._note(problem, plane))
        self.throttle.now()

    # -- drawing -------------------------------------------------------------------------------
    def _note(self, problem: Problem, plane: Plane) -> str:
        m_train, m_dev = problem.X.shape[1], problem.X_dev.shape[1]
        scaled = ("inputs normalized (the training set's mean and std)"
                  if problem.normalizer is not None else "raw inputs (not normalized)")
        classes = " ".join(f"<span style='color:{CLASS_COLOURS[c]}'>{SYMBOL_TEXT[c]}</span>&nbsp;{c}"
                           for c in range(min(problem.n_classes, len(CLASS_COLOURS))))
        axes = "PC 1 across, PC 2 up" if plane.is_projection else "x1 across, x2 up"
        text = (f"Classes {classes} · filled: {m_train:,} train · hollow: {m_dev:,} dev · {axes} · "
                f"{html.escape(scaled)}.")
        if max(m_train, m_dev) > MAX_POINTS:
            text += f" At most {MAX_POINTS:,} of each are drawn (an even sample)."
        if plane.is_projection:
            text += (f" The {plane.axes.shape[0]} inputs are shown on their first two principal "
                     f"components ({100 * plane.explained:.0f} % of the variance); the regions are "
                     "the network's decisions on that plane through the mean.")
        return text

    def _labels(self, y: np.ndarray) -> np.ndarray:
        return class_labels(self._problem.net.spec, y)

    def _draw_points(self) -> None:
        problem, plane = self._problem, self._plane
        edge = self.palette().color(QPalette.ColorRole.Base)
        for item, X, y, hollow in ((self.train_points, problem.X, problem.y, False),
                                   (self.dev_points, problem.X_dev, problem.y_dev, True)):
            shown = _shown(X.shape[1])
            P, labels = plane.project(X[:, shown]), self._labels(y)[shown]
            colours = [QColor(CLASS_COLOURS[c % len(CLASS_COLOURS)]) for c in labels]
            symbols = [CLASS_SYMBOLS[c % len(CLASS_SYMBOLS)] for c in labels]
            if hollow:
                pens = [pg.mkPen(c, width=2) for c in colours]
                item.setData(P[0], P[1], symbol=symbols, pen=pens, brush=None)
            else:
                item.setData(P[0], P[1], symbol=symbols, brush=colours, pen=pg.mkPen(edge, width=1))

    def _draw_regions(self) -> None:
        problem, plane = self._problem, self._plane
        if problem is None or plane is None:
            return
        (x0, x1), (y0, y1) = self._bounds
        classes, confidence = decision_grid(problem.net, plane, (x0, x1), (y0, y1),
                                            grid_resolution(problem.net))
        self.classes = classes
        tints = _tints(self.palette().color(QPalette.ColorRole.Base), max(problem.n_classes, 2))
        clipped = np.clip(classes, 0, len(tints) - 1)
        strength = np.clip(confidence, 0.0, 1.0)[..., None]
        rgb = tints[clipped, 0] * (1 - strength) + tints[clipped, 1] * strength
        self.image.setImage(rgb.astype(np.uint8), autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))

    # -- theme ---------------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        style_plot(self.plot, self.palette())
        if getattr(self, "_problem", None) is not None:
            self._draw_points()
            self.throttle.now()
