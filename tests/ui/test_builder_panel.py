"""BuilderPanel: every edit emits the right NetworkSpec, undo / redo restore each step, invalid edits
are refused with a message, the schematic draws neurons or blocks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from gradviz.core.data.session import DataSettings
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.ui.builder.builder_panel import BuilderPanel

CLICK = Qt.MouseButton.LeftButton


def small_spec(**changes) -> NetworkSpec:
    layers = [LayerSpec(4, "relu"), LayerSpec(6, "tanh"), LayerSpec(3, "linear")]
    return NetworkSpec(**{"input_dim": 2, "layers": layers, "l2": 0.01, "seed": 7, **changes})


@pytest.fixture
def panel(qtbot):
    widget = BuilderPanel(small_spec(), DataSettings("spiral", m=60))
    qtbot.addWidget(widget)
    widget.resize(480, 640)
    widget.show()
    return widget


def layers_of(spec: NetworkSpec) -> list[tuple[int, str]]:
    return [(layer.units, layer.activation) for layer in spec.layers]


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_edits_emit_the_spec_and_undo_redo_restore_each_step(qtbot, panel):
    history = [panel.spec()]
    emitted = []
    panel.spec_changed.connect(emitted.append)

    panel.layerTable.setCurrentCell(0, 0)
    qtbot.mouseClick(panel.addLayerButton, CLICK)  # a copy of hidden 1, inserted below it
    assert layers_of(emitted[-1]) == [(4, "relu"), (4, "relu"), (6, "tanh"), (3, "linear")]
    assert panel.layerTable.currentRow() == 1
    history.append(emitted[-1])

    type_into(qtbot, panel.layerTable.rows[1].units, "9")
    assert layers_of(emitted[-1])[1] == (9, "relu")
    history.append(emitted[-1])

    choose(panel.layerTable.rows[1].activation, "leaky_relu")
    assert layers_of(emitted[-1])[1] == (9, "leaky_relu")
    history.append(emitted[-1])

    panel.layerTable.setCurrentCell(2, 0)
    qtbot.mouseClick(panel.moveUpButton, CLICK)
    assert layers_of(emitted[-1]) == [(4, "relu"), (6, "tanh"), (9, "leaky_relu"), (3, "linear")]
    assert panel.layerTable.currentRow() == 1
    history.append(emitted[-1])

    qtbot.mouseClick(panel.moveDownButton, CLICK)
    assert layers_of(emitted[-1]) == [(4, "relu"), (9, "leaky_relu"), (6, "tanh"), (3, "linear")]
    history.append(emitted[-1])

    panel.layerTable.setCurrentCell(0, 0)
    qtbot.mouseClick(panel.removeLayerButton, CLICK)
    assert layers_of(emitted[-1]) == [(9, "leaky_relu"), (6, "tanh"), (3, "linear")]
    history.append(emitted[-1])

    assert len(emitted) == 6
    for spec in emitted:  # fields the builder does not edit pass through
        assert (spec.l2, spec.seed, spec.input_dim) == (0.01, 7, 2)
    assert panel.undo_stack.count() == 6

    for expected in reversed(history[:-1]):
        with qtbot.waitSignal(panel.spec_changed) as undone:
            panel.undo_stack.undo()
        assert undone.args[0] == expected
        assert panel.spec() == expected
    assert [row.units.value() for row in panel.layerTable.rows] == [4, 6, 3]
    for expected in history[1:]:
        with qtbot.waitSignal(panel.spec_changed) as redone:
            panel.undo_stack.redo()
        assert redone.args[0] == expected
    assert [row.units.value() for row in panel.layerTable.rows] == [9, 6, 3]
    assert panel.layerTable.rows[0].activation.currentData() == "leaky_relu"


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda p: choose(p.layerTable.rows[2].activation, "relu"), "linear"),  # softmax reads raw scores
        (lambda p: p.layerTable.rows[2].units.setValue(1), "2 output units"),
        (lambda p: (p.layerTable.setCurrentCell(2, 0), p.moveUpButton.click()), "linear"),
    ],
)
def test_invalid_edit_shows_a_message_and_emits_nothing(qtbot, panel, edit, words):
    before = panel.spec()
    with qtbot.assertNotEmitted(panel.spec_changed):
        edit(panel)
    assert panel.builderMessage.isVisible()
    assert words in panel.builderMessage.text()
    assert panel.builderMessage.text().startswith("Not applied")
    assert panel.spec() == before
    assert panel.layerTable.rows[2].activation.currentData() == "linear"  # the editor shows the spec again
    assert panel.layerTable.rows[2].units.value() == 3
    assert panel.undo_stack.count() == 0


def test_the_last_layer_cannot_be_removed(qtbot):
    panel = BuilderPanel(NetworkSpec(2, [LayerSpec(3, "linear")]), DataSettings())
    qtbot.addWidget(panel)
    assert not panel.removeLayerButton.isEnabled()
    with qtbot.assertNotEmitted(panel.spec_changed):
        panel._on_remove_layer()
    assert "at least one layer" in panel.builderMessage.text()
    assert len(panel.spec().layers) == 1


def test_loss_change_fixes_the_output_layer_in_one_undoable_step(qtbot, panel):
    with qtbot.waitSignal(panel.spec_changed) as changed:
        choose(panel.lossCombo, "bce")
    spec = changed.args[0]
    assert spec.loss == "bce"
    assert layers_of(spec)[-1] == (1, "sigmoid")
    assert "1 sigmoid unit" in panel.builderMessage.text()
    assert panel.undo_stack.count() == 1
    panel.undo_stack.undo()
    assert panel.spec().loss == "softmax_ce"
    assert layers_of(panel.spec())[-1] == (3, "linear")
    assert panel.lossCombo.currentData() == "softmax_ce"
    choose(panel.lossCombo, "svm")  # already linear with 3 classes: nothing to fix
    assert layers_of(panel.spec())[-1] == (3, "linear")


def test_set_spec_replaces_the_content_and_clears_undo(qtbot, panel):
    choose(panel.layerTable.rows[0].activation, "tanh")
    assert panel.undo_stack.count() == 1
    new = NetworkSpec(2, [LayerSpec(5, "sigmoid"), LayerSpec(2, "linear")], loss="svm", init="xavier")
    with qtbot.assertNotEmitted(panel.spec_changed):
        panel.set_spec(new)
    assert panel.undo_stack.count() == 0
    assert panel.spec() == new
    assert panel.layerTable.rowCount() == 2
    assert panel.lossCombo.currentData() == "svm"
    assert panel.initCombo.currentData() == "xavier"
    assert not panel.builderMessage.isVisible()


def test_dataset_changes_adjust_the_network(qtbot, panel, tmp_path):
    data_seen, specs = [], []
    panel.data_changed.connect(data_seen.append)
    panel.spec_changed.connect(specs.append)
    choose(panel.dataControls.datasetCombo, "circles")  # 2 classes
    assert data_seen[-1].dataset == "circles"
    assert data_seen[-1].m == 60  # other data settings pass through
    assert layers_of(specs[-1])[-1] == (2, "linear")
    assert panel.undo_stack.count() == 1

    choose(panel.dataControls.datasetCombo, "blobs")  # blobs: any input size
    assert panel.inputDimInput.isEnabled()
    type_into(qtbot, panel.inputDimInput, "5")
    assert specs[-1].input_dim == 5

    path = tmp_path / "four.csv"
    rows = np.column_stack([np.arange(24).reshape(8, 3), np.arange(8) % 4])
    np.savetxt(path, rows, delimiter=",", fmt="%g")
    panel.dataControls.ask_data_path = lambda: str(path)
    choose(panel.dataControls.datasetCombo, "choose")
    assert data_seen[-1].path == str(path)
    assert specs[-1].input_dim == 3
    assert layers_of(specs[-1])[-1] == (4, "linear")
    assert panel.dataControls.datasetCombo.currentText() == "File: four.csv"
    assert not panel.inputDimInput.isEnabled()

    panel.dataControls.ask_data_path = lambda: str(tmp_path / "missing.csv")
    with qtbot.assertNotEmitted(panel.data_changed):
        choose(panel.dataControls.datasetCombo, "choose")
    assert "no such file" in panel.builderMessage.text()
    assert panel.dataControls.datasetCombo.currentData() == "file"

    panel.undo_stack.undo()  # back to blobs with 5 inputs
    assert data_seen[-1].path is None
    assert panel.spec().input_dim == 5


def test_schematic_draws_neurons_or_blocks(qtbot):
    panel = BuilderPanel(NetworkSpec(2, [LayerSpec(4, "relu"), LayerSpec(3, "linear")]),
                         DataSettings("blobs"))
    qtbot.addWidget(panel)
    schematic = panel.schematic
    assert schematic.objectName() == "networkSchematic"
    assert schematic.mode == "neurons"
    assert schematic.neuron_count() == 2 + 4 + 3
    assert schematic.edge_count() == 2 * 4 + 4 * 3
    assert schematic.edge_count(0) == 20  # no parameters yet: plain edges

    params = {"W1": np.ones((4, 2)), "b1": np.zeros((4, 1)), "W2": -np.ones((3, 4)), "b2": np.zeros((3, 1))}
    params["W1"][0, 0] = -0.5
    panel.set_params(params)
    assert schematic.edge_count(1) == 7
    assert schematic.edge_count(-1) == 1 + 12

    type_into(qtbot, panel.inputDimInput, "784")
    assert panel.spec().input_dim == 784
    assert schematic.mode == "blocks"
    assert schematic.neuron_count() == 0
    assert "784 → 4 → 3" in schematic.summary.text()
    panel.set_params(params)  # shapes no longer fit: ignored, not an error
    assert schematic.edge_count() == 0


def test_ctrl_z_undoes_when_standalone_only(qtbot, panel):
    choose(panel.layerTable.rows[0].activation, "tanh")
    with qtbot.waitActive(panel):
        panel.activateWindow()
    panel.lossCombo.setFocus()
    qtbot.waitUntil(panel.lossCombo.hasFocus)
    qtbot.keyClick(panel.lossCombo, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.spec().layers[0].activation == "relu"
    qtbot.keyClick(panel.lossCombo, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert panel.spec().layers[0].activation == "tanh"

    host = QWidget()
    qtbot.addWidget(host)
    embedded = BuilderPanel(small_spec(), DataSettings(), parent=host)
    assert not embedded.undoAction.isEnabled()  # inside a window, the Edit menu owns Ctrl+Z
    assert panel.undoAction.isEnabled()
