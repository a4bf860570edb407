"""Sealing a bug for the classroom quiz: the catalogue's bugs in words, which of them a default
check shows on a network, and the dialog the teacher seals one with.

The dialog is rebuilt for every seal and forgets the choice before it closes, so the sealed bug
is shown nowhere; it reaches the network only through the ``on_choice`` callback.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.spec import NetworkSpec

PLACEHOLDER = "— choose a bug —"
NO_NETWORK = "There is no network to plant a bug in: fix the network or its data first."


def plain_kind(kind: str) -> str:
    """The catalogue's sentence for a kind of bug, for any layer ("dW of the layer is doubled")."""
    return BUG_KINDS[kind].replace(" (the layer number is ignored)", "")


def describe_bug(bug: Bug) -> str:
    """The catalogue's sentence with the layer filled in."""
    text = plain_kind(bug.kind) if bug.kind in BUG_KINDS else bug.kind
    if bug.kind == "dscores_sign":
        return text
    layer = f"layer {bug.layer}"
    return (text.replace("the layer's", f"{layer}'s").replace("of the layer", f"of {layer}")
            .replace("at the layer", f"at {layer}").replace("through the layer", f"through {layer}")
            .replace("of a square layer", f"of {layer} (square)"))


def hidden_reason(spec: NetworkSpec, kind: str, layer: int) -> str | None:
    """Why a default check (dropout off) would not show this bug on ``spec``; None if it shows."""
    sizes = spec.sizes
    n_layers = len(spec.layers)
    if not 1 <= layer <= n_layers:
        return f"this network has layers 1 to {n_layers}"
    units = spec.layers[layer - 1].units
    if kind == "dW_no_reg" and not (spec.l2 or spec.l1):
        return "it needs regularization: set L2 above 0"
    if kind.startswith("dropout_") and (layer == n_layers or spec.layers[layer - 1].keep_prob >= 1):
        return "it needs dropout (keep_prob < 1) at this layer and a check with dropout frozen"
    if kind == "dW_transposed" and units != sizes[layer - 1]:
        return f"it needs a square W{layer} (as many units as inputs)"
    if kind == "db_wrong_axis" and units == 1:
        return "with a single unit, summing over units changes nothing"
    return None


def bug_choices(spec: NetworkSpec) -> list[Bug]:
    """Every bug a default check would show on ``spec`` (dscores_sign once, at the last layer)."""
    n_layers = len(spec.layers)
    choices = []
    for kind in BUG_KINDS:
        layers = [n_layers] if kind == "dscores_sign" else range(1, n_layers + 1)
        choices += [Bug(kind, l) for l in layers if hidden_reason(spec, kind, l) is None]
    return choices


class SealBugDialog(QDialog):
    """Pick a bug kind and layer. ``on_choice(kind, layer)`` is called on OK; a ValueError from
    it is shown and the dialog stays open. The choice is cleared before the dialog closes."""

    def __init__(self, spec: NetworkSpec, on_choice: Callable[[str, int], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sealBugDialog")
        self.setWindowTitle("Seal a bug")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._spec, self._on_choice = spec, on_choice
        self.kind_combo = QComboBox(objectName="sealKindCombo")
        self.kind_combo.addItem(PLACEHOLDER, None)
        for kind in BUG_KINDS:
            self.kind_combo.addItem(kind, kind)
        self.layer_spin = QSpinBox(objectName="sealLayerSpin")
        self.layer_spin.setRange(1, len(spec.layers))
        self.description = QLabel(objectName="sealDescription")
        self.description.setWordWrap(True)
        self.error = QLabel(objectName="sealError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Seal")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.kind_combo.currentIndexChanged.connect(self._update)
        self.layer_spin.valueChanged.connect(self._update)

        hint = QLabel("Turn the screen away from the class: the choice is hidden once sealed.")
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Bug", self.kind_combo)
        form.addRow("Layer", self.layer_spin)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.description)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self._update()

    def choose(self, kind: str, layer: int) -> None:
        """Set the choice (what a user does with the combo box and spin box)."""
        index = self.kind_combo.findData(kind)
        if index < 0:
            raise ValueError(f"kind must be one of {', '.join(BUG_KINDS)}; got {kind!r}")
        self.kind_combo.setCurrentIndex(index)
        self.layer_spin.setValue(layer)

    def _update(self) -> None:
        kind = self.kind_combo.currentData()
        self.ok_button.setEnabled(kind is not None)
        self.error.clear()
        if kind is None:
            self.description.setText("")
            return
        bug = Bug(kind, self.layer_spin.value())
        reason = hidden_reason(self._spec, bug.kind, bug.layer)
        self.description.setText(describe_bug(bug) + ("" if reason is None else
                                                      f"\n⚠ The check will not show it here: {reason}."))
        self.adjustSize()

    def accept(self) -> None:
        kind = self.kind_combo.currentData()
        if kind is None:
            return
        try:
            self._on_choice(kind, self.layer_spin.value())
        except ValueError as exc:
            self.error.setText(str(exc))
            self.adjustSize()
            return
        self._clear()
        super().accept()

    def reject(self) -> None:
        self._clear()
        super().reject()

    def _clear(self) -> None:
        self.kind_combo.setCurrentIndex(0)
        self.layer_spin.setValue(1)
        self.description.clear()
