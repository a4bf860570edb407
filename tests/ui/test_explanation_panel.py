"""The explanation panel: the formulas carry the report's own numbers, J(θ ± ε) reproduce
dθ_approx, each method gets its own formula, and the θ³ example gives the lecture's values."""

import math
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.model.network import Network
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.ui.classroom.explanation_panel import ExplanationPanel, fmt

NUMBER = r"([−-]?\d+(?:\.\d+)?)(?: × 10([−-]?\d+))?|10([−-]?\d+)"


def number(text: str) -> float:
    """Parse a number as the panel prints it: 0.117065, 1.5 × 10−7 or 10−7."""
    match = re.fullmatch(NUMBER, text.strip())
    assert match, f"not a number: {text!r}"
    mantissa, exponent, power = (g and g.replace("−", "-") for g in match.groups())
    if power is not None:
        return 10.0 ** int(power)
    return float(mantissa) * (10.0 ** int(exponent) if exponent else 1.0)


def after(text: str, prefix: str) -> str:
    """The rest of the first line of ``text`` starting with ``prefix``."""
    for line in text.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):]
    raise AssertionError(f"no line starts with {prefix!r} in:\n{text}")


@pytest.fixture
def problem(rng):
    spec = NetworkSpec(3, [LayerSpec(4, "tanh"), LayerSpec(3, "linear")], l2=0.1)
    net = Network(spec)
    net.inject_bug("dW_x2", 2)
    return net, rng.normal(size=(3, 5)), rng.integers(0, 3, 5)


@pytest.fixture
def panel(qtbot):
    widget = ExplanationPanel()
    qtbot.addWidget(widget)
    return widget


def test_component_numbers_are_the_reports(panel, problem):
    net, X, y = problem
    report = gradient_check(net, X, y)
    panel.set_model(net, X, y)
    panel.set_component(report, "W2", (1, 2))
    text = panel.check_text.toPlainText()
    block = report.blocks["W2"]
    lines = text.splitlines()
    formula = lines.index("dθ_approx = (J(θ + ε) − J(θ − ε)) / 2ε")
    assert number(after(lines[formula + 1], "with ε = ")) == 1e-7
    assert number(lines[formula + 3].removeprefix("= ")) == pytest.approx(block.numeric[1, 2], rel=1e-5)
    assert number(lines[lines.index("dθ (backprop)") + 1]) == pytest.approx(block.analytic[1, 2], rel=1e-5)
    shown = number(lines[lines.index("dθ_approx (numeric)") + 1])
    assert shown == pytest.approx(block.numeric[1, 2], rel=1e-5)
    rel = lines[next(i for i, t in enumerate(lines) if t.startswith("relative error")) + 2]
    assert number(rel.removeprefix("= ")) == pytest.approx(block.rel_error[1, 2], rel=1e-2)
    ratio = lines[next(i for i, t in enumerate(lines) if t.startswith("‖dθ_approx − dθ‖₂")) + 2]
    assert number(ratio.removeprefix("= ")) == pytest.approx(report.difference, rel=1e-2)
    assert "wrong: backprop disagrees ◀ this check" in text.replace("\xa0", " ").replace("  ", " ")
    assert "Failing blocks: W2" in text


def test_plugged_in_J_values_reproduce_the_numeric_gradient(panel, problem):
    net, X, y = problem
    report = gradient_check(net, X, y, epsilon=1e-5)
    panel.set_model(net, X, y)
    panel.set_component(report, "b1", 2)  # a flat index
    v = panel.check_values()
    assert v["numeric"] == report.blocks["b1"].numeric[2, 0]
    # the check may evaluate J by a faster path: equal up to rounding in J (~1e-16 / ε)
    assert (v["J+"] - v["J-"]) / (2 * 1e-5) == pytest.approx(v["numeric"], rel=1e-8)
    assert v["J0"] == report.loss
    assert f"({fmt(v['J+'], 12)} − {fmt(v['J-'], 12)})" in panel.check_text.toHtml().replace("&nbsp;", " ")


@pytest.mark.parametrize(("method", "formula"), [
    ("forward", "(J(θ + ε) − J(θ)) / ε"),
    ("complex", "Im J(θ + iε) / ε"),
    ("richardson", "(4·D(ε/2) − D(ε)) / 3"),
])
def test_each_method_shows_its_own_formula_with_matching_numbers(panel, problem, method, formula):
    net, X, y = problem
    eps = 1e-20 if method == "complex" else 1e-4
    report = gradient_check(net, X, y, method=method, epsilon=eps)
    panel.set_model(net, X, y)
    panel.set_component(report, "W1", (0, 1))
    assert formula in panel.check_text.toPlainText()
    v = panel.check_values()
    numeric = report.blocks["W1"].numeric[0, 1]
    rebuilt = {
        "forward": lambda: (v["J+"] - v["J0"]) / eps,
        "complex": lambda: v["Ji"] / eps,
        "richardson": lambda: (4 * v["JD/2"] - v["JD"]) / 3,
    }[method]()
    assert rebuilt == pytest.approx(numeric, rel=1e-8)


def test_without_a_model_or_after_theta_moved_no_J_values_are_invented(panel, problem):
    net, X, y = problem
    report = gradient_check(net, X, y)
    panel.set_component(report, "W2", (0, 0))
    assert "J+" not in panel.check_values()
    assert not any(line.startswith("= (") for line in panel.check_text.toPlainText().splitlines())
    net.params["W1"] += 0.1  # training moved θ since the check
    panel.set_model(net, X, y)
    assert "J+" not in panel.check_values()
    assert "has changed since this check" in panel.check_text.toPlainText()


def test_sampled_out_component_and_bad_input(panel, problem):
    net, X, y = problem
    report = gradient_check(net, X, y, sample=1, seed=3)
    block = report.blocks["W1"]
    unchecked = tuple(int(i) for i in np.argwhere(~block.checked)[0])
    panel.set_component(report, "W1", unchecked)
    assert "Not checked" in panel.check_text.toPlainText()
    with pytest.raises(ValueError, match="block must be one of"):
        panel.set_component(report, "W9", 0)
    with pytest.raises(ValueError, match="index must lie within"):
        panel.set_component(report, "W1", (9, 9))


def test_set_report_alone_shows_the_whole_check(panel, problem):
    net, X, y = problem
    net.clear_bug()
    report = gradient_check(net, X, y)
    panel.set_report(report)
    text = panel.check_text.toPlainText()
    assert "Component" not in text
    assert f"The whole check ({report.n_checked} components)" in text
    assert panel.check_values()["difference"] == pytest.approx(report.difference, rel=1e-12)


def test_cube_example_gives_the_lectures_numbers(qtbot, panel):
    panel.show_cube()
    text = panel.cube_text.toPlainText()
    assert "= 3.0301" in text
    assert "= 3.0001" in text
    assert panel.tabs.currentIndex() == 1
    panel.epsilon_edit.setFocus()
    qtbot.keyClick(panel.epsilon_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.epsilon_edit, "1e-3")
    qtbot.keyClick(panel.epsilon_edit, Qt.Key.Key_Return)
    v = panel.cube_values()
    assert v["epsilon"] == 1e-3
    assert math.isclose(v["centered"], 3.000001, rel_tol=1e-9)
    assert math.isclose(v["forward"], 3.003001, rel_tol=1e-9)
    assert "3.000001" in panel.cube_text.toPlainText()
    panel.epsilon_edit.setText("zero")
    panel.show_cube()
    assert "ε must be a number" in panel.cube_text.toPlainText()
    assert panel.cube_values() == {}


def test_fmt_writes_powers_of_ten_with_real_minus_signs():
    assert fmt(3.0001) == "3.0001"
    assert fmt(1e-7) == "10<sup>−7</sup>"
    assert fmt(-2.5e-9) == "−2.5 × 10<sup>−9</sup>"
    assert fmt(float("nan")) == "NaN"
    assert number("−2.5 × 10−9") == -2.5e-9


def test_a_closed_panel_in_a_shown_window_renders_when_it_opens(qtbot, problem):
    from PySide6.QtWidgets import QTabWidget

    net, X, y = problem
    report = gradient_check(net, X, y)
    window = QTabWidget()  # the panel sits on a tab that is not the current one
    qtbot.addWidget(window)
    window.addTab(ExplanationPanel(), "explanation")
    window.addTab(QTabWidget(), "other")
    panel = window.widget(0)
    window.setCurrentIndex(1)
    window.show()
    qtbot.waitExposed(window)
    panel.set_model(net, X, y)
    panel.set_report(report)
    assert "The whole check" not in panel.check_text.toPlainText()  # not rendered yet
    window.setCurrentIndex(0)
    assert f"The whole check ({report.n_checked} components)" in panel.check_text.toPlainText()
    panel.set_report(None)
    window.setCurrentIndex(1)
    panel.set_report(report)
    assert panel.check_values()["difference"] == pytest.approx(report.difference)  # asked: rendered
