"""A picture of the network: neurons and weighted edges for small nets (TensorFlow Playground
style), one box per layer when a layer is too wide to draw its neurons."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QPalette, QTextOption
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from gradviz.core.model.spec import NetworkSpec
from gradviz.ui.common.theme import is_dark

#: widest layer (input included) drawn neuron by neuron
MAX_NEURONS = 32
#: |w| buckets per sign: edge width and opacity grow with |w| / max |w| of the layer
LEVELS = 5
_WIDTHS = np.linspace(0.6, 4.0, LEVELS)
_ALPHAS = np.linspace(70, 255, LEVELS).astype(int)


def sign_colors(palette: QPalette) -> tuple[str, str]:
    """(positive, negative) edge colours: Okabe-Ito blue and orange, brighter on dark backgrounds."""
    return ("#56B4E9", "#E69F00") if is_dark(palette) else ("#0072B2", "#D55E00")


def _caption(text: str, color: QColor, anchor: tuple[float, float]) -> pg.TextItem:
    """A TextItem whose lines are centred on each other."""
    item = pg.TextItem(text, color=color, anchor=anchor)
    document = item.textItem.document()
    document.setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
    document.setTextWidth(document.idealWidth())
    item.updateTextPos()
    return item


class NetworkSchematic(QWidget):
    """Draws a NetworkSpec; ``set_params`` colours the edges by the sign of each weight (blue +,
    orange −) with width and opacity growing with |w|. ``mode`` is "neurons" or "blocks"; a line
    above the drawing gives the sizes and the parameter count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkSchematic")
        self.setMinimumSize(220, 160)
        self.summary = QLabel()
        self.summary.setObjectName("schematicSummary")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary.setWordWrap(True)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.ci.setContentsMargins(4, 4, 4, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.summary)
        layout.addWidget(self.canvas, stretch=1)
        self.view = self.canvas.addViewBox()
        self.view.setMouseEnabled(False, False)
        self.view.setMenuEnabled(False)
        self.view.sigResized.connect(self._fit)
        # what must be visible: a box in data units plus margins in pixels (left, right, top, bottom)
        self._extent = (0.0, 1.0, 0.0, 1.0)
        self._margins = (0, 0, 0, 0)
        self.mode = "neurons"
        self._spec: NetworkSpec | None = None
        self._params: dict[str, np.ndarray] | None = None
        self._positions: list[np.ndarray] = []  # y of each neuron, per layer (input first)
        self._xs: list[float] = []
        self._dx: float | None = None  # column spacing (data units), widened to fill the view's width
        self._dx_range = (3.0, 3.0)
        self._edge_items: dict[tuple[int, int], pg.PlotCurveItem] = {}  # (sign, level) -> item
        self._edge_counts: dict[int, int] = {}  # sign -> edges drawn in that colour
        self._neurons: pg.ScatterPlotItem | None = None
        self.setToolTip("Edges: blue = positive weight, orange = negative; thicker and more opaque = "
                        "larger |w| relative to the largest |w| of the layer")

    # -- public API ------------------------------------------------------------------------------
    def set_spec(self, spec: NetworkSpec) -> None:
        """Draw ``spec`` (forgets parameters whose shapes no longer fit)."""
        self._spec = spec
        self._dx = None
        if self._params is not None and not self._params_fit(self._params):
            self._params = None
        self._rebuild()

    def set_params(self, params: dict[str, np.ndarray] | None) -> None:
        """Colour the edges by these weights {"W1": (n1, n0), ...}; None draws plain edges."""
        self._params = params if params is not None and self._params_fit(params) else None
        if self.mode == "neurons" and self._spec is not None:
            self._draw_edges()

    def neuron_count(self) -> int:
        """Neurons drawn (0 in block mode)."""
        return 0 if self._neurons is None else len(self._neurons.data)

    def edge_count(self, sign: int | None = None) -> int:
        """Edges drawn: all of them, or those coloured positive (+1), negative (-1) or plain (0)."""
        if sign is None:
            return sum(self._edge_counts.values())
        return self._edge_counts.get(sign, 0)

    # -- drawing ---------------------------------------------------------------------------------
    def _params_fit(self, params: dict[str, np.ndarray]) -> bool:
        if self._spec is None:
            return False
        sizes = self._spec.sizes
        return all(
            np.shape(params.get(f"W{l}")) == (sizes[l], sizes[l - 1]) for l in range(1, len(sizes))
        )

    def _rebuild(self) -> None:
        self.view.clear()
        self._edge_items, self._edge_counts, self._neurons = {}, {}, None
        spec = self._spec
        if spec is None:
            self.summary.setText("")
            return
        palette = self.palette()
        self.canvas.setBackground(palette.color(QPalette.ColorRole.Base))
        self.summary.setText(f"{' → '.join(str(n) for n in spec.sizes)}  ·  {spec.n_params:,} parameters")
        self.mode = "neurons" if max(spec.sizes) <= MAX_NEURONS else "blocks"
        if self.mode == "neurons":
            self._build_neurons(spec, palette)
        else:
            self._build_blocks(spec, palette)

    def _layer_caption(self, spec: NetworkSpec, l: int) -> str:
        if l == 0:
            return f"input\n{spec.input_dim}"
        layer = spec.layers[l - 1]
        role = "output" if l == len(spec.layers) else f"hidden {l}"
        text = f"{role}\n{layer.units} {layer.activation}"
        if layer.keep_prob < 1.0:
            text += f"\nkeep {layer.keep_prob:g}"
        return text

    def _build_neurons(self, spec: NetworkSpec, palette: QPalette) -> None:
        sizes = spec.sizes
        tallest = max(sizes)
        narrowest = max(3.0, 0.5 * tallest)
        self._dx_range = (narrowest, 2.5 * narrowest)
        if self._dx is None:
            self._dx = narrowest
        self._xs = [i * self._dx for i in range(len(sizes))]
        self._positions = [np.arange(n) - (n - 1) / 2.0 for n in sizes]
        for sign in (1, -1):
            for level in range(LEVELS):
                item = pg.PlotCurveItem(connect="pairs", antialias=True)
                self._edge_items[sign, level] = item
                self.view.addItem(item)
        self._edge_items[0, 0] = plain = pg.PlotCurveItem(connect="pairs", antialias=True)
        self.view.addItem(plain)
        self._draw_edges()

        text = palette.color(QPalette.ColorRole.Text)
        fill = palette.color(QPalette.ColorRole.Base)
        x = np.concatenate([np.full(len(p), xi) for xi, p in zip(self._xs, self._positions, strict=True)])
        y = np.concatenate(self._positions)
        self._neurons = pg.ScatterPlotItem(x=x, y=y, size=0.62, pxMode=False, pen=pg.mkPen(text, width=1.5),
                                           brush=pg.mkBrush(fill))
        self.view.addItem(self._neurons)
        bottom = -(tallest - 1) / 2.0 - 0.7
        for l, xi in enumerate(self._xs):
            label = _caption(self._layer_caption(spec, l), text, anchor=(0.5, 0))
            label.setPos(xi, bottom)
            self.view.addItem(label)
        # room for the captions below (a text line is about 16 px) and half a caption left and right
        lines = max(self._layer_caption(spec, l).count("\n") + 1 for l in range(len(sizes)))
        self._extent = (-0.5, self._xs[-1] + 0.5, bottom, (tallest - 1) / 2.0 + 0.5)
        self._margins = (36, 36, 6, 16 * lines + 8)
        self._fit()

    def _draw_edges(self) -> None:
        spec = self._spec
        colors = sign_colors(self.palette())
        muted = QColor(self.palette().color(QPalette.ColorRole.Text))
        muted.setAlpha(70)
        segments: dict[tuple[int, int], list[np.ndarray]] = {key: [] for key in self._edge_items}
        for l in range(1, len(spec.sizes)):
            y_in, y_out = self._positions[l - 1], self._positions[l]
            out_idx, in_idx = np.meshgrid(np.arange(len(y_out)), np.arange(len(y_in)), indexing="ij")
            x0, x1 = self._xs[l - 1], self._xs[l]
            W = None if self._params is None else np.real(np.asarray(self._params[f"W{l}"], dtype=float))
            peak = 0.0 if W is None else float(np.max(np.abs(W)))
            if W is None or peak == 0.0 or not math.isfinite(peak):
                keys = np.zeros(out_idx.shape, dtype=int), np.zeros(out_idx.shape, dtype=int)
            else:
                levels = np.clip(np.ceil(np.abs(W) / peak * LEVELS) - 1, 0, LEVELS - 1).astype(int)
                keys = np.sign(W).astype(int), np.where(W == 0, 0, levels)
            for key in segments:
                mask = (keys[0] == key[0]) & (keys[1] == key[1])
                if not mask.any():
                    continue
                ya, yb = y_in[in_idx[mask]], y_out[out_idx[mask]]
                seg = np.empty((mask.sum() * 2, 2))
                seg[0::2, 0], seg[1::2, 0] = x0, x1
                seg[0::2, 1], seg[1::2, 1] = ya, yb
                segments[key].append(seg)
        dense = sum(len(seg) for parts in segments.values() for seg in parts) > 400  # > 200 edges
        thin = 0.6 if dense else 1.0
        self._edge_counts = {}
        for (sign, level), item in self._edge_items.items():
            pts = np.concatenate(segments[sign, level]) if segments[sign, level] else np.empty((0, 2))
            self._edge_counts[sign] = self._edge_counts.get(sign, 0) + len(pts) // 2
            if sign == 0:
                pen = pg.mkPen(muted, width=1)
            else:
                color = QColor(colors[0] if sign > 0 else colors[1])
                color.setAlpha(int(_ALPHAS[level]))
                pen = pg.mkPen(color, width=thin * float(_WIDTHS[level]))
            item.setData(pts[:, 0], pts[:, 1], pen=pen)

    def _build_blocks(self, spec: NetworkSpec, palette: QPalette) -> None:
        """One box per layer, its height growing with log(units); arrows between boxes."""
        text = palette.color(QPalette.ColorRole.Text)
        fill = QColor(palette.color(QPalette.ColorRole.AlternateBase))
        edge = QColor(text)
        edge.setAlpha(160)
        width, gap = 2.4, 1.2
        heights = [1.6 + 0.9 * math.log10(n) for n in spec.sizes]
        self._xs = [i * (width + gap) for i in range(len(spec.sizes))]
        for l, (x, h) in enumerate(zip(self._xs, heights, strict=True)):
            box = QGraphicsRectItem(QRectF(x, -h / 2.0, width, h))
            box.setPen(pg.mkPen(edge, width=1.5))
            box.setBrush(pg.mkBrush(fill))
            self.view.addItem(box)
            label = _caption(self._layer_caption(spec, l), text, anchor=(0.5, 0.5))
            label.setPos(x + width / 2.0, 0.0)
            self.view.addItem(label)
            if l:
                arrow_x0 = self._xs[l - 1] + width
                line = pg.PlotCurveItem([arrow_x0 + 0.1, x - 0.15], [0.0, 0.0], pen=pg.mkPen(edge, width=1.5))
                self.view.addItem(line)
                head = pg.ArrowItem(pos=(x - 0.1, 0.0), angle=180, headLen=9, tipAngle=35,
                                    pen=pg.mkPen(edge), brush=pg.mkBrush(edge))
                self.view.addItem(head)
        tallest = max(heights)
        self._extent = (0.0, self._xs[-1] + width, -tallest / 2.0, tallest / 2.0)
        self._margins = (8, 8, 8, 8)
        self._fit()

    def _fit(self) -> None:
        """Show the drawing as large as the view allows, with equal scales on x and y."""
        x0, x1, y0, y1 = self._extent
        left, right, top, bottom = self._margins
        w, h = max(self.view.width(), 1.0), max(self.view.height(), 1.0)
        if self.mode == "neurons" and self._dx is not None and len(self._xs) > 1:
            # spread the columns over the width the height leaves (captions need room side by side)
            tall = max((h - top - bottom) / (y1 - y0), 1e-3)
            lo, hi = self._dx_range
            want = min(max(((w - left - right) / tall - 1.0) / (len(self._xs) - 1), lo), hi)
            if abs(want - self._dx) > 0.03 * self._dx:
                self._dx = want
                self._rebuild()
                return
        scale = max(min((w - left - right) / (x1 - x0), (h - top - bottom) / (y1 - y0)), 1e-3)  # px/unit
        spare_x = w / scale - (x1 - x0) - (left + right) / scale
        spare_y = h / scale - (y1 - y0) - (top + bottom) / scale
        xmin = x0 - left / scale - spare_x / 2.0
        ymin = y0 - bottom / scale - spare_y / 2.0
        self.view.setRange(xRange=(xmin, xmin + w / scale), yRange=(ymin, ymin + h / scale), padding=0)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "view"):
            self._rebuild()
