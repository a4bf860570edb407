"""The builder keeps networks within the machine: unit spin boxes stop at MAX_UNITS, the parameter
count turns red as the network grows heavy, and an edit the memory cannot hold is refused in words
(typing 20000 units into two layers no longer freezes the window)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gradviz.core.data.session import DataSettings
from gradviz.core.model import memory
from gradviz.core.model.spec import MAX_UNITS, LayerSpec, NetworkSpec
from gradviz.ui.builder import builder_panel, layer_commands
from gradviz.ui.builder.builder_panel import BuilderPanel

AVAILABLE = 7_100_000_000


@pytest.fixture
def panel(qtbot, monkeypatch):
    for module in (memory, builder_panel, layer_commands):
        if hasattr(module, "available_memory"):
            monkeypatch.setattr(module, "available_memory", lambda: AVAILABLE)
    spec = NetworkSpec(2, [LayerSpec(8, "tanh"), LayerSpec(8, "tanh"), LayerSpec(3, "linear")])
    widget = BuilderPanel(spec, DataSettings("blobs", m=60))
    qtbot.addWidget(widget)
    widget.resize(480, 640)
    widget.show()
    return widget


def units_spin(panel, row):
    return panel.layerTable.cellWidget(row, 0)


def type_units(qtbot, panel, row, value):
    spin = units_spin(panel, row)
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(value))
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_unit_spin_boxes_stop_at_the_engine_limit(panel):
    assert units_spin(panel, 0).maximum() == MAX_UNITS


def test_a_heavy_network_turns_the_count_red_and_a_huge_one_is_refused(qtbot, panel):
    label = panel.schematic.summary
    assert not label.property("heavy")
    assert "is available" in label.toolTip()
    type_units(qtbot, panel, 0, 5_000)
    type_units(qtbot, panel, 1, 5_000)  # 2.5·10^7 weights: about 2.7 GB with a check and training
    assert panel.spec().layers[1].units == 5_000
    assert label.property("heavy")
    panel.inputDimInput.setValue(10_000)  # 5·10^7 more weights: past what 7.1 GB allows
    message = panel.builderMessage.text()
    assert message.startswith("Not applied: This network needs")
    assert "GB; 7.1 GB is available" in message
    assert panel.spec().input_dim == 2
    panel.undo_stack.undo()
    assert panel.spec().layers[1].units == 8
    assert not label.property("heavy")
