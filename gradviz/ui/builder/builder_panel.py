"""The network builder: input size, data set, loss, default init, a table of layers, and a
schematic of the network. Every edit is an undoable command; an edit that would make a network
that cannot be trained is refused with a message instead."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from gradviz.core.data.datasets import load_dataset
from gradviz.core.data.session import DataSettings
from gradviz.core.model.memory import USABLE_SHARE, available_memory, format_bytes
from gradviz.core.model.spec import INITS, LOSSES, MAX_INPUT_DIM, LayerSpec, NetworkSpec
from gradviz.ui.builder.data_controls import DataControls
from gradviz.ui.builder.layer_commands import (
    TWO_D,
    BuilderState,
    EditCommand,
    output_fix,
    with_data_file,
    with_dataset,
)
from gradviz.ui.builder.layer_table import LayerTable
from gradviz.ui.builder.network_schematic import NetworkSchematic
from gradviz.ui.common.fields import FloatField, IntField, NumberRange

LOSS_LABELS = {
    "softmax_ce": "Softmax cross-entropy",
    "svm": "Multiclass SVM (hinge)",
    "bce": "Binary cross-entropy (sigmoid)",
    "mse": "Mean squared error",
}
INIT_LABELS = {
    "he": "He: √(2/n_in)",
    "xavier": "Xavier: √(1/n_in)",
    "glorot": "Glorot: √(2/(n_in+n_out))",
    "small": "Small: 0.01",
    "zeros": "Zeros",
}
INIT_GAIN = NumberRange("The init gain", 0.01, 100.0)


#: share of the usable memory past which the parameter count turns red
BUDGET_WARNING = 0.25


class BuilderPanel(QWidget):
    """Edits a NetworkSpec and its DataSettings.

    spec_changed(NetworkSpec) after every edit, undo and redo that changes the network (l2, l1,
    dtype and seed pass through from the last set_spec); data_changed(DataSettings) likewise for the
    data. ``undo_stack`` (given, to share it with the rest of a window, or the panel's own) holds
    the edits; set_spec / set_data_settings replace the content, clear the stack and emit nothing.
    """

    spec_changed = Signal(object)
    data_changed = Signal(object)

    def __init__(self, spec: NetworkSpec, data: DataSettings, parent: QWidget | None = None,
                 undo_stack: QUndoStack | None = None) -> None:
        super().__init__(parent)
        self._base = spec
        self._state = BuilderState.of(spec, data)
        self._note = ""  # the sentence to show once the pending edit is applied
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self._build()
        self._show_widgets(self._state)
        self._show_spec()

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.inputDimInput = IntField(NumberRange("Input size", 1, MAX_INPUT_DIM, integer=True),
                                      "inputDimInput")
        self.inputDimInput.valueChanged.connect(self._on_input_dim)
        self.lossCombo = QComboBox()
        self.lossCombo.setObjectName("lossCombo")
        for name in LOSSES:
            self.lossCombo.addItem(LOSS_LABELS[name], name)
        self.lossCombo.currentIndexChanged.connect(self._on_loss)
        self.initCombo = QComboBox()
        self.initCombo.setObjectName("initCombo")
        for name in INITS:
            self.initCombo.addItem(INIT_LABELS[name], name)
        self.initCombo.setToolTip("How W is drawn for every layer whose Init is 'network default'")
        self.initCombo.currentIndexChanged.connect(self._on_init)
        self.initGainInput = FloatField(INIT_GAIN, "initGainInput")
        self.initGainInput.setSingleStep(0.1)
        self.initGainInput.setPrefix("× ")
        self.initGainInput.setToolTip("Init gain: multiplies the standard deviation of every layer's "
                                      "init (1: as named; below 1 signals shrink with depth, above 1 "
                                      "they grow)")
        self.initGainInput.valueChanged.connect(self._on_init_gain)
        self.dataControls = DataControls()
        self.dataControls.dataset_chosen.connect(self._on_dataset)
        self.dataControls.file_chosen.connect(self._on_file)
        self.dataControls.edited.connect(self._on_data_field)
        init = QHBoxLayout()
        init.addWidget(self.initCombo, 1)
        init.addWidget(self.initGainInput)
        form = QFormLayout()
        form.addRow("Input size", self.inputDimInput)
        form.addRow(self.dataControls)
        form.addRow("Loss", self.lossCombo)
        form.addRow("Init", init)

        self.layerTable = LayerTable()
        self.layerTable.edited.connect(self._on_layer_field)
        self.layerTable.currentCellChanged.connect(lambda *_: self._sync_buttons())

        style = self.style()
        self.addLayerButton = QPushButton("Add layer")
        self.addLayerButton.setToolTip("Insert a hidden layer below the selected one (or before the output)")
        self.removeLayerButton = QPushButton("Remove")
        self.removeLayerButton.setToolTip("Remove the selected layer")
        self.moveUpButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp), "Up")
        self.moveDownButton = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Down")
        buttons = QHBoxLayout()
        for name, button, slot in (
            ("addLayerButton", self.addLayerButton, self._on_add_layer),
            ("removeLayerButton", self.removeLayerButton, self._on_remove_layer),
            ("moveUpButton", self.moveUpButton, lambda: self._on_move(-1)),
            ("moveDownButton", self.moveDownButton, lambda: self._on_move(1)),
        ):
            button.setObjectName(name)
            button.clicked.connect(slot)
            buttons.addWidget(button)

        self.builderMessage = QLabel()
        self.builderMessage.setObjectName("builderMessage")
        self.builderMessage.setWordWrap(True)
        self.builderMessage.setVisible(False)

        editor = QWidget()
        column = QVBoxLayout(editor)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(self.layerTable)
        column.addLayout(buttons)
        column.addWidget(self.builderMessage)
        column.addStretch(1)
        self.schematic = NetworkSchematic()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(editor)
        splitter.addWidget(self.schematic)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        # Ctrl+Z / Ctrl+Shift+Z for the panel on its own; inside a window the Edit menu has them
        self.undoAction = QAction("Undo", self)
        self.undoAction.setShortcut(QKeySequence("Ctrl+Z"))
        self.undoAction.triggered.connect(self.undo_stack.undo)
        self.redoAction = QAction("Redo", self)
        self.redoAction.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        self.redoAction.triggered.connect(self.undo_stack.redo)
        for action in (self.undoAction, self.redoAction):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self._sync_standalone()

    # -- public API ------------------------------------------------------------------------------
    def spec(self) -> NetworkSpec:
        return self._state.spec(self._base)

    def set_spec(self, spec: NetworkSpec) -> None:
        """Show ``spec``; clears the undo stack; emits nothing."""
        self._base = spec
        self._replace(BuilderState.of(spec, self._state.data))

    def data_settings(self) -> DataSettings:
        return replace(self._state.data)

    def set_data_settings(self, data: DataSettings) -> None:
        """Show ``data``; clears the undo stack; emits nothing."""
        self._replace(replace(self._state, data=replace(data)))

    def set_params(self, params) -> None:
        """Colour the schematic's edges by these weights ({"W1": (n1, n0), ...}) or None."""
        self.schematic.set_params(params)

    # -- applying states -------------------------------------------------------------------------
    def _replace(self, state: BuilderState) -> None:
        self.undo_stack.clear()
        self._state = state
        self._show_message("")
        self._show_widgets(state)
        self._show_spec()

    def _edit(self, after: BuilderState, text: str, note: str = "") -> bool:
        """Push the edit, or refuse it with a message; returns whether it was applied."""
        problem = after.problem(self._base)
        if problem is not None:
            self._show_message(f"Not applied: {problem}", error=True)
            self._show_widgets(self._state)  # put back what the user changed
            return False
        self._note = note
        self.undo_stack.push(EditCommand(self._apply, self._state, after, text))
        return True

    def _apply(self, state: BuilderState) -> None:
        """Show ``state`` (called by the undo commands) and announce what changed."""
        before, self._state = self._state, state
        self._show_message(self._note)
        self._note = ""
        self._show_widgets(state)
        spec = self.spec()
        network_changed = before.network() != state.network()
        if network_changed:
            self._show_spec()
            self.spec_changed.emit(spec)
        if before.data != state.data:
            self.data_changed.emit(replace(state.data))

    def _show_widgets(self, state: BuilderState) -> None:
        """Make every editor show ``state`` (without emitting edits)."""
        editors = [self.inputDimInput, self.lossCombo, self.initCombo, self.initGainInput]
        with signals_blocked(*editors):
            self.inputDimInput.setValue(state.input_dim)
            fixed_size = bool(state.data.path) or state.data.dataset in TWO_D
            self.inputDimInput.setEnabled(not fixed_size)
            self.inputDimInput.setToolTip(
                "Set by the data file" if state.data.path else
                f"The {state.data.dataset} data is 2-D; choose blobs for other sizes" if fixed_size else
                "Features per example (n[0])")
            self.lossCombo.setCurrentIndex(LOSSES.index(state.loss))
            self.initCombo.setCurrentIndex(INITS.index(state.init))
            self.initGainInput.setValue(state.init_gain)
        self.dataControls.show_settings(state.data)
        self.layerTable.show_layers(state.layers)
        self._sync_buttons()

    # -- edits -----------------------------------------------------------------------------------
    def _on_input_dim(self, value: int) -> None:
        self._edit(replace(self._state, input_dim=value), f"Input size {value}")

    def _on_loss(self, index: int) -> None:
        loss = self.lossCombo.itemData(index)
        if loss == self._state.loss:
            return
        after, note = output_fix(replace(self._state, loss=loss))
        self._edit(after, f"Loss {loss}", note)

    def _on_init(self, index: int) -> None:
        init = self.initCombo.itemData(index)
        if init != self._state.init:
            self._edit(replace(self._state, init=init), f"Init {init}")

    def _on_init_gain(self, value: float) -> None:
        if value != self._state.init_gain:
            self._edit(replace(self._state, init_gain=value), f"Init gain {value:g}")

    def _on_data_field(self, field: str, value) -> None:
        if getattr(self._state.data, field) == value:
            return
        try:
            data = replace(self._state.data, **{field: value})
        except ValueError as exc:
            self._show_message(f"Not applied: {exc}.", error=True)
            self._show_widgets(self._state)
            return
        self._edit(replace(self._state, data=data), f"Data: {field} {value:g}"
                   if isinstance(value, float) else f"Data: {field} {value}")

    def _on_dataset(self, key: str) -> None:
        after, note = with_dataset(self._state, key)
        self._edit(after, f"Data {key}", note)

    def _on_file(self, path: str) -> None:
        """Train on a .csv/.npz file: the input size and the classes follow the file."""
        try:
            after, note = with_data_file(self._state, path, load_dataset(path))
        except ValueError as exc:
            self._show_message(f"Cannot use this file: {exc}", error=True)
            self._show_widgets(self._state)
            return
        self._edit(after, f"Data {Path(path).name}", note)

    def _on_layer_field(self, index: int, field: str, value) -> None:
        if getattr(self._state.layers[index], field) == value:
            return
        name = self.layerTable.row_name(index)
        self._edit(self._state.with_layer(index, **{field: value}), f"{name}: {field} {value}")

    def _on_add_layer(self) -> None:
        layers = self._state.layers
        row = self.layerTable.currentRow()
        index = row + 1 if 0 <= row < len(layers) - 1 else len(layers) - 1
        neighbour = layers[index - 1] if index >= 1 else None
        new = LayerSpec(neighbour.units, neighbour.activation) if neighbour else LayerSpec(8, "relu")
        after = replace(self._state, layers=(*layers[:index], new, *layers[index:]))
        if self._edit(after, "Add layer"):
            self.layerTable.setCurrentCell(index, 0)

    def _on_remove_layer(self) -> None:
        layers = self._state.layers
        if len(layers) == 1:
            self._show_message("The network needs at least one layer: the output layer.", error=True)
            return
        row = self.layerTable.currentRow()
        index = row if 0 <= row < len(layers) else len(layers) - 2
        after = replace(self._state, layers=layers[:index] + layers[index + 1:])
        if self._edit(after, "Remove layer"):
            self.layerTable.setCurrentCell(min(index, len(layers) - 2), 0)

    def _on_move(self, step: int) -> None:
        layers = list(self._state.layers)
        index = self.layerTable.currentRow()
        target = index + step
        if not (0 <= index < len(layers) and 0 <= target < len(layers)):
            return
        layers[index], layers[target] = layers[target], layers[index]
        text = "Move layer " + ("up" if step < 0 else "down")
        if self._edit(replace(self._state, layers=tuple(layers)), text):
            self.layerTable.setCurrentCell(target, 0)

    # -- feedback --------------------------------------------------------------------------------
    def _show_spec(self) -> None:
        """Draw the spec; its parameter count turns red once the network needs more than
        BUDGET_WARNING of the memory gradviz may use (edits past all of it are refused)."""
        spec = self.spec()
        self.schematic.set_spec(spec)
        needed, available = self._state.memory_needed(spec), available_memory()
        heavy = available is not None and needed > BUDGET_WARNING * USABLE_SHARE * available
        label = self.schematic.summary
        label.setProperty("heavy", heavy)
        label.setStyleSheet("QLabel { color: #D55E00; font-weight: bold; }" if heavy else "")
        room = "" if available is None else f"; {format_bytes(available)} is available"
        label.setToolTip(f"This network and a check on it need about {format_bytes(needed)}{room}")

    def _show_message(self, text: str, error: bool = False) -> None:
        label = self.builderMessage
        label.setText(text)
        label.setProperty("error", error)
        colour = "#D55E00" if error else "#0072B2"
        label.setStyleSheet(f"QLabel {{ border-style: solid; border-color: {colour}; "
                            "border-width: 0px 0px 0px 4px; padding: 3px 6px; }")
        label.setVisible(bool(text))

    def _sync_buttons(self) -> None:
        n = len(self._state.layers)
        row = self.layerTable.currentRow()
        self.removeLayerButton.setEnabled(n > 1)
        self.moveUpButton.setEnabled(0 < row < n)
        self.moveDownButton.setEnabled(0 <= row < n - 1)

    def _sync_standalone(self) -> None:
        # in a window the Edit menu's Undo/Redo own these keys: two active shortcuts would clash
        standalone = self.isWindow()
        self.undoAction.setEnabled(standalone)
        self.redoAction.setEnabled(standalone)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ParentChange and hasattr(self, "undoAction"):
            self._sync_standalone()
