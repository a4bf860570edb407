"""Conclusions backed by error bounds, on models written here: a true gradient of 0 at the noise
floor, truncation told apart by the second step, kinks read from J alone, gradients of 1e-170,
a random loss, a correct net at a coarse step or in float32 — never a bug — while planted bugs
stay bugs; a diverged network is refused."""

import json

import numpy as np
import pytest
from helpers import make_data, make_spec, numeric_gradient, rel_error

from gradviz.core import BlockResult, Network, diagnose_report, gradient_check
from gradviz.core.report.check_report import (
    COMPONENT_KINDS,
    KINK,
    MISMATCH,
    NOISE_FLOOR,
    TRUNCATION,
    CheckReport,
    norm_ratio,
)
from gradviz.core.report.table import format_report

BN_EPS = 1e-5


def softmax_loss(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of scores (N, C) and its gradient."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    prob = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    N = scores.shape[0]
    dscores = prob.copy()
    dscores[np.arange(N), y] -= 1
    return float(-np.log(prob[np.arange(N), y]).mean()), dscores / N


class BatchNormNet:
    """CS231n layout, X (N, D): affine (W1, b1) → batchnorm (gamma1, beta1) → tanh → affine
    (W2, b2) → softmax. b1 sits right before the normalization: its true gradient is 0."""

    def __init__(self, N=4, D=3, H=5, C=3, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
                       "gamma1": 1 + 0.1 * rng.standard_normal(H), "beta1": 0.1 * rng.standard_normal(H),
                       "W2": rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C)}
        self.X, self.y = rng.standard_normal((N, D)), rng.integers(0, C, N)

    def loss(self, X, y):
        p = self.params
        h = X @ p["W1"] + p["b1"]
        centered = h - h.mean(axis=0)
        std = np.sqrt((centered**2).mean(axis=0) + BN_EPS)
        xhat = centered / std
        a = np.tanh(p["gamma1"] * xhat + p["beta1"])
        J, ds = softmax_loss(a @ p["W2"] + p["b2"], y)
        dz = (ds @ p["W2"].T) * (1 - a * a)
        dxhat = dz * p["gamma1"]
        dh = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
        return J, {"W1": X.T @ dh, "b1": dh.sum(axis=0), "gamma1": (dz * xhat).sum(axis=0),
                   "beta1": dz.sum(axis=0), "W2": a.T @ ds, "b2": ds.sum(axis=0)}


def curved_batchnorm_net() -> BatchNormNet:
    """Two examples of large inputs, and one unit whose two pre-activations differ by about
    2·sqrt(ε_bn): batchnorm is very curved there (as in CS231n's two-example checks)."""
    net = BatchNormNet(N=2, D=4, H=6)
    net.X *= 10
    dx = net.X[0] - net.X[1]
    net.params["W1"] *= 1e-2
    net.params["W1"][:, 0] = 2 * np.sqrt(BN_EPS) * dx / (dx @ dx)
    return net


class ReluNet:
    """X (N, D) → affine → ReLU → affine → softmax, with the pre-activation of example 0,
    unit 1 placed ``near`` above its kink."""

    def __init__(self, near=3e-8, N=3, D=4, H=5, C=3, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": 0.5 * rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
                       "W2": 0.5 * rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C)}
        self.X, self.y = rng.standard_normal((N, D)), rng.integers(0, C, N)
        h = self.X[0] @ self.params["W1"] + self.params["b1"]
        self.params["b1"][1] += near - h[1]

    def loss(self, X, y):
        p = self.params
        h = X @ p["W1"] + p["b1"]
        a = np.maximum(h, 0)
        J, ds = softmax_loss(a @ p["W2"] + p["b2"], y)
        dh = (ds @ p["W2"].T) * (h > 0)
        return J, {"W1": X.T @ dh, "b1": dh.sum(axis=0), "W2": a.T @ ds, "b2": ds.sum(axis=0)}


class TinyLossNet:
    """Course layout: tanh hidden layer, squared error, J and every gradient times ``scale``;
    ``doubled`` makes dW2 twice what it should be; ``keep_prob`` < 1 adds unseeded dropout."""

    def __init__(self, scale=1.0, doubled=False, keep_prob=1.0, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.standard_normal((4, 3)), "b1": 0.1 * rng.standard_normal((4, 1)),
                       "W2": rng.standard_normal((2, 4)), "b2": 0.1 * rng.standard_normal((2, 1))}
        self.scale, self.doubled, self.keep_prob = scale, doubled, keep_prob
        self.X, self.y = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))

    def loss(self, X, y):
        p, m = self.params, X.shape[1]
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        mask = np.random.rand(*A1.shape) < self.keep_prob  # noqa: NPY002 (unseeded, as in notebooks)
        A1d = A1 * mask / self.keep_prob
        out = p["W2"] @ A1d + p["b2"]
        dZ2 = (out - y) / m
        dZ1 = (p["W2"].T @ dZ2) * mask / self.keep_prob * (1 - A1**2)
        grads = {"W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True),
                 "W2": dZ2 @ A1d.T * (2 if self.doubled else 1), "b2": dZ2.sum(axis=1, keepdims=True)}
        J = np.sum((out - y) ** 2) / (2 * m)
        return J * self.scale, {k: g * self.scale for k, g in grads.items()}


def kind_counts(block) -> dict[str, int]:
    counts = np.bincount(block.kinds.ravel(), minlength=len(COMPONENT_KINDS))
    return {COMPONENT_KINDS[k]: int(n) for k, n in enumerate(counts) if n}


@pytest.mark.parametrize("model", [BatchNormNet(), ReluNet(near=0.3), TinyLossNet()])
def test_the_models_here_have_the_gradients_they_claim(model):
    # the yardstick for everything below: backward agrees with centered differences
    _, grads = model.loss(model.X, model.y)
    for name, theta in model.params.items():
        expected = numeric_gradient(lambda: model.loss(model.X, model.y)[0], theta, h=1e-6)
        assert rel_error(grads[name], expected) < 1e-6 or np.max(np.abs(grads[name])) < 1e-9, name


# -- a true gradient of 0: the noise floor ------------------------------------------------------
def test_a_bias_before_batchnorm_is_at_the_noise_floor_not_failing():
    net = BatchNormNet()
    report = gradient_check(net, net.X, net.y)
    b1 = report.blocks["b1"]
    assert np.max(np.abs(b1.analytic)) < 1e-12  # both sides are rounding
    assert b1.difference > 0.5
    assert report.conclusion == "correct"
    assert report.failing_blocks() == []
    assert np.all(b1.kinds == NOISE_FLOOR)
    assert "b1" in report.explained_blocks()
    assert "db1 is 0 within rounding on both sides" in report.explained_blocks()["b1"]
    assert report.summary()[0].startswith("correct: ")


# -- truncation: the second step ----------------------------------------------------------------
def test_a_curved_batchnorm_at_h_1e5_is_truncation_shown_by_the_second_step():
    net = curved_batchnorm_net()
    report = gradient_check(net, net.X, net.y, epsilon=1e-5)
    assert report.status == "worry"  # the lectures' number says "a bug is likely" ...
    assert report.conclusion == "inconclusive"  # ... the error bounds say it is not shown
    assert report.failing_blocks() == []
    assert report.settings["second_epsilon"] == pytest.approx(2.5e-6)
    W1 = report.blocks["W1"]
    truncated = W1.kinds == TRUNCATION
    assert truncated[:, 0].all()  # the curved unit's column
    first = np.abs(W1.analytic - W1.numeric)[truncated]
    second = np.abs(W1.analytic - W1.numeric_second)[truncated]
    np.testing.assert_allclose(first / second, 16, rtol=0.05)  # ε/4 → error/16: ε²
    assert np.isnan(W1.numeric_second[~truncated & (W1.kinds != MISMATCH)]).all()
    assert report.blocks["W1"].diagnosis.kind == "truncation"
    assert "falls as ε²" in report.explained_blocks()["W1"]
    assert "use a smaller ε" in report.conclusion_reason
    # and the next smaller step agrees (the lectures' difference falls 100× for 10× smaller ε)
    assert gradient_check(net, net.X, net.y, epsilon=1e-6).difference < report.difference / 50


# -- kinks from J alone -------------------------------------------------------------------------
def test_a_relu_pre_activation_3e8_from_its_kink_is_a_kink_read_from_J():
    net = ReluNet(near=3e-8)
    report = gradient_check(net, net.X, net.y, epsilon=1e-6)
    assert report.failing_blocks() == []
    assert report.conclusion != "bug"
    # exactly the components whose ±ε steps move unit 1 of example 0 across 0
    np.testing.assert_array_equal(np.argwhere(report.blocks["W1"].kink)[:, 1], [1, 1, 1, 1])
    np.testing.assert_array_equal(report.blocks["b1"].kink, [False, True, False, False, False])
    assert np.all(report.blocks["W1"].kinds[:, 1] == KINK)
    assert report.blocks["b1"].diagnosis.kind == "kink"
    assert "one-sided slopes" in report.explained_blocks()["b1"]


def test_a_bug_beside_a_kink_is_still_a_bug():
    net = ReluNet(near=3e-8)
    wrong = TinyLossNet.__new__(TinyLossNet)  # any object with params and loss will do

    def loss(X, y):
        J, grads = net.loss(X, y)
        return J, {**grads, "W2": 2 * grads["W2"]}

    wrong.params, wrong.loss = net.params, loss
    report = gradient_check(wrong, net.X, net.y, epsilon=1e-6)
    assert report.conclusion == "bug"
    assert report.failing_blocks() == ["W2"]
    assert report.blocks["W2"].diagnosis.factor == pytest.approx(2.0, abs=1e-6)


# -- gradients of 1e-170 ------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e-170, 1e170])
def test_tiny_or_huge_gradients_keep_their_verdicts(scale):
    correct, doubled = TinyLossNet(scale), TinyLossNet(scale, doubled=True)
    report = gradient_check(correct, correct.X, correct.y)
    assert report.conclusion == "correct"
    assert report.difference < 1e-7
    buggy = gradient_check(doubled, doubled.X, doubled.y)
    assert buggy.difference == pytest.approx(gradient_check(TinyLossNet(doubled=True), doubled.X,
                                                            doubled.y).difference, rel=1e-6)
    assert buggy.conclusion == "bug"
    assert buggy.failing_blocks() == ["W2"]
    assert buggy.blocks["W2"].diagnosis.factor == pytest.approx(2.0, abs=1e-6)


def test_norm_ratio_neither_underflows_nor_overflows():
    a = np.array([3.0, -4.0, 1.0])
    for scale in (1e-170, 1e-300, 1.0, 1e170, 1e300):
        assert norm_ratio(2 * a * scale, a * scale) == pytest.approx(1 / 3, rel=1e-12)


# -- a random loss ------------------------------------------------------------------------------
def test_an_unseeded_dropout_model_is_inconclusive_and_blames_no_layer():
    net = TinyLossNet(keep_prob=0.8)
    report = gradient_check(net, net.X, net.y)
    assert report.random_loss
    assert report.conclusion == "inconclusive"
    assert report.conclusion_reason.startswith("the loss is random")
    assert report.failing_blocks() == []
    assert all(b.diagnosis is None or not b.diagnosis.is_bug for b in report.blocks.values())
    assert not any("enters backprop" in line for line in report.summary())
    assert not report.n_kinks  # slopes of a random J mean nothing


# -- the built-in net at a coarse step, in float32 --------------------------------------------
@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_a_tanh_net_at_1e2_is_not_a_bug_unless_it_has_one(engine):
    spec = make_spec((4, 4), "tanh")
    X, y = make_data(spec, 4, np.random.default_rng(1))
    net = Network(spec)
    report = gradient_check(net, X, y, epsilon=1e-2, engine=engine)
    assert report.status in ("worry", "wrong")
    assert report.conclusion == "inconclusive"
    assert report.failing_blocks() == []
    assert {b.diagnosis.kind for b in report.blocks.values() if b.diagnosis} == {"truncation"}
    net.inject_bug("dW_x2", 2)
    buggy = gradient_check(net, X, y, epsilon=1e-2, engine=engine)
    assert buggy.conclusion == "bug"
    assert buggy.failing_blocks() == ["W2"]
    assert buggy.blocks["W2"].diagnosis.factor == pytest.approx(2.0, abs=1e-3)


@pytest.mark.parametrize("epsilon", [1e-7, 1e-3, 1e-2])
def test_a_correct_float32_net_is_never_a_bug(epsilon):
    spec = make_spec((5, 4), "tanh", dtype="float32")
    X, y = make_data(spec, 4, np.random.default_rng(2))
    report = gradient_check(Network(spec), X, y, epsilon=epsilon)
    assert report.conclusion != "bug"
    assert report.failing_blocks() == []


# -- what the diagnosis may and may not claim ---------------------------------------------------
def test_a_half_present_l2_term_is_half_what_J_implies():
    spec = make_spec((4, 4), "tanh", l2=0.3)
    X, y = make_data(spec, 4, np.random.default_rng(1))
    net = Network(spec)
    report = gradient_check(net, X, y)
    m, W2 = X.shape[1], net.params["W2"]
    half = {k: BlockResult(k, b.analytic - (0.5 * 0.3 / m * W2 if k == "W2" else 0), b.numeric, b.kink)
            for k, b in report.blocks.items()}
    rebuilt = CheckReport(half, dict(report.settings), loss=report.loss)
    found = diagnose_report(rebuilt, spec=spec, params=net.params, m=m)
    assert found["W2"].kind == "wrong_regularization"
    assert found["W2"].factor == pytest.approx(0.5, abs=1e-6)
    assert found["W2"].message.endswith("the regularization gradient in dW2 is half what J implies")
    assert "missing" not in found["W2"].message
    assert rebuilt.failing_blocks() == ["W2"]


class FrozenDropoutNet(TinyLossNet):
    """TinyLossNet with one seeded dropout mask, forgotten in backprop (``bug``)."""

    def __init__(self, bug: bool):
        super().__init__()
        self.mask = np.random.default_rng(5).random((4, 5)) < 0.7
        self.bug = bug

    def loss(self, X, y):
        p, m = self.params, X.shape[1]
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        A1d = A1 * self.mask / 0.7
        out = p["W2"] @ A1d + p["b2"]
        dZ2 = (out - y) / m
        dA1 = p["W2"].T @ dZ2 * (1 if self.bug else self.mask) / 0.7
        dZ1 = dA1 * (1 - A1**2)
        return np.sum((out - y) ** 2) / (2 * m), {
            "W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True), "W2": dZ2 @ A1d.T,
            "b2": dZ2.sum(axis=1, keepdims=True)}


def test_a_dropout_bug_in_a_user_model_names_its_layer_not_a_cause():
    correct = FrozenDropoutNet(bug=False)
    assert gradient_check(correct, correct.X, correct.y).conclusion == "correct"
    buggy = FrozenDropoutNet(bug=True)
    report = gradient_check(buggy, buggy.X, buggy.y)
    assert report.conclusion == "bug"
    assert report.failing_blocks() == ["W1", "b1"]
    message = report.blocks["W1"].diagnosis.message
    assert "the error enters backprop at layer 1" in message
    assert "activation" not in message  # gradviz cannot know what the user's layer 1 holds


# -- refused: a diverged network --------------------------------------------------------------
def test_a_diverged_network_is_refused():
    spec = make_spec((3,), "tanh")
    X, y = make_data(spec, 3, np.random.default_rng(0))
    net = Network(spec)
    net.params["W1"][0, 0] = np.inf
    with pytest.raises(ValueError, match="training diverged: W1 hold NaN or Inf"):
        gradient_check(net, X, y)
    model = TinyLossNet(scale=np.inf)
    with pytest.raises(ValueError, match="the loss is inf at θ"):
        gradient_check(model, model.X, model.y)


# -- what the reports say -----------------------------------------------------------------------
def test_the_json_carries_the_conclusion_kinds_and_both_steps():
    net = curved_batchnorm_net()
    report = gradient_check(net, net.X, net.y, epsilon=1e-5)
    data = json.loads(report.to_json())
    assert data["conclusion"] == "inconclusive"
    assert data["conclusion_reason"] == report.conclusion_reason
    assert set(data["explained_blocks"]) == {"W1", "b1"}
    assert data["failing_blocks"] == []
    assert data["blocks"]["W1"]["kinds"][0][0] == "truncation"
    assert "noise_floor" in data["blocks"]["b1"]["kinds"]
    assert set(data["blocks"]["b1"]["kinds"]) <= {"noise_floor", "agrees"}
    assert data["settings"]["second_epsilon"] == 2.5e-6
    again = CheckReport.from_dict(data)
    np.testing.assert_array_equal(again.blocks["W1"].kinds, report.blocks["W1"].kinds)
    np.testing.assert_array_equal(again.blocks["W1"].numeric_second, report.blocks["W1"].numeric_second)
    assert again.conclusion == "inconclusive"
    assert again.headline() == report.headline()


def test_the_table_marks_failing_and_explained_rows_and_ends_with_the_conclusion():
    spec = make_spec((4, 4), "tanh")
    X, y = make_data(spec, 4, np.random.default_rng(1))
    net = Network(spec)
    net.inject_bug("dW_x2", 2)
    text = format_report(gradient_check(net, X, y, epsilon=1e-2))
    rows = {line.split()[0]: line.split()[-1] for line in text.splitlines()[1:7]}
    assert rows["W2"] == "FAIL"
    assert rows["W1"] == "explained"
    assert text.splitlines()[-1].startswith("bug: dW2 disagrees with the numeric gradient")
    listed = text.split("worst components:\n")[1].splitlines()[:-1]
    assert len(listed) == 5
    assert all(line.startswith("  W2[") and line.endswith("(mismatch)") for line in listed)
    report = gradient_check(Network(spec), X, y)
    assert format_report(report).splitlines()[-1] == report.headline()
    assert report.headline().startswith("correct: ")
    assert kind_counts(report.blocks["W1"]) == {"agrees": 12}
