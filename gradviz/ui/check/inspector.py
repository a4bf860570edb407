"""The inspector: one component of θ pinned with its numbers and the relative-error formula
with those numbers plugged in."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from gradviz.core.report.check_report import Component


def _num(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.6e}"


def component_name(c: Component) -> str:
    return f"{c.block}[{', '.join(map(str, c.index))}]"


def describe_component(c: Component) -> str:
    """One line for a status bar or tooltip."""
    if math.isnan(c.numeric):
        return f"{component_name(c)}  dθ = {c.analytic:.4e}  (not checked)"
    return (f"{component_name(c)}  dθ = {c.analytic:.4e}  dθ_approx = {c.numeric:.4e}  "
            f"abs error {c.abs_error:.2e}  rel error {c.rel_error:.2e}  "
            f"kink: {'yes (not a bug)' if c.kink else 'no'}")


def formula(c: Component) -> str:
    """The relative error with this component's numbers in it."""
    if math.isnan(c.numeric):
        return "not checked (sampled out): no numeric value"
    return (f"|dθ − dθ_approx| / max(|dθ|, |dθ_approx|)\n"
            f"= |{c.analytic:.4e} − {c.numeric:.4e}| / {max(abs(c.analytic), abs(c.numeric)):.4e}\n"
            f"= {c.rel_error:.3e}")


class InspectorPanel(QWidget):
    """Shows the pinned component: block, index, dθ, dθ_approx, errors, kink, formula."""

    FIELDS = ("component", "dθ (backprop)", "dθ_approx (numeric)", "absolute error",
              "relative error", "kink crossed")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspectorPanel")
        form = QFormLayout()
        self._values: dict[str, QLabel] = {}
        for name in self.FIELDS:
            label = QLabel("—")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._values[name] = label
            form.addRow(name, label)
        self._formula = QLabel()
        self._formula.setWordWrap(True)
        self._formula.setStyleSheet("font-family: monospace")
        self._hint = QLabel("Click a cell of the heatmap to pin it here.")
        self._hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self._hint)
        layout.addLayout(form)
        layout.addWidget(self._formula)
        layout.addStretch(1)
        self.component: Component | None = None

    def pin(self, c: Component) -> None:
        self.component = c
        checked = not math.isnan(c.numeric)
        values = (component_name(c), _num(c.analytic), _num(c.numeric),
                  _num(c.abs_error) if checked else "—", _num(c.rel_error) if checked else "—",
                  ("yes: the mismatch is not a bug" if c.kink else "no") if checked else "—")
        for name, value in zip(self.FIELDS, values, strict=True):
            self._values[name].setText(value)
        self._formula.setText(formula(c))
        self._hint.hide()

    def clear(self) -> None:
        self.component = None
        for label in self._values.values():
            label.setText("—")
        self._formula.setText("")
        self._hint.show()
