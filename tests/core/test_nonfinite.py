"""A J that is NaN or Inf at θ ± ε (a log of 0 at a perturbed point, a float16 overflow) leaves
the components there without a numeric gradient: "inconclusive" naming the block, the index and
what to change, never "bug"; a backprop gradient that is NaN or Inf where J is finite around θ
is a bug."""

import json

import numpy as np
import pytest

import gradviz
from gradviz.core.report.check_report import COMPONENT_KINDS, NONFINITE
from gradviz.core.report.table import format_report


class LogBarrier:
    """J = −Σ log(w) + Σ w²/2 with w[1] = 1e-8: at ε ≥ 1e-8 the step θ − ε leaves the loss's
    domain (log of 0 or of a negative: NaN or −Inf inside, J NaN or Inf)."""

    def __init__(self, dtype=np.float64):
        self.params = {"w": np.array([0.5, 1e-8, 2.0], dtype=dtype)}

    def loss(self, X, y):
        w = self.params["w"]
        with np.errstate(divide="ignore", invalid="ignore"):
            J = -np.sum(np.log(w)) + 0.5 * np.sum(w * w)
        return float(J), {"w": -1 / w + w}


class Float16Exp:
    """J = Σ exp(w) in float16, w[0] one float16 step below where exp overflows (65504)."""

    def __init__(self):
        self.params = {"w": np.array([11.0859375, 1.0, -0.5], dtype=np.float16)}

    def loss(self, X, y):
        with np.errstate(over="ignore"):
            e = np.exp(self.params["w"])
            J = np.sum(e, dtype=np.float16)
        return float(J), {"w": e}


class InfBackprop(LogBarrier):
    """J = Σ w²/2, defined everywhere; backprop returns Inf for w[2]."""

    def loss(self, X, y):
        w = self.params["w"]
        return float(0.5 * np.sum(w * w)), {"w": w * np.array([1.0, 1.0, np.inf])}


def test_the_models_here_have_the_gradients_they_claim():
    barrier, w = LogBarrier(), np.array([0.5, 1e-8, 2.0])
    for i in range(3):
        step = np.eye(3)[i] * 1e-4 * w[i]  # within the domain around w[1]
        h = step[i]
        numeric = (-np.sum(np.log(w + step)) + 0.5 * np.sum((w + step) ** 2)
                   + np.sum(np.log(w - step)) - 0.5 * np.sum((w - step) ** 2)) / (2 * h)
        claimed = barrier.loss(None, None)[1]["w"][i]
        assert abs(claimed - numeric) <= 1e-3 * abs(numeric)
    exp16 = Float16Exp()
    expected = np.exp(exp16.params["w"].astype(np.float64))
    np.testing.assert_allclose(exp16.loss(None, None)[1]["w"], expected, rtol=1e-3)


def test_a_loss_undefined_at_theta_minus_eps_is_inconclusive_naming_block_index_and_fix():
    report = gradviz.gradient_check(LogBarrier(), None, None, epsilon=1e-7)
    assert report.conclusion == "inconclusive"
    assert report.failing_blocks() == []
    assert list(report.explained_blocks()) == ["w"]
    assert COMPONENT_KINDS[report.blocks["w"].kinds[1]] == "nonfinite"
    assert [COMPONENT_KINDS[k] for k in report.blocks["w"].kinds[[0, 2]]] == ["agrees"] * 2
    reason = report.conclusion_reason
    assert "w[1]" in reason
    assert "NaN or Inf" in reason
    assert "smaller ε" in reason
    assert "domain" in reason
    assert report.blocks["w"].diagnosis.kind == "nonfinite"
    assert report.summary()[0].startswith("inconclusive: J was NaN or Inf at θ ± ε for w[1]")


def test_a_smaller_step_inside_the_domain_makes_the_same_model_correct():
    report = gradviz.gradient_check(LogBarrier(), None, None, epsilon=1e-12)
    assert report.conclusion == "correct", report.headline()


def test_a_bug_beside_a_nonfinite_component_is_still_a_bug():
    class Doubled(LogBarrier):
        def loss(self, X, y):
            J, grads = super().loss(X, y)
            return J, {"w": grads["w"] * np.array([2.0, 1.0, 1.0])}

    report = gradviz.gradient_check(Doubled(), None, None)
    assert report.conclusion == "bug"
    assert report.failing_blocks() == ["w"]
    assert report.blocks["w"].kinds[0] != NONFINITE
    assert report.blocks["w"].kinds[1] == NONFINITE


def test_an_inf_backprop_gradient_with_a_finite_numeric_one_is_a_bug():
    report = gradviz.gradient_check(InfBackprop(), None, None)
    assert report.conclusion == "bug"
    assert report.failing_blocks() == ["w"]
    assert COMPONENT_KINDS[report.blocks["w"].kinds[2]] == "mismatch"


def test_a_float16_loss_that_overflows_at_theta_plus_eps_is_inconclusive_use_float32():
    report = gradviz.gradient_check(Float16Exp(), None, None, epsilon=1e-2)
    assert np.isinf(report.blocks["w"].numeric[0])
    assert report.conclusion == "inconclusive"
    assert report.failing_blocks() == []
    assert "w[0]" in report.conclusion_reason
    assert "use float32 or float64" in report.conclusion_reason


def test_json_and_the_table_carry_the_nonfinite_kind_and_reason():
    report = gradviz.gradient_check(LogBarrier(), None, None)
    data = json.loads(report.to_json())
    assert data["conclusion"] == "inconclusive"
    assert data["failing_blocks"] == []
    assert data["blocks"]["w"]["kinds"][1] == "nonfinite"
    assert "w[1]" in data["conclusion_reason"]
    text = format_report(report)
    assert text.splitlines()[-1] == report.headline()
    assert "FAIL" not in text
    again = gradviz.core.report.check_report.CheckReport.from_dict(data)
    assert again.blocks["w"].kinds[1] == NONFINITE


@pytest.mark.parametrize("epsilon", [1e-7, 1e-4])
def test_a_second_step_that_leaves_the_domain_is_nonfinite_not_a_bug(epsilon):
    """w[1] = 3ε: the first step stays inside the domain, where the log is so curved that the
    error is truncation; the second step (4ε or ε/4) tells, or leaves the domain."""
    model = LogBarrier()
    model.params["w"][1] = 3 * epsilon
    report = gradviz.gradient_check(model, None, None, epsilon=epsilon)
    assert report.conclusion != "bug", report.headline()
    assert report.failing_blocks() == []
