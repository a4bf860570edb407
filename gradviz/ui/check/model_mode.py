"""The check panel for a model file: a user's loss is checked as their code computes it, so the
settings that need the built-in network (precision, regularization, terms, dropout modes,
planted bugs, the complex step) are off, each with a tooltip that says why; the workers setting
is on (it spreads the reference loop of a model file over processes)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from gradviz.core.model.spec import DTYPES
from gradviz.ui.check.check_commands import PanelState
from gradviz.ui.check.workers_combo import BUILT_IN_TOOLTIP
from gradviz.ui.check.workers_combo import TOOLTIP as WORKERS_TOOLTIP

if TYPE_CHECKING:
    from gradviz.ui.check.check_panel import CheckPanel

#: panel attribute -> why it is off for a model file ({dtype}: the model's precision)
NEEDS_BUILT_IN = {
    "precision_combo": "A model file is checked in its own precision ({dtype}): set the dtype in "
                       "your code (float64 for a check)",
    "regularization_combo": "Regularization is part of your model's loss: set it in your code",
    "lambda_input": "Regularization is part of your model's loss: set it in your code",
    "terms_combo": "Checking the data or the regularization term alone needs the built-in "
                   "network: a model file's loss is checked whole",
    "dropout_check": "Dropout modes need the built-in network: turn your model's dropout off "
                     "(keep_prob = 1) for the check",
    "dropout_mode_combo": "Dropout modes need the built-in network: turn your model's dropout "
                          "off (keep_prob = 1) for the check",
    "bug_combo": "Planted bugs are for the built-in network: a model file brings its own",
    "bug_layer_spin": "Planted bugs are for the built-in network: a model file brings its own",
}
#: enabled by the panel itself according to its state when it shows the built-in network
STATEFUL = {"lambda_input", "bug_layer_spin"}
COMPLEX_OFF = "The complex step needs the built-in network: a model file's loss may not be analytic"
TIP_PROPERTY = "builtInToolTip"


def model_file_state(state: PanelState, dtype: str | None) -> PanelState:
    """``state`` with only what a model file's check can use: dropout off, whole loss, no planted
    bug, no regularization, centered differences instead of the complex step, its precision."""
    from gradviz.ui.check.check_panel import DEFAULT_EPSILON, EPSILON_RANGE  # it imports this module

    check = replace(state.check, dropout="off", terms="all", bug=None)
    if check.method == "complex":  # its tiny ε would be all rounding in a difference
        epsilon = check.epsilon if check.epsilon >= EPSILON_RANGE[0] else DEFAULT_EPSILON
        check = replace(check, method="centered", epsilon=epsilon)
    return replace(state, check=check, dtype=dtype if dtype in DTYPES else state.dtype,
                   regularization="none", lam=0.0)


def restrict(panel: CheckPanel, dtype: str | None, active: bool) -> None:
    """Turn the built-in-only settings off (``active``: a model file of precision ``dtype``) or
    back on, with tooltips that say why; the workers combo the other way round."""
    for name, why in NEEDS_BUILT_IN.items():
        widget = getattr(panel, name)
        if widget.property(TIP_PROPERTY) is None:
            widget.setProperty(TIP_PROPERTY, widget.toolTip())
        if active:
            widget.setEnabled(False)
            widget.setToolTip(why.format(dtype=dtype or "as your code gives it"))
        else:
            widget.setToolTip(widget.property(TIP_PROPERTY))
            if name not in STATEFUL:
                widget.setEnabled(True)
    combo = panel.method_combo
    item = combo.model().item(combo.findData("complex"))
    item.setEnabled(not active)
    item.setData(COMPLEX_OFF if active else None, Qt.ItemDataRole.ToolTipRole)
    panel.workers_combo.setEnabled(active)
    panel.workers_combo.setToolTip(WORKERS_TOOLTIP if active else BUILT_IN_TOOLTIP)
