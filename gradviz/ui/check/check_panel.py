"""The check controls: epsilon, precision, method, dropout, regularization, terms, a planted bug,
sampling, worker processes; Run / Quick check / Cancel, the progress bar and the components
checked per second pinned above them. For a model file the settings that need the built-in
network are off (gradviz.ui.check.model_mode).

Every edit is an undoable command on the panel's QUndoStack (the window shares one stack between
its panels); typed values outside their range are refused visibly (gradviz.ui.common.fields).
"""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from gradviz.core.data.session import CheckSettings
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.spec import DTYPES, NetworkSpec
from gradviz.ui.check.check_commands import SLIDE_EPSILON, PanelState, SettingsCommand
from gradviz.ui.check.model_mode import model_file_state, restrict
from gradviz.ui.check.workers_combo import WorkersCombo
from gradviz.ui.common.fields import IntField, NumberInput, NumberRange

EPSILON_RANGE = (1e-10, 1e-1)
#: the complex step has no cancellation: ε far below the finite differences' is its point
COMPLEX_EPSILON_RANGE = (1e-300, 1e-1)
LAMBDA_MAX = 1e6
SAMPLE_MAX = 10_000_000
DEFAULT_LAMBDA = 0.1  # λ offered when regularization is switched on
STALE_TEXT = "changed: run again"  # short: the progress bar shows one line
DEFAULT_EPSILON = 1e-7  # ε offered when leaving the complex step with an ε too small for differences
METHOD_NAMES = {"centered": "centered", "forward": "one-sided (forward)",
                "complex": "complex step", "richardson": "Richardson"}
DROPOUT_NAMES = {"off": "off (keep_prob = 1)", "frozen": "frozen mask", "resample": "resample"}
TERM_NAMES = {"all": "all terms", "data": "data loss only", "reg": "regularization only"}
REGULARIZATION_NAMES = {"none": "none", "l2": "L2", "l1": "L1"}
SEVERAL = "several"  # the bug combo's item for several bugs planted together


def epsilon_rule(method: str) -> NumberRange:
    low, high = COMPLEX_EPSILON_RANGE if method == "complex" else EPSILON_RANGE
    return NumberRange("ε (complex step)" if method == "complex" else "ε", low, high)


def _bug_text(check: CheckSettings) -> str:
    return ", ".join(map(str, check.bugs)) or "none"


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

    check_changed(): the CheckSettings changed; network_changed(): dtype, l2 or l1 changed (both
    after edits, undo and redo, never after set_check_settings / set_network);
    run_requested(), cancel_requested(), quick_requested(). The workers combo is a setting of
    the machine, not of the session: it is not undoable (the window keeps it in QSettings).
    """

    check_changed = Signal()
    network_changed = Signal()
    run_requested = Signal()
    cancel_requested = Signal()
    quick_requested = Signal()

    def __init__(self, undo_stack: QUndoStack | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self._state = PanelState(CheckSettings())
        self._several: list[str] = []  # the bugs of the "several" item of the bug combo
        self._model_file: tuple[bool, str | None] = (False, None)  # checking a model file, its dtype
        self.epsilon_input = NumberInput(DEFAULT_EPSILON, epsilon_rule("centered"), "epsilonInput")
        self.epsilon_input.setToolTip("Step ε of the numeric derivative")
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
        self.lambda_input = NumberInput(0.0, NumberRange("λ", 0.0, LAMBDA_MAX), "lambdaInput")
        self.lambda_input.setToolTip("Regularization strength λ: J += λ/(2m)·Σ‖W‖²")
        self.terms_combo = _combo("termsCombo", TERM_NAMES)
        self.bug_combo = _combo("bugCombo", {"": "none", **{k: k for k in BUG_KINDS}})
        for i, description in enumerate(BUG_KINDS.values(), start=1):
            self.bug_combo.setItemData(i, description, Qt.ItemDataRole.ToolTipRole)
        self.bug_layer_spin = IntField(NumberRange("the bug's layer", 1, 1, integer=True), "bugLayerSpin")
        self.bug_layer_spin.setPrefix("layer ")
        self.sample_input = IntField(NumberRange("components per block", 0, SAMPLE_MAX, integer=True,
                                                 special="all"), "sampleInput")
        self.sample_input.setToolTip("Components checked per block")
        self.workers_combo = WorkersCombo()
        self.run_button = QPushButton("Run check", objectName="runCheckButton")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Compare every component of dθ with dθ_approx (Ctrl+R)")
        self.cancel_button = QPushButton("Cancel", objectName="cancelCheckButton", enabled=False)
        self.quick_button = QPushButton("Quick check", objectName="quickCheckButton")
        self.quick_button.setToolTip("A few random directions per block: a fraction of a second "
                                     "on big nets, but it can miss a small local error")
        self.progress = QProgressBar(objectName="checkProgress", minimum=0, maximum=1, value=0)
        self.progress.setFormat("idle")
        self.rate_label = QLabel(objectName="checkRate")
        self.rate_label.setToolTip("Components checked per second")
        # one line, empty until a check reports: showing a rate never relayouts the window
        self.rate_label.setFixedHeight(self.rate_label.fontMetrics().lineSpacing())
        self._idle_text = "idle"
        self._layout()
        self._connect()
        self._show(self._state)

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
        extra.addRow("workers", self.workers_combo)
        settings = QWidget(objectName="checkSettings")
        column = QVBoxLayout(settings)
        column.setContentsMargins(0, 0, 0, 0)
        for title, form in (("Numeric gradient", numeric), ("What J contains", loss),
                            ("Bugs, sampling and workers", extra)):
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            box = QGroupBox(title)
            box.setLayout(form)
            column.addWidget(box)
        column.addStretch(1)
        # the settings scroll; the buttons and the progress stay in view above them
        self.settings_area = QScrollArea(objectName="checkSettingsArea")
        self.settings_area.setWidget(settings)
        self.settings_area.setWidgetResizable(True)
        self.settings_area.setFrameShape(QFrame.Shape.NoFrame)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.quick_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.rate_label)
        layout.addWidget(self.settings_area, 1)

    def _connect(self) -> None:
        edited = self._on_edited
        self.epsilon_input.value_changed.connect(self._on_epsilon_typed)
        self.epsilon_slider.valueChanged.connect(self._on_epsilon_slid)
        self.method_combo.currentIndexChanged.connect(self._on_method)
        self.terms_combo.currentIndexChanged.connect(lambda: edited("terms"))
        self.sample_input.valueChanged.connect(lambda: edited("components per block"))
        self.dropout_check.toggled.connect(self._on_dropout_toggled)
        self.dropout_mode_combo.currentIndexChanged.connect(self._on_dropout_mode)
        self.bug_combo.currentIndexChanged.connect(self._on_bug)
        self.bug_layer_spin.valueChanged.connect(lambda: edited("bug layer"))
        self.precision_combo.currentIndexChanged.connect(lambda: edited("precision"))
        self.regularization_combo.currentIndexChanged.connect(self._on_regularization)
        self.lambda_input.value_changed.connect(lambda: edited("λ"))
        self.run_button.clicked.connect(lambda: self.run_requested.emit())
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit())
        self.quick_button.clicked.connect(lambda: self.quick_requested.emit())

    # -- values --------------------------------------------------------------------------------
    def check_settings(self) -> CheckSettings:
        return replace(self._state.check)

    def set_check_settings(self, settings: CheckSettings) -> None:
        """Show ``settings`` (no signal, no undo step)."""
        self._state = replace(self._state, check=replace(settings))
        self._show(self._state)

    def network_options(self) -> dict[str, object]:
        """The spec fields this panel owns: dtype, l2, l1."""
        return self._state.network_options()

    def set_network(self, spec: NetworkSpec) -> None:
        """Show the spec's dtype and regularization; allow bug layers 1..L (no signal, no undo)."""
        layers = len(spec.layers)
        # a planted bug's layer beyond this network stays shown (and the check says so)
        top = max([layers, *(b.layer for b in self._state.check.bugs)])
        self.bug_layer_spin.set_range_rule(NumberRange("the bug's layer", 1, top, integer=True))
        self.bug_layer_spin.setToolTip(f"The layer to plant the bug in (this network has {layers})")
        self._state = PanelState.of(self._state.check, spec)
        self._show(self._state)

    def set_model_file(self, active: bool, dtype: str | None = None) -> None:
        """Check a model file whose parameters are ``dtype`` (``active``), or the built-in network:
        the settings a model file cannot use are turned off with a tooltip saying why, and reset
        (dropout off, whole loss, no planted bug, centered for the complex step). No signal, no
        undo step."""
        self._model_file = (active, dtype)
        if active:
            self._state = model_file_state(self._state, dtype)
        self._show(self._state)

    def refused_fields(self) -> list[QWidget]:
        """The fields that show a refused value (red) right now."""
        fields = (self.epsilon_input, self.lambda_input, self.sample_input, self.bug_layer_spin)
        return [f for f in fields if f.is_refused() or f.has_pending_text()]

    def settle(self) -> None:
        """Drop typed values that are not in use (refused or not committed), so the panel shows
        exactly the settings a check will use."""
        for field in self.refused_fields():
            field.revert()

    # -- edits ---------------------------------------------------------------------------------
    def _read(self) -> PanelState:
        """The state the widgets show now."""
        kind = self.bug_combo.currentData()
        bug = (list(self._several) if kind == SEVERAL else
               str(Bug(kind, self.bug_layer_spin.value())) if kind else None)
        check = replace(
            self._state.check,
            epsilon=self.epsilon_input.value(),
            method=self.method_combo.currentData(),
            dropout=self.dropout_mode_combo.currentData(),
            terms=self.terms_combo.currentData(),
            sample=self.sample_input.value() or None,
            bug=bug,
        )
        return PanelState(check, self.precision_combo.currentData(),
                          self.regularization_combo.currentData(), self.lambda_input.value())

    def _edit(self, after: PanelState, text: str, merge_id: int = -1) -> None:
        if after == self._state:
            return
        self.undo_stack.push(SettingsCommand(self._apply, self._state, after, text, merge_id))

    def _on_edited(self, what: str) -> None:
        after = self._read()
        value = {"terms": after.check.terms, "components per block": after.check.sample or "all",
                 "bug layer": _bug_text(after.check), "precision": after.dtype,
                 "λ": f"{after.lam:g}"}[what]
        self._edit(after, f"{what}: {value}")

    def _apply(self, state: PanelState) -> None:
        """Show ``state`` (the undo commands call this) and announce what changed."""
        before, self._state = self._state, state
        self._show(state)
        if before.check != state.check:
            self.check_changed.emit()
        if before.network_differs(state):
            self.network_changed.emit()

    def _show(self, state: PanelState) -> None:
        """Make every widget show ``state`` (without emitting edits)."""
        widgets = (self.epsilon_input, self.epsilon_slider, self.method_combo, self.terms_combo,
                   self.sample_input, self.dropout_check, self.dropout_mode_combo, self.bug_combo,
                   self.bug_layer_spin, self.precision_combo, self.regularization_combo,
                   self.lambda_input)
        with signals_blocked(*widgets):
            check = state.check
            self.epsilon_input.set_range_rule(epsilon_rule(check.method))
            self.epsilon_input.set_value(check.epsilon)
            self.epsilon_slider.setValue(round(10 * math.log10(check.epsilon)))
            _select(self.method_combo, check.method)
            _select(self.terms_combo, check.terms)
            self.sample_input.setValue(check.sample or 0)
            _select(self.dropout_mode_combo, check.dropout)
            self.dropout_check.setChecked(check.dropout != "off")
            bugs = check.bugs
            bug = bugs[0] if len(bugs) == 1 else None
            self._show_several(bugs)
            _select(self.bug_combo, SEVERAL if len(bugs) > 1 else bug.kind if bug else "")
            if bug:
                self.bug_layer_spin.setValue(bug.layer)
            _select(self.precision_combo, state.dtype)
            _select(self.regularization_combo, state.regularization)
            self.lambda_input.set_value(state.lam)
        self.bug_layer_spin.setEnabled(bug is not None)
        self.lambda_input.setEnabled(state.regularization != "none")
        restrict(self, self._model_file[1], self._model_file[0])

    def _show_several(self, bugs) -> None:
        """Several planted bugs (a session can hold them) are one item of the bug combo, listing
        them all, so the panel never shows less than what a check plants."""
        index = self.bug_combo.findData(SEVERAL)
        if len(bugs) > 1:
            text = ", ".join(map(str, bugs))
            if index < 0:
                self.bug_combo.addItem(text, SEVERAL)
                index = self.bug_combo.count() - 1
            self.bug_combo.setItemText(index, text)
            self.bug_combo.setItemData(index, f"{len(bugs)} bugs planted together: {text}",
                                       Qt.ItemDataRole.ToolTipRole)
            self._several = [str(b) for b in bugs]
        elif index >= 0 and self.bug_combo.currentIndex() != index:
            self.bug_combo.removeItem(index)

    def _on_epsilon_typed(self, value: float) -> None:
        self._edit(self._read(), f"ε {value:g}")

    def _on_epsilon_slid(self, position: int) -> None:
        self.epsilon_input.set_value(float(f"{10 ** (position / 10):.2g}"))
        after = self._read()
        self._edit(after, f"ε {after.check.epsilon:g}", SLIDE_EPSILON)

    def _on_method(self) -> None:
        after = self._read()
        rule = epsilon_rule(after.check.method)
        if rule.parse(f"{after.check.epsilon!r}") is None:  # from the complex step's tiny ε
            after = replace(after, check=replace(after.check, epsilon=DEFAULT_EPSILON))
        self._edit(after, f"method: {METHOD_NAMES[after.check.method]}")

    def _on_dropout_toggled(self, on: bool) -> None:
        after = self._read()
        mode = after.check.dropout
        if on != (mode != "off"):
            after = replace(after, check=replace(after.check, dropout="frozen" if on else "off"))
        self._edit(after, f"dropout: {after.check.dropout}")

    def _on_dropout_mode(self) -> None:
        after = self._read()
        self._edit(after, f"dropout: {after.check.dropout}")

    def _on_bug(self) -> None:
        after = self._read()
        self._edit(after, f"planted bug: {_bug_text(after.check)}")

    def _on_regularization(self) -> None:
        after = self._read()
        if after.regularization != "none" and after.lam == 0:
            after = replace(after, lam=DEFAULT_LAMBDA)
        self._edit(after, f"regularization: {REGULARIZATION_NAMES[after.regularization]}")

    # -- running -------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        if running:
            self.rate_label.setText("")
            self.progress.setRange(0, 0)  # busy until the first progress arrives
            self.progress.setFormat("starting…")

    def set_progress(self, done: int, total: int, seconds_left: float,
                     rate: float | None = None) -> None:
        """``done`` of ``total`` components; ``rate``: components per second (None: not known yet)."""
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        left = f" · {seconds_left:.0f} s left" if math.isfinite(seconds_left) and done < total else ""
        self.progress.setFormat(f"{done} / {total} components{left}")
        if rate is not None and math.isfinite(rate):
            self.rate_label.setText(f"{rate:,.0f} components/s" if rate >= 10 else f"{rate:.2g} components/s")

    def set_idle(self, text: str) -> None:
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        self._idle_text = text
        self.progress.setFormat(text)
        self.progress.setToolTip(text)

    def set_stale(self, note: str | None) -> None:
        """Say on the progress bar that the shown result no longer matches the settings (the
        note in its tooltip), or (None) that it does again."""
        if self.cancel_button.isEnabled():
            return  # a check is running: its progress speaks
        self.progress.setFormat(STALE_TEXT if note else self._idle_text)
        self.progress.setToolTip(note or self._idle_text)
