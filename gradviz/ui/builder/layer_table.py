"""The builder's table of layers: one row per layer with editors for units, activation, keep_prob
and init. The table shows layers and reports edits; the builder decides whether they apply."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QWidget,
)
from superqt.utils import signals_blocked

from gradviz.core.model.spec import ACTIVATIONS, INITS, MAX_UNITS, LayerSpec
from gradviz.ui.common.fields import FloatField, IntField, NumberRange

COLUMNS = ("Units", "Activation", "Keep prob", "Init")
#: rows shown before the table scrolls
VISIBLE_ROWS = 6


class _LayerRow:
    """The editors of one table row."""

    def __init__(self) -> None:
        self.units = IntField(NumberRange("Units", 1, MAX_UNITS, integer=True))
        self.units.setToolTip("Neurons in this layer")
        self.activation = QComboBox()
        for name in ACTIVATIONS:
            self.activation.addItem(name, name)
        self.keep = FloatField(NumberRange("keep_prob", 0.05, 1.0))
        self.keep.setSingleStep(0.05)
        self.keep.setDecimals(2)
        self.init = QComboBox()
        self.init.addItem("default", None)
        for name in INITS:
            self.init.addItem(name, name)
        self.init.setToolTip("How this layer's W is drawn (default: the network's Init above)")

    @property
    def widgets(self) -> tuple[QWidget, ...]:
        return self.units, self.activation, self.keep, self.init


class LayerTable(QTableWidget):
    """Shows layers (``show_layers``); edited(row, field, value) when the user changes an editor,
    field being "units", "activation", "keep_prob" or "init". Focusing an editor selects its row."""

    edited = Signal(int, str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("layerTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for column in range(len(COLUMNS)):
            self.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.rows: list[_LayerRow] = []

    def row_name(self, index: int) -> str:
        return self.verticalHeaderItem(index).text()

    def show_layers(self, layers: tuple[LayerSpec, ...]) -> None:
        """Make the editors show ``layers`` (without emitting ``edited``)."""
        current = self.currentRow()
        while len(self.rows) < len(layers):
            self._add_row()
        while len(self.rows) > len(layers):
            self.rows.pop()
            self.removeRow(self.rowCount() - 1)
        last = len(layers) - 1
        self.setVerticalHeaderLabels([f"hidden {i + 1}" for i in range(last)] + ["output"])
        for i, (row, layer) in enumerate(zip(self.rows, layers, strict=True)):
            with signals_blocked(*row.widgets):
                row.units.setValue(layer.units)
                row.activation.setCurrentIndex(ACTIVATIONS.index(layer.activation))
                row.keep.setValue(layer.keep_prob)
                row.keep.setEnabled(i != last)
                row.keep.setToolTip("Dropout is for hidden layers; the output keeps every unit" if i == last
                                    else "Dropout keep probability (1 = no dropout)")
                row.init.setCurrentIndex(row.init.findData(layer.init))
        if current >= len(layers):
            self.setCurrentCell(len(layers) - 1, 0)
        # as tall as its rows (up to VISIBLE_ROWS, then it scrolls)
        shown = min(len(layers), VISIBLE_ROWS)
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
                            + sum(self.rowHeight(i) for i in range(shown)))

    def _add_row(self) -> None:
        row = _LayerRow()
        index = self.rowCount()
        self.insertRow(index)
        for column, widget in enumerate(row.widgets):
            self.setCellWidget(index, column, widget)
            widget.installEventFilter(self)
        self.setRowHeight(index, max(row.units.sizeHint().height(), row.init.sizeHint().height()) + 4)
        report = self._report
        row.units.valueChanged.connect(lambda v: report(row, "units", v))
        row.activation.currentIndexChanged.connect(
            lambda _i: report(row, "activation", row.activation.currentData()))
        row.keep.valueChanged.connect(lambda v: report(row, "keep_prob", round(v, 2)))
        row.init.currentIndexChanged.connect(lambda _i: report(row, "init", row.init.currentData()))
        self.rows.append(row)

    def _report(self, row: _LayerRow, field: str, value) -> None:
        self.edited.emit(self.rows.index(row), field, value)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            for i, row in enumerate(self.rows):
                if watched in row.widgets:
                    self.setCurrentCell(i, row.widgets.index(watched))
                    break
        return super().eventFilter(watched, event)
