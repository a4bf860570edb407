"""Classroom mode: the teacher seals a bug into backprop without the class seeing which; the class
runs the check, clicks the block they think is wrong, and the app reveals whether they were right
and what the bug was.

The panel never shows the sealed bug before the reveal: the seal dialog is rebuilt for every seal
and destroyed after it, and the bug reaches the network only through the window's ``apply_bug``
callback (which must not show it either, e.g. in a bug combo box).
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.classroom.explanation_panel import STATUS_COLOURS

PLACEHOLDER = "— choose a bug —"
NO_NETWORK = "There is no network to plant a bug in: fix the network or its data first."


def describe_bug(bug: Bug) -> str:
    """The catalogue's sentence with the layer filled in."""
    text = BUG_KINDS.get(bug.kind, bug.kind)
    if bug.kind == "dscores_sign":
        return text.replace(" (the layer number is ignored)", "")
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


class ClassroomPanel(QWidget):
    """Seal a bug (or a surprise one), let the class guess the block, reveal.

    apply_bug(kind, layer): plants the bug in the window's network (ValueError if it cannot);
    clear_bug(): removes it; spec(): the current NetworkSpec (None: no network). The window
    passes each new check report to ``set_report`` and heatmap clicks to ``guess(block)`` while
    ``guessing`` is True.
    Signals: sealed() after a bug is planted; revealed(correct, message) at the end.
    """

    sealed = Signal()
    revealed = Signal(bool, str)

    def __init__(
        self,
        apply_bug: Callable[[str, int], None],
        spec: Callable[[], NetworkSpec | None],
        clear_bug: Callable[[], None] | None = None,
        *,
        popups: bool = True,
        seed: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("classroomPanel")
        self._apply_bug, self._spec, self._clear_bug = apply_bug, spec, clear_bug
        self._popups = popups
        self._rng = random.Random(seed)
        self._bug: Bug | None = None
        self._report: CheckReport | None = None
        self._revealed = False
        self.dialog: SealBugDialog | None = None
        self.message_box: QMessageBox | None = None

        self.seal_button = QPushButton("Seal a bug…", objectName="sealBugButton")
        self.surprise_button = QPushButton("Surprise me", objectName="surpriseButton")
        self.surprise_button.setToolTip("Plant a random bug that the check will show")
        self.reveal_button = QPushButton("Reveal", objectName="revealButton")
        self.reveal_button.setToolTip("Give up and show the bug")
        self.clear_button = QPushButton("Remove the bug", objectName="clearBugButton")
        self.message = QLabel(objectName="classroomMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        font = self.message.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.message.setFont(font)
        self.seal_button.clicked.connect(self.open_seal_dialog)
        self.surprise_button.clicked.connect(self.surprise)
        self.reveal_button.clicked.connect(self.reveal)
        self.clear_button.clicked.connect(self.clear)

        buttons = QHBoxLayout()
        for button in (self.seal_button, self.surprise_button, self.reveal_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.message, 1)
        self._say("Seal a bug (or let the app pick one), then let the class find it.")
        self._update_buttons()

    # -- state ---------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """A bug is sealed and not yet revealed."""
        return self._bug is not None and not self._revealed

    @property
    def guessing(self) -> bool:
        """A check has run since the seal: clicks on the heatmap are guesses."""
        return self.active and self._report is not None

    # -- sealing -------------------------------------------------------------------------------
    def open_seal_dialog(self) -> SealBugDialog | None:
        """Open the seal dialog (window-modal, returns at once); None without a network."""
        spec = self._spec()
        if spec is None:
            self._say(NO_NETWORK)
            return None
        if self.dialog is not None:
            self.dialog.close()
        dialog = SealBugDialog(spec, self._seal, self.window())
        dialog.destroyed.connect(lambda _=None, d=dialog: self._forget_dialog(d))
        dialog.finished.connect(lambda _result, d=dialog: self._forget_dialog(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: SealBugDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def surprise(self) -> bool:
        """Seal a random bug that the check will show on this network; False if none fits."""
        spec = self._spec()
        if spec is None:
            self._say(NO_NETWORK)
            return False
        choices = bug_choices(spec)
        self._rng.shuffle(choices)
        for bug in choices:
            try:
                self._seal(bug.kind, bug.layer)
            except ValueError:
                continue
            return True
        self._say("No catalogue bug would show on this network.")
        return False

    def _seal(self, kind: str, layer: int) -> None:
        self._apply_bug(kind, layer)  # raises ValueError if the network cannot take it
        self._bug, self._report, self._revealed = Bug(kind, layer), None, False
        self._say("<b>A bug is sealed.</b> Run the gradient check, then click the block "
                  "(W or b of a layer) you think is wrong.")
        self._update_buttons()
        self.sealed.emit()

    # -- guessing ------------------------------------------------------------------------------
    def set_report(self, report: CheckReport) -> None:
        """A check finished; after a seal, it is the one the class guesses from."""
        if not self.active:
            return
        self._report = report
        self._say("<b>Checked.</b> Which block is wrong? Click it on the heatmap.")
        self._update_buttons()

    def guess(self, block: str) -> bool | None:
        """The class's guess: right if ``block`` is among the failing blocks of the check run
        since the seal. Returns None (and says why) when there is nothing to guess yet."""
        if not self.active:
            return None
        if self._report is None:
            self._say("Run the check first, then click the block you suspect.")
            return None
        failing = self._report.failing_blocks()
        correct = block in failing
        head = f"Right: {html.escape(block)} is wrong." if correct else f"Not {html.escape(block)}."
        self._finish(correct, head)
        return correct

    def reveal(self) -> None:
        """Show the sealed bug without a guess."""
        if self.active:
            self._finish(False, "Revealed.")

    def _finish(self, correct: bool, head: str) -> None:
        bug = self._bug
        failing = self._report.failing_blocks() if self._report is not None else []
        shown = (f"The check flagged {', '.join(failing)}." if failing else
                 "The check did not flag any block." if self._report is not None else "")
        plain = f"{head} The bug was {bug.kind} at layer {bug.layer}: {describe_bug(bug)}. {shown}"
        self._revealed = True
        colour = STATUS_COLOURS["great" if correct else "wrong"]
        self._say(f"<span style='background-color:{colour}; color:#ffffff'>&nbsp;{html.escape(head)}&nbsp;"
                  f"</span><br>The bug was <b>{bug.kind}</b> at layer {bug.layer}: "
                  f"{html.escape(describe_bug(bug))}.<br>{shown}")
        self._update_buttons()
        self.revealed.emit(correct, plain.strip())
        if self._popups:
            box = QMessageBox(QMessageBox.Icon.Information if correct else QMessageBox.Icon.Warning,
                              "Right!" if correct else "The answer", plain.strip(),
                              QMessageBox.StandardButton.Ok, self.window())
            box.setObjectName("classroomReveal")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.message_box = box
            box.finished.connect(lambda _r: setattr(self, "message_box", None))
            box.open()

    def clear(self) -> None:
        """Remove the sealed bug from the network and start over."""
        if self._bug is not None and self._clear_bug is not None:
            self._clear_bug()
        self._bug, self._report, self._revealed = None, None, False
        self._say("No bug sealed.")
        self._update_buttons()

    # -- display -------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.message.setText(text)

    def _update_buttons(self) -> None:
        self.reveal_button.setEnabled(self.active)
        self.clear_button.setEnabled(self._bug is not None)
