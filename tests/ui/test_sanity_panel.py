"""The sanity checks and the check's cost, run from the app in workers: the results as the
engine computes them at the trainer's initial θ, the regularization term apart, the overfit curve,
and the cost figures side by side."""

import math

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel, QTableWidget

from gradviz.core.teach.cost import REFERENCE_SAMPLE
from gradviz.core.teach.sanity import RegularizationRow


@pytest.fixture
def dock(window):
    window.classroom.actions["sanity"].trigger()
    return window.classroom


def run_sanity(qtbot, user, panel):
    with qtbot.waitSignal(panel.finished, timeout=30_000) as blocker:
        user.click("runSanityButton")
    return blocker.args[0]


def test_sanity_checks_at_the_networks_own_initial_theta(qtbot, user, window, dock):
    initial = {k: v.copy() for k, v in window.problem.net.params.items()}
    window.training_panel.step_once()  # training moved θ: the checks still start from the init
    results = run_sanity(qtbot, user, dock.sanity)
    assert [r.name for r in results] == ["initial loss", "regularization", "overfit a tiny subset"]
    first, reg, overfit = results
    problem = window.problem
    X, labels = problem.X, problem.y
    scores = initial["W2"] @ np.maximum(initial["W1"] @ X + initial["b1"], 0) + initial["b2"]
    shifted = scores - scores.max(axis=0)
    data_loss = np.mean(np.log(np.exp(shifted).sum(axis=0)) - shifted[labels, np.arange(labels.size)])
    assert first.observed == pytest.approx(data_loss)
    assert first.expected == pytest.approx(math.log(3))
    squares = float((initial["W1"] ** 2).sum() + (initial["W2"] ** 2).sum())
    m = X.shape[1]
    assert [(r.l2, r.reg) for r in reg.rows] == [
        (l2, pytest.approx(l2 / (2 * m) * squares)) for l2 in (0.0, 0.1, 1.0, 10.0)]
    table = user.find(QTableWidget, "regularizationTable")
    assert table.rowCount() == 4
    assert table.item(3, 2).text() == f"{reg.rows[3].reg:.4g}"
    assert table.item(3, 3).text() == f"{reg.rows[3].total:.4g}"
    assert isinstance(reg.rows[0], RegularizationRow)
    assert overfit.ok
    xs, ys = dock.sanity.curve.getOriginalDataset()
    assert len(xs) == overfit.curve.size
    assert ys[-1] == pytest.approx(overfit.observed)
    for name in ("initialLossResult", "regularizationResult", "overfitResult"):
        assert user.find(QLabel, name).text()
    assert dock.sanity.status.text().startswith(f"{sum(r.ok for r in results)} of 3 as expected.")


def test_he_init_drifts_from_ln_c_in_the_app(qtbot, user, window, dock):
    user.choose("initCombo", "small")
    small = run_sanity(qtbot, user, dock.sanity)[0]
    assert small.ok
    user.choose("initCombo", "he")
    he = run_sanity(qtbot, user, dock.sanity)[0]
    assert not he.ok
    assert he.observed > 1.1 * math.log(3)
    assert "LOOK" in user.find(QLabel, "initialLossResult").text()
    assert "init 'he'" in he.message


def test_the_cost_of_a_check_side_by_side(qtbot, user, window, dock):
    with qtbot.waitSignal(dock.cost.measured, timeout=60_000) as blocker:
        user.click("measureCostButton")
    cost = blocker.args[0]
    assert cost.n_params == window.problem.net.spec.n_params
    assert cost.backprop > 0
    sizes = [v.size for v in window.problem.net.params.values()]
    assert cost.reference_components == sum(min(n, REFERENCE_SAMPLE) for n in sizes)
    assert cost.fast is not None
    text = user.find(QLabel, "checkCostLabel").text()
    assert "(measured)" in text
    assert "scaled to all" in text
    assert "for debugging" in text
