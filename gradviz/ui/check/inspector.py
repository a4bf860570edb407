"""The inspector: one component of θ pinned with its numbers, what kind of disagreement it is,
the relative-error formula with those numbers plugged in, and the two steps of the second-step
check when the check took them."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from gradviz.core.report.check_report import Component
from gradviz.ui.check.component_detail import (
    KIND_WORDS,
    cs231n_rel_error,
    index_text,
    kind_of,
    second_step,
)


def _num(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.6e}"


def describe_component(c: Component) -> str:
    """One line for a status bar or tooltip: the full index (and tile), values, errors, kind."""
    tile = getattr(c, "tile", None)
    where = index_text(c.block, c.index) + (f" (tile {tile})" if tile else "")
    if math.isnan(c.numeric):
        return f"{where}  dθ = {c.analytic:.4e}  (not checked)"
    return (f"{where}  dθ = {c.analytic:.4e}  dθ_approx = {c.numeric:.4e}  "
            f"abs error {c.abs_error:.2e}  rel error {c.rel_error:.2e}  {KIND_WORDS[kind_of(c)]}")


def formula(c: Component) -> str:
    """The relative error with this component's numbers in it."""
    if math.isnan(c.numeric):
        return "not checked (sampled out): no numeric value"
    return (f"|dθ − dθ_approx| / max(|dθ|, |dθ_approx|)\n"
            f"= |{c.analytic:.4e} − {c.numeric:.4e}| / {max(abs(c.analytic), abs(c.numeric)):.4e}\n"
            f"= {c.rel_error:.3e}")


def cs231n_text(c: Component) -> str:
    """This component's CS231n relative error, and the block's (what the notebook prints)."""
    if math.isnan(c.numeric):
        return "—"
    text = f"{cs231n_rel_error(c.analytic, c.numeric):.3e}"
    block = getattr(c, "block_cs231n", None)
    return text if block is None else f"{text}  (block {c.block}: {block:.3e})"


class InspectorPanel(QWidget):
    """Shows the pinned component: full index, kind, dθ, dθ_approx, errors, kink, formula and
    the second step."""

    FIELDS = ("component", "kind", "dθ (backprop)", "dθ_approx (numeric)", "absolute error",
              "relative error", "CS231n rel error", "kink crossed")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspectorPanel")
        form = QFormLayout()
        self._values: dict[str, QLabel] = {}
        for name in self.FIELDS:
            label = QLabel("—", wordWrap=True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._values[name] = label
            form.addRow(name, label)
        self._formula = QLabel(wordWrap=True)
        self._formula.setStyleSheet("font-family: monospace")
        self._second = QLabel(wordWrap=True, objectName="secondStepLabel")
        self._second.setStyleSheet("font-family: monospace")
        self._second.setToolTip("The failing component evaluated again at a second step ε₂: truncation "
                                "falls as ε² (centered), rounding grows as 1/ε, a bug does not move.")
        self._hint = QLabel("Click a cell of the heatmap to pin it here.", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(self._hint)
        layout.addLayout(form)
        layout.addWidget(self._formula)
        layout.addWidget(self._second)
        layout.addStretch(1)
        self.component: Component | None = None
        self.clear()

    def pin(self, c: Component) -> None:
        self.component = c
        checked = not math.isnan(c.numeric)
        tile = getattr(c, "tile", None)
        values = (index_text(c.block, c.index) + (f"\nin tile {tile}" if tile else ""),
                  KIND_WORDS[kind_of(c)], _num(c.analytic), _num(c.numeric),
                  _num(c.abs_error) if checked else "—", _num(c.rel_error) if checked else "—",
                  cs231n_text(c),
                  ("yes: the mismatch is not a bug" if c.kink else "no") if checked else "—")
        for name, value in zip(self.FIELDS, values, strict=True):
            self._values[name].setText(value)
        self._formula.setText(formula(c))
        steps = second_step(c)
        self._second.setText("second step:\n" + "\n".join(steps) if steps else "")
        self._second.setVisible(bool(steps))
        self._hint.hide()

    def second_step_text(self) -> str:
        """What the second-step section says ("" when hidden)."""
        return self._second.text() if self._second.isVisibleTo(self) else ""

    def clear(self) -> None:
        self.component = None
        for label in self._values.values():
            label.setText("—")
        self._formula.setText("")
        self._second.setText("")
        self._second.hide()
        self._hint.show()
