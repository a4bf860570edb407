"""The explanation panel: the check's formulas with the live numbers plugged in.

"This check" shows, for one component of θ, the difference formula of the method in use with
J(θ ± ε) evaluated, dθ and dθ_approx, the relative error, and for the whole report the lecture's
norm ratio with its status band. "θ³ example" repeats the lecture's f(θ) = θ³ at θ = 1 for any ε.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.check.gradcheck import make_objective, numeric_derivative
from gradviz.core.report.check_report import CheckReport, norm_ratio

MINUS = "\u2212"
#: status -> colour; white text on these reads well, and they stand out on light and dark palettes
STATUS_COLOURS = {"great": "#1b7f3b", "ok": "#8a6d00", "worry": "#b35900", "wrong": "#b3261e"}
#: status -> (badge colour, words)
BANDS = {
    "great": (STATUS_COLOURS["great"], f"≤ 10<sup>{MINUS}7</sup> great"),
    "ok": (STATUS_COLOURS["ok"], f"≤ 10<sup>{MINUS}5</sup> probably fine: look at the worst components"),
    "worry": (STATUS_COLOURS["worry"], f"≤ 10<sup>{MINUS}3</sup> worry: a bug is likely"),
    "wrong": (STATUS_COLOURS["wrong"], f"&gt; 10<sup>{MINUS}3</sup> wrong: backprop disagrees"),
}
CUBE_THETA = 1.0
CUBE_EPSILON = 0.01


def fmt(x: float, digits: int = 6) -> str:
    """A number for HTML: plain between 1e-3 and 1e5, else m × 10<sup>e</sup>; real minus signs."""
    if isinstance(x, complex):
        x = x.real
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("∞" if x > 0 else f"{MINUS}∞")
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        text = f"{x:.{digits}g}"
    else:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        power = f"10<sup>{int(exponent)}</sup>"
        text = power if mantissa == "1" else f"{mantissa} × {power}"
    return text.replace("-", MINUS)


def _row(name: str, value: str) -> str:
    return f"<tr><td style='padding-right:12px'>{name}</td><td>{value}</td></tr>"


def _badge(status: str) -> str:
    colour, words = BANDS[status]
    return f"<span style='background-color:{colour}; color:#ffffff'>&nbsp;{words}&nbsp;</span>"


class ExplanationPanel(QWidget):
    """Formulas with numbers. Feed it with ``set_component(report, block, index)``; give it the
    checked model with ``set_model`` to plug in J(θ ± ε) as well."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explanationPanel")
        self._report: CheckReport | None = None
        self._block: str | None = None
        self._index: tuple[int, ...] | None = None
        self._model: tuple[Any, Any, Any] | None = None
        self._objective: tuple[int, Any] | None = None  # (id of the report, objective)
        self._check_values: dict[str, float] = {}
        self._render_pending = False  # hidden in a shown window: render when shown
        self._cube_values: dict[str, float] = {}

        self.check_text = QTextBrowser(objectName="explanationText")
        self.cube_text = QTextBrowser(objectName="cubeText")
        self.epsilon_edit = QLineEdit(str(CUBE_EPSILON), objectName="cubeEpsilonEdit")
        self.epsilon_edit.setToolTip("Step size ε, e.g. 0.01 or 1e-4")
        self.epsilon_edit.editingFinished.connect(self._update_cube)
        cube = QWidget()
        row = QHBoxLayout()
        row.addWidget(QLabel("ε ="))
        row.addWidget(self.epsilon_edit)
        row.addStretch(1)
        cube_layout = QVBoxLayout(cube)
        cube_layout.setContentsMargins(0, 0, 0, 0)
        cube_layout.addLayout(row)
        cube_layout.addWidget(self.cube_text, 1)

        self.tabs = QTabWidget(objectName="explanationTabs")
        self.tabs.addTab(self.check_text, "This check")
        self.tabs.addTab(cube, "θ³ example")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._render_check()
        self._update_cube()

    # -- inputs --------------------------------------------------------------------------------
    def set_model(self, model, X, y) -> None:
        """The model and check data the reports come from (to evaluate J(θ ± ε)); None clears."""
        self._model = None if model is None else (model, X, y)
        self._objective = None
        self._render_check()

    def set_report(self, report: CheckReport | None) -> None:
        """Show the report's verdict; keeps the component if the report has it."""
        shape = report.blocks[self._block].analytic.shape if (
            report is not None and self._block in report.blocks) else None
        keep = (shape is not None and self._index is not None and len(self._index) == len(shape)
                and all(0 <= i < n for i, n in zip(self._index, shape, strict=True)))
        self._report = report
        if not keep:
            self._block = self._index = None
        self._render_check()

    def set_component(self, report: CheckReport, block: str, index: int | tuple[int, ...]) -> None:
        """Explain component ``index`` (tuple, or flat int) of ``block`` in ``report``."""
        if block not in report.blocks:
            raise ValueError(f"block must be one of {', '.join(report.blocks)}; got {block!r}")
        shape = report.blocks[block].analytic.shape
        if isinstance(index, int | np.integer):
            index = tuple(int(i) for i in np.unravel_index(int(index), shape))
        index = tuple(int(i) for i in index)
        if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape, strict=True)):
            raise ValueError(f"index must lie within {block}'s shape {shape}; got {index}")
        self._report, self._block, self._index = report, block, index
        self.tabs.setCurrentIndex(0)
        self._render_check()

    def show_cube(self, epsilon: float | None = None) -> None:
        """Switch to the θ³ example, optionally with a new ε."""
        if epsilon is not None:
            self.epsilon_edit.setText(repr(float(epsilon)))
        self._update_cube()
        self.tabs.setCurrentIndex(1)

    def check_values(self) -> dict[str, float]:
        """The numbers "This check" shows, by name: analytic, numeric, epsilon, rel_error, J+,
        J-, J0 ..., difference, norm_diff, norm_numeric, norm_analytic."""
        if self._render_pending:
            self._render_check(now=True)
        return dict(self._check_values)

    def cube_values(self) -> dict[str, float]:
        """The numbers the θ³ example shows: epsilon, forward, centered, true."""
        return dict(self._cube_values)

    # -- this check ----------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._render_pending:
            self._render_check()

    def _render_check(self, now: bool = False) -> None:
        # a closed dock inside a shown window renders when it opens (or ``now``): the GUI thread
        # has better things to do when a check of a large net ends
        self._render_pending = not now and self.window().isVisible() and not self.isVisible()
        if self._render_pending:
            return
        report = self._report
        self._check_values = {}
        if report is None:
            self.check_text.setHtml("<p>Run a gradient check, then click a cell of the heatmap: "
                                    "its formulas appear here with the numbers plugged in.</p>")
            return
        parts = []
        if self._block is not None:
            parts.append(self._component_html(report, self._block, self._index))
        parts.append(self._report_html(report))
        self.check_text.setHtml("".join(parts))

    def _component_html(self, report: CheckReport, name: str, index: tuple[int, ...]) -> str:
        block = report.blocks[name]
        where = f"{name}[{', '.join(map(str, index))}]"
        a, n = float(block.analytic[index]), float(block.numeric[index])
        eps = float(report.settings.get("epsilon", float("nan")))
        method = str(report.settings.get("method", "centered"))
        out = [f"<h3>Component {where}</h3>"]
        if math.isnan(n):
            self._check_values["analytic"] = a
            return "".join([*out, "<table>", _row("dθ (backprop)", fmt(a)), "</table>",
                            "<p>Not checked (sampled out): no numeric value.</p>"])
        self._check_values.update(analytic=a, numeric=n, epsilon=eps)
        out.append(self._difference_html(report, name, index, method, eps, n))
        scale = max(abs(a), abs(n))
        rel = float(block.rel_error[index])
        self._check_values["rel_error"] = rel
        out += [
            "<table>",
            _row("dθ (backprop)", f"<b>{fmt(a)}</b>"),
            _row("dθ_approx (numeric)", f"<b>{fmt(n)}</b>"),
            "</table>",
            "<p>relative error |dθ − dθ_approx| / max(|dθ|, |dθ_approx|)<br>"
            f"= |{fmt(a)} − ({fmt(n)})| / {fmt(scale)}<br>= <b>{fmt(rel, 3)}</b></p>",
        ]
        if block.kink[index]:
            out.append("<p><b>Kink crossed:</b> between θ − ε and θ + ε a ReLU or hinge switched "
                       "sides, so the numeric value is not exact here; this is not a bug.</p>")
        if block.diagnosis is not None:
            out.append(f"<p><b>{name}:</b> {html.escape(block.diagnosis.message)}</p>")
        return "".join(out)

    def _difference_html(self, report, name, index, method: str, eps: float, n: float) -> str:
        """The method's formula, then with J values (when the model can be evaluated) and ε."""
        e = fmt(eps)
        J = self._evaluations(report, name, index, method, eps)
        if method == "forward":
            head = "dθ_approx = (J(θ + ε) − J(θ)) / ε"
            mid = None if J is None else f"= ({fmt(J['+'], 12)} − {fmt(J['0'], 12)}) / {e}"
        elif method == "complex":
            head = "dθ_approx = Im J(θ + iε) / ε &nbsp;(complex step)"
            mid = None if J is None else f"= {fmt(J['i'], 6)} / {e}"
        elif method == "richardson":
            head = ("D(h) = (J(θ + h) − J(θ − h)) / 2h;&nbsp; "
                    "dθ_approx = (4·D(ε/2) − D(ε)) / 3 &nbsp;(Richardson)")
            mid = None if J is None else f"= (4 × {fmt(J['D/2'], 10)} − {fmt(J['D'], 10)}) / 3"
        else:
            head = "dθ_approx = (J(θ + ε) − J(θ − ε)) / 2ε"
            mid = None if J is None else f"= ({fmt(J['+'], 12)} − {fmt(J['-'], 12)}) / (2 × {e})"
        lines = [head, f"with ε = {e}", mid or "", f"= <b>{fmt(n)}</b>"]
        if J is None and self._model is not None:
            lines[2] = "(the network has changed since this check: J(θ ± ε) not shown)"
        return "<p>" + "<br>".join(line for line in lines if line) + "</p>"

    def _evaluations(self, report, name, index, method: str, eps: float) -> dict[str, float] | None:
        objective = self._objective_for(report)
        if objective is None or not math.isfinite(eps):
            return None
        shape = report.blocks[name].analytic.shape
        flat = int(np.ravel_multi_index(index, shape))

        def J(delta) -> complex:
            return objective.value(name, flat, delta)[0]

        values: dict[str, float] = {"0": objective.J0}
        if method == "complex":
            values["i"] = float(np.imag(J(complex(0.0, eps))))
        elif method == "forward":
            values["+"] = float(np.real(J(eps)))
        else:
            values["+"], values["-"] = float(np.real(J(eps))), float(np.real(J(-eps)))
            if method == "richardson":
                values["D"] = (values["+"] - values["-"]) / (2 * eps)
                values["D/2"] = (float(np.real(J(eps / 2))) - float(np.real(J(-eps / 2)))) / eps
        self._check_values.update({f"J{k}": v for k, v in values.items()})
        return values

    def _objective_for(self, report: CheckReport):
        """An objective at the model's θ with the report's settings, if it reproduces the
        report's J(θ); None otherwise."""
        if self._model is None:
            return None
        if self._objective is not None and self._objective[0] == id(report):
            return self._objective[1]
        s = report.settings
        model, X, y = self._model
        try:
            with np.errstate(all="ignore"):
                objective = make_objective(
                    model, X, y, dropout=s.get("dropout", "off"), terms=s.get("terms", "all"),
                    loss_scale=s.get("loss_scale", 1.0), seed=s.get("seed", 0),
                )
        except ValueError:
            objective = None
        if objective is not None and not math.isclose(objective.J0, report.loss, rel_tol=1e-12,
                                                       abs_tol=1e-300):
            objective = None
        self._objective = (id(report), objective)
        return objective

    def _report_html(self, report: CheckReport) -> str:
        checked = [(b.numeric[b.checked], b.analytic[b.checked]) for b in report.blocks.values()]
        numeric = np.concatenate([c[0] for c in checked])
        analytic = np.concatenate([c[1] for c in checked])
        top = float(np.linalg.norm(numeric - analytic))
        nn, na = float(np.linalg.norm(numeric)), float(np.linalg.norm(analytic))
        difference = norm_ratio(numeric, analytic)
        status = report.status
        self._check_values.update(difference=difference, norm_diff=top, norm_numeric=nn, norm_analytic=na)
        bands = "<br>".join(
            (f"<b>{_badge(s)}</b> ◀ this check" if s == status else BANDS[s][1])
            for s in BANDS
        )
        failing = report.failing_blocks()
        return (
            f"<h3>The whole check ({report.n_checked} components)</h3>"
            "<p>‖dθ_approx − dθ‖₂ / (‖dθ_approx‖₂ + ‖dθ‖₂)<br>"
            f"= {fmt(top)} / ({fmt(nn)} + {fmt(na)})<br>= <b>{fmt(difference, 3)}</b></p>"
            f"<p>{bands}</p>"
            + (f"<p>Failing blocks: <b>{', '.join(failing)}</b></p>" if failing else "")
        )

    # -- θ³ example ----------------------------------------------------------------------------
    def _update_cube(self) -> None:
        try:
            eps = float(self.epsilon_edit.text())
            if not (math.isfinite(eps) and eps > 0):
                raise ValueError
        except ValueError:
            self.cube_text.setHtml(f"<p>ε must be a number &gt; 0, e.g. 0.01; got "
                                   f"{html.escape(self.epsilon_edit.text())!s}</p>")
            self._cube_values = {}
            return

        def f(t: float) -> float:
            return t**3

        theta = CUBE_THETA
        true = 3 * theta**2
        forward = numeric_derivative(f, theta, eps, "forward")
        centered = numeric_derivative(f, theta, eps, "centered")
        self._cube_values = {"epsilon": eps, "forward": forward, "centered": centered, "true": true}
        t, e = fmt(theta), fmt(eps, 10)
        self.cube_text.setHtml(
            f"<h3>f(θ) = θ³ at θ = {t}</h3>"
            f"<p>true slope g(θ) = 3θ² = <b>{fmt(true)}</b></p>"
            f"<p><b>one-sided</b> (f(θ + ε) − f(θ)) / ε<br>"
            f"= ({fmt(f(theta + eps), 12)} − {fmt(f(theta), 12)}) / {e}<br>"
            f"= <b>{fmt(forward, 10)}</b> &nbsp; error {fmt(abs(forward - true), 3)} &nbsp;(O(ε))</p>"
            f"<p><b>centered</b> (f(θ + ε) − f(θ − ε)) / 2ε<br>"
            f"= ({fmt(f(theta + eps), 12)} − {fmt(f(theta - eps), 12)}) / (2 × {e})<br>"
            f"= <b>{fmt(centered, 10)}</b> &nbsp; error {fmt(abs(centered - true), 3)} &nbsp;(O(ε²))</p>"
            "<p>Two evaluations per component instead of one, and far more accurate.</p>"
        )
