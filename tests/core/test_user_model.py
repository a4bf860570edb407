"""The model protocol: a CS231n-style FullyConnectedNet written here (X (m, D), W1 (D, H), b1 (H,),
loss(X, y) -> (loss, grads)) is checked by gradviz.gradient_check without changes."""

import numpy as np
import pytest
from helpers import snapshot

import gradviz


class FullyConnectedNet:
    """affine - relu - ... - affine - softmax, L2 as 0.5·reg·Σ‖W‖², optional dropout (a fresh
    mask on every call, as in training)."""

    def __init__(self, hidden_dims, input_dim=4, num_classes=3, reg=0.1, keep=1.0, seed=0):
        rng = np.random.default_rng(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(len(dims) - 1):
            self.params[f"W{i + 1}"] = rng.standard_normal((dims[i], dims[i + 1])) / np.sqrt(dims[i])
            self.params[f"b{i + 1}"] = 0.1 * rng.standard_normal(dims[i + 1])
        self.num_layers, self.reg, self.keep = len(dims) - 1, reg, keep
        self.dropout_rng = np.random.default_rng(seed + 1)

    def loss(self, X, y):
        caches, h = [], X
        for i in range(1, self.num_layers):
            z = h @ self.params[f"W{i}"] + self.params[f"b{i}"]
            out = np.maximum(0, z)
            mask = (self.dropout_rng.random(out.shape) < self.keep) / self.keep if self.keep < 1 else 1.0
            caches.append((h, z, mask))
            h = out * mask
        L = self.num_layers
        scores = h @ self.params[f"W{L}"] + self.params[f"b{L}"]
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(probs[np.arange(N), y]).mean()
        loss += 0.5 * self.reg * sum(np.sum(self.params[f"W{i}"] ** 2) for i in range(1, L + 1))

        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads[f"W{L}"] = h.T @ dscores + self.reg * self.params[f"W{L}"]
        grads[f"b{L}"] = dscores.sum(axis=0)
        dh = dscores @ self.params[f"W{L}"].T
        for i in range(L - 1, 0, -1):
            h_prev, z, mask = caches[i - 1]
            dz = dh * mask * (z > 0)
            grads[f"W{i}"] = h_prev.T @ dz + self.reg * self.params[f"W{i}"]
            grads[f"b{i}"] = dz.sum(axis=0)
            dh = dz @ self.params[f"W{i}"].T
        return loss, grads


class DoubledBias(FullyConnectedNet):
    def loss(self, X, y):
        loss, grads = super().loss(X, y)
        return loss, {**grads, "b2": 2 * grads["b2"]}


class ForgotReg(FullyConnectedNet):
    def loss(self, X, y):
        loss, grads = super().loss(X, y)
        return loss, {**grads, "W1": grads["W1"] - self.reg * self.params["W1"]}


class RaisesMidway(FullyConnectedNet):
    """Raises on its ``fail_at``-th call, after scribbling on one parameter in place."""

    def __init__(self, *args, fail_at=10, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls, self.fail_at = 0, fail_at

    def loss(self, X, y):
        self.calls += 1
        if self.calls == self.fail_at:
            self.params["W1"] += 1.0
            raise RuntimeError("out of memory (pretend)")
        return super().loss(X, y)


@pytest.fixture
def data(rng):
    return rng.standard_normal((5, 4)), rng.integers(0, 3, 5)


def test_two_layer_net_passes_unchanged(data):
    model = FullyConnectedNet([6])
    before = snapshot(model.params)
    report = gradviz.gradient_check(model, *data)
    assert report.status == "great"
    assert list(report.blocks) == ["W1", "b1", "W2", "b2"]
    assert report.blocks["b1"].analytic.shape == (6,)
    assert report.blocks["W1"].analytic.shape == (4, 6)
    assert not any("two different values" in w for w in report.warnings)
    assert snapshot(model.params) == before


def test_deeper_net_passes(data):
    report = gradviz.gradient_check(FullyConnectedNet([5, 4, 3], seed=2), *data)
    assert report.status == "great"
    assert report.failing_blocks() == []


@pytest.mark.parametrize(("model", "blocks"), [(DoubledBias([6]), ["b2"]), (ForgotReg([6]), ["W1"])])
def test_wrong_gradient_fails_in_the_right_block(data, model, blocks):
    report = gradviz.gradient_check(model, *data)
    assert report.status == "wrong"
    assert report.failing_blocks() == blocks


def test_loss_raising_midway_leaves_params_bit_for_bit(data):
    model = RaisesMidway([6], fail_at=10)
    before = snapshot(model.params)
    with pytest.raises(RuntimeError, match="pretend"):
        gradviz.gradient_check(model, *data)
    assert model.calls == 10
    assert snapshot(model.params) == before


def test_loss_raising_on_the_first_call_leaves_params_alone(data):
    model = RaisesMidway([6], fail_at=1)
    before = snapshot(model.params)
    with pytest.raises(RuntimeError):
        gradviz.gradient_check(model, *data)
    assert snapshot(model.params) == before


def test_cancel_leaves_params_unchanged(data):
    model = FullyConnectedNet([6])
    before = snapshot(model.params)
    run = gradviz.iter_gradient_check(model, *data)
    progress = next(run)
    assert progress.done < progress.total
    run.close()
    assert snapshot(model.params) == before


def test_random_dropout_gets_the_non_determinism_warning(data):
    model = FullyConnectedNet([20], keep=0.5)
    report = gradviz.gradient_check(model, *data)
    assert any("two different values" in w for w in report.warnings)
    assert not report.passed


def test_sample_and_blocks_work_on_user_models(data):
    model = FullyConnectedNet([6])
    report = gradviz.gradient_check(model, *data, blocks=["W1"], sample=5, seed=1)
    assert list(report.blocks) == ["W1"]
    assert report.n_checked == 5
    assert report.status == "great"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dropout": "frozen"}, "built-in gradviz Network"),
        ({"terms": "data"}, "built-in gradviz Network"),
        ({"method": "complex"}, "complex"),
    ],
)
def test_network_only_options_are_rejected(data, kwargs, message):
    model = FullyConnectedNet([6])
    before = snapshot(model.params)
    with pytest.raises(ValueError, match=message):
        gradviz.gradient_check(model, *data, **kwargs)
    assert snapshot(model.params) == before


class NoGradFor:
    def __init__(self, drop=None, shape=None):
        self.params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
        self.drop, self.shape = drop, shape

    def loss(self, X, y):
        grads = {"W": np.ones((2, 2)), "b": np.zeros(2)}
        if self.drop:
            del grads[self.drop]
        if self.shape:
            grads["W"] = np.ones(self.shape)
        return 0.0, grads


def test_malformed_models_are_rejected(data):
    with pytest.raises(ValueError, match="params"):
        gradviz.gradient_check(object(), *data)
    with pytest.raises(ValueError, match="no gradient for b"):
        gradviz.gradient_check(NoGradFor(drop="b"), *data)
    with pytest.raises(ValueError, match="gradient of W has shape"):
        gradviz.gradient_check(NoGradFor(shape=(4,)), *data)
    ints = NoGradFor()
    ints.params["W"] = np.ones((2, 2), dtype=int)
    with pytest.raises(ValueError, match="float"):
        gradviz.gradient_check(ints, *data)


class UndefinedNearTheta:
    """J = Σ w², except that it is NaN once W[0, 1] moves above 2 (a log of a negative, say)."""

    def __init__(self):
        self.params = {"W": np.array([[1.0, 2.0, 3.0]])}

    def loss(self, X, y):
        W = self.params["W"]
        J = float("nan") if W[0, 1] > 2.0 else float(np.sum(W**2))
        return J, {"W": 2 * W}


def test_a_nan_loss_near_theta_is_inconclusive_instead_of_passing_as_unchecked():
    report = gradviz.gradient_check(UndefinedNearTheta(), None, None)
    block = report.blocks["W"]
    assert block.n_checked == 3  # NaN marks unchecked components; this one was checked
    assert not np.isfinite(block.numeric[0, 1])
    assert report.status == "wrong"
    assert report.conclusion == "inconclusive"
    assert report.failing_blocks() == []
    assert "W[0, 1]" in report.conclusion_reason
    assert [c.index for c in report.worst(1)] == [(0, 1)]
    assert any("NaN or Inf" in w for w in report.warnings)
    assert not any("sampled" in w for w in report.warnings)


class NaNGradient(UndefinedNearTheta):
    """J = Σ w² everywhere, but backprop returns NaN for W[0, 1]."""

    def loss(self, X, y):
        W = self.params["W"]
        return float(np.sum(W**2)), {"W": 2 * W * np.array([[1.0, np.nan, 1.0]])}


def test_a_nan_analytic_gradient_fails():
    report = gradviz.gradient_check(NaNGradient(), None, None)
    assert report.status == "wrong"
    assert report.failing_blocks() == ["W"]


def test_a_loss_that_breaks_the_protocol_is_named():
    class NoGrads:
        def __init__(self):
            self.params = {"W": np.ones((2, 2))}

        def loss(self, X, y):
            return 0.0

    with pytest.raises(ValueError, match=r"must return \(J, grads\)"):
        gradviz.gradient_check(NoGrads(), None, None)
