"""The check controls: epsilon, precision, method, dropout, regularization, terms, a planted bug,
sampling, Run / Cancel and the progress bar."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.data.session import CheckSettings
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.spec import DTYPES, NetworkSpec

EPSILON_RANGE = (1e-10, 1e-1)
LAMBDA_MAX = 1e6
DEFAULT_LAMBDA = 0.1  # λ offered when regularization is switched on
METHOD_NAMES = {"centered": "centered", "forward": "one-sided (forward)",
                "complex": "complex step", "richardson": "Richardson"}
DROPOUT_NAMES = {"off": "off (keep_prob = 1)", "frozen": "frozen mask", "resample": "resample"}
TERM_NAMES = {"all": "all terms", "data": "data loss only", "reg": "regularization only"}
REGULARIZATION_NAMES = {"none": "none", "l2": "L2", "l1": "L1"}


class NumberValidator(QValidator):
    """Accepts a number in [low, high] (plain or scientific); partial input is Intermediate."""

    def __init__(self, low: float, high: float, parent=None) -> None:
        super().__init__(parent)
        self.low, self.high = low, high

    def validate(self, text: str, pos: int):
        if any(ch not in "0123456789.eE+-" for ch in text):
            return QValidator.State.Invalid, text, pos
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        if math.isfinite(value) and self.low <= value <= self.high:
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class NumberInput(QLineEdit):
    """A validated number field: ``value_changed(float)`` when an acceptable value is committed
    (Enter or leaving the field); leaving with an unfinished value restores the last good one."""

    value_changed = Signal(float)

    def __init__(self, value: float, low: float, high: float, object_name: str) -> None:
        super().__init__(objectName=object_name)
        self.setValidator(NumberValidator(low, high, self))
        self._value = value
        self.setText(f"{value:g}")
        self.editingFinished.connect(self._commit)

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        """Show ``value`` without emitting value_changed."""
        self._value = float(value)
        self.setText(f"{self._value:g}")

    def _commit(self) -> None:
        value = float(self.text())
        if value != self._value:
            self._value = value
            self.value_changed.emit(value)

    def focusOutEvent(self, event) -> None:
        if not self.hasAcceptableInput():
            self.setText(f"{self._value:g}")
        super().focusOutEvent(event)


def _combo(object_name: str, items: dict[str, str]) -> QComboBox:
    combo = QComboBox(objectName=object_name)
    # narrow docks: the combo may be narrower than its longest item (the popup shows it whole)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    for data, text in items.items():
        combo.addItem(text, data)
    return combo


def _select(combo: QComboBox, data) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)


class CheckPanel(QWidget):
    """Shows and edits a CheckSettings plus the network's precision and regularization.

    check_changed(): the CheckSettings changed; network_changed(): dtype, l2 or l1 changed;
    run_requested(), cancel_requested(), quick_requested().
    """

    check_changed = Signal()
    network_changed = Signal()
    run_requested = Signal()
    cancel_requested = Signal()
    quick_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._seed = 0
        self.epsilon_input = NumberInput(1e-7, *EPSILON_RANGE, "epsilonInput")
        self.epsilon_input.setToolTip("Step ε of the numeric derivative, 1e-10 to 1e-1")
        self.epsilon_slider = QSlider(Qt.Orientation.Horizontal, objectName="epsilonSlider")
        self.epsilon_slider.setRange(-100, -10)  # tenths of a decade: log10(ε) × 10
        self.epsilon_slider.setToolTip("ε on a log scale, 1e-10 to 1e-1")
        self.precision_combo = _combo("precisionCombo", {d: d for d in DTYPES})
        self.method_combo = _combo("methodCombo", METHOD_NAMES)
        self.dropout_check = QCheckBox("check with dropout", objectName="dropoutCheck")
        self.dropout_check.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.dropout_mode_combo = _combo("dropoutModeCombo", DROPOUT_NAMES)
        self.dropout_mode_combo.setToolTip(
            "frozen: one dropout mask for every evaluation (a fair check);\n"
            "resample: a fresh mask per evaluation (shows why checks fail with dropout)")
        self.regularization_combo = _combo("regularizationCombo", REGULARIZATION_NAMES)
        self.lambda_input = NumberInput(0.0, 0.0, LAMBDA_MAX, "lambdaInput")
        self.lambda_input.setToolTip("Regularization strength λ (≥ 0): J += λ/(2m)·Σ‖W‖²")
        self.terms_combo = _combo("termsCombo", TERM_NAMES)
        self.bug_combo = _combo("bugCombo", {"": "none", **{k: k for k in BUG_KINDS}})
        for i, description in enumerate(BUG_KINDS.values(), start=1):
            self.bug_combo.setItemData(i, description, Qt.ItemDataRole.ToolTipRole)
        self.bug_layer_spin = QSpinBox(objectName="bugLayerSpin", minimum=1, maximum=1, prefix="layer ")
        self.sample_input = QSpinBox(objectName="sampleInput", minimum=0, maximum=10_000_000)
        self.sample_input.setSpecialValueText("all")
        self.sample_input.setToolTip("Components checked per block (0 = all)")
        self.run_button = QPushButton("Run check", objectName="runCheckButton")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", objectName="cancelCheckButton", enabled=False)
        self.quick_button = QPushButton("Quick check", objectName="quickCheckButton")
        self.quick_button.setToolTip("A few random directions per block, then bisection: seconds "
                                     "on big nets, but it can miss a small local error")
        self.progress = QProgressBar(objectName="checkProgress", minimum=0, maximum=1, value=0)
        self.progress.setFormat("idle")
        self._layout()
        self._connect()
        self.set_check_settings(CheckSettings())

    def _layout(self) -> None:
        numeric = QFormLayout()
        numeric.addRow("ε", self.epsilon_input)
        numeric.addRow("", self.epsilon_slider)
        numeric.addRow("method", self.method_combo)
        numeric.addRow("precision", self.precision_combo)
        loss = QFormLayout()
        loss.addRow("regularization", self.regularization_combo)
        loss.addRow("λ", self.lambda_input)
        loss.addRow("terms", self.terms_combo)
        loss.addRow(self.dropout_check)
        loss.addRow("dropout mode", self.dropout_mode_combo)
        bug = QHBoxLayout()
        bug.addWidget(self.bug_combo, 1)
        bug.addWidget(self.bug_layer_spin)
        extra = QFormLayout()
        extra.addRow("plant a bug", bug)
        extra.addRow("components per block", self.sample_input)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.quick_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for title, form in (("Numeric gradient", numeric), ("What J contains", loss),
                            ("Bugs and sampling", extra)):
            box = QGroupBox(title)
            box.setLayout(form)
            layout.addWidget(box)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addStretch(1)

    def _connect(self) -> None:
        changed = self._check_changed
        self.epsilon_input.value_changed.connect(self._on_epsilon_typed)
        self.epsilon_slider.valueChanged.connect(self._on_epsilon_slid)
        self.method_combo.currentIndexChanged.connect(changed)
        self.terms_combo.currentIndexChanged.connect(changed)
        self.sample_input.valueChanged.connect(changed)
        self.dropout_check.toggled.connect(self._on_dropout_toggled)
        self.dropout_mode_combo.currentIndexChanged.connect(self._on_dropout_mode)
        self.bug_combo.currentIndexChanged.connect(self._on_bug)
        self.bug_layer_spin.valueChanged.connect(changed)
        self.precision_combo.currentIndexChanged.connect(self._network_changed)
        self.regularization_combo.currentIndexChanged.connect(self._on_regularization)
        self.lambda_input.value_changed.connect(self._network_changed)
        self.run_button.clicked.connect(lambda: self.run_requested.emit())
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit())
        self.quick_button.clicked.connect(lambda: self.quick_requested.emit())

    def _check_changed(self, *_) -> None:
        self.check_changed.emit()

    def _network_changed(self, *_) -> None:
        self.network_changed.emit()

    # -- values --------------------------------------------------------------------------------
    def check_settings(self) -> CheckSettings:
        kind = self.bug_combo.currentData()
        return CheckSettings(
            epsilon=self.epsilon_input.value(),
            method=self.method_combo.currentData(),
            dropout=self.dropout_mode_combo.currentData(),
            terms=self.terms_combo.currentData(),
            sample=self.sample_input.value() or None,
            seed=self._seed,
            bug=str(Bug(kind, self.bug_layer_spin.value())) if kind else None,
        )

    def set_check_settings(self, settings: CheckSettings) -> None:
        """Show ``settings`` without emitting check_changed."""
        widgets = (self.epsilon_input, self.epsilon_slider, self.method_combo, self.terms_combo,
                   self.sample_input, self.dropout_check, self.dropout_mode_combo, self.bug_combo,
                   self.bug_layer_spin)
        for w in widgets:
            w.blockSignals(True)
        self._seed = settings.seed
        self.epsilon_input.set_value(settings.epsilon)
        self.epsilon_slider.setValue(round(10 * math.log10(settings.epsilon)))
        _select(self.method_combo, settings.method)
        _select(self.terms_combo, settings.terms)
        self.sample_input.setValue(settings.sample or 0)
        _select(self.dropout_mode_combo, settings.dropout)
        self.dropout_check.setChecked(settings.dropout != "off")
        bug = settings.bugs[-1] if settings.bugs else None  # the panel shows one planted bug
        _select(self.bug_combo, bug.kind if bug else "")
        if bug:
            self.bug_layer_spin.setMaximum(max(self.bug_layer_spin.maximum(), bug.layer))
            self.bug_layer_spin.setValue(bug.layer)
        for w in widgets:
            w.blockSignals(False)
        self.bug_layer_spin.setEnabled(bug is not None)

    def network_options(self) -> dict[str, object]:
        """The spec fields this panel owns: dtype, l2, l1."""
        kind, lam = self.regularization_combo.currentData(), self.lambda_input.value()
        return {"dtype": self.precision_combo.currentData(),
                "l2": lam if kind == "l2" else 0.0, "l1": lam if kind == "l1" else 0.0}

    def set_network(self, spec: NetworkSpec) -> None:
        """Show the spec's dtype and regularization; allow bug layers 1..L. No signals."""
        widgets = (self.precision_combo, self.regularization_combo, self.lambda_input,
                   self.bug_layer_spin)
        for w in widgets:
            w.blockSignals(True)
        _select(self.precision_combo, spec.dtype)
        kind = "l2" if spec.l2 else "l1" if spec.l1 else "none"
        _select(self.regularization_combo, kind)
        self.lambda_input.set_value(spec.l2 or spec.l1)
        self.lambda_input.setEnabled(kind != "none")
        self.bug_layer_spin.setMaximum(len(spec.layers))
        for w in widgets:
            w.blockSignals(False)

    # -- running -------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)  # busy until the first progress arrives
            self.progress.setFormat("starting…")

    def set_progress(self, done: int, total: int, seconds_left: float) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        left = f" · {seconds_left:.0f} s left" if math.isfinite(seconds_left) and done < total else ""
        self.progress.setFormat(f"{done} / {total} components{left}")

    def set_idle(self, text: str) -> None:
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        self.progress.setFormat(text)

    # -- reactions -----------------------------------------------------------------------------
    def _on_epsilon_typed(self, value: float) -> None:
        self.epsilon_slider.blockSignals(True)
        self.epsilon_slider.setValue(round(10 * math.log10(value)))
        self.epsilon_slider.blockSignals(False)
        self.check_changed.emit()

    def _on_epsilon_slid(self, position: int) -> None:
        self.epsilon_input.set_value(float(f"{10 ** (position / 10):.2g}"))
        self.check_changed.emit()

    def _on_dropout_toggled(self, on: bool) -> None:
        mode = self.dropout_mode_combo.currentData()
        if on == (mode != "off"):
            return
        self.dropout_mode_combo.blockSignals(True)
        _select(self.dropout_mode_combo, "frozen" if on else "off")
        self.dropout_mode_combo.blockSignals(False)
        self.check_changed.emit()

    def _on_dropout_mode(self) -> None:
        self.dropout_check.blockSignals(True)
        self.dropout_check.setChecked(self.dropout_mode_combo.currentData() != "off")
        self.dropout_check.blockSignals(False)
        self.check_changed.emit()

    def _on_bug(self) -> None:
        self.bug_layer_spin.setEnabled(bool(self.bug_combo.currentData()))
        self.check_changed.emit()

    def _on_regularization(self) -> None:
        on = self.regularization_combo.currentData() != "none"
        self.lambda_input.setEnabled(on)
        if on and self.lambda_input.value() == 0:
            self.lambda_input.set_value(DEFAULT_LAMBDA)
        self._network_changed()
