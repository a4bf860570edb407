"""Trainer on any model of the protocol (a user's model file): full batch, the same optimizers."""

import numpy as np
import pytest

from gradviz.core.model.training import Trainer


class SoftmaxRegression:
    """CS231n layout: X (N, D), W (D, C), b (C,); grads keyed like params, plus an extra key."""

    def __init__(self, D=3, C=4, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W": 0.1 * rng.standard_normal((D, C)), "b": np.zeros(C)}

    def loss(self, X, y):
        scores = X @ self.params["W"] + self.params["b"]
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        N = X.shape[0]
        J = -np.log(p[np.arange(N), y]).mean()
        d = p.copy()
        d[np.arange(N), y] -= 1
        d /= N
        return J, {"W": X.T @ d, "b": d.sum(axis=0), "dscores": d}


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 3))
    return X, np.argmax(X @ rng.standard_normal((3, 4)), axis=1)  # linearly separable labels


def test_an_sgd_step_subtracts_lr_times_the_models_gradient(data):
    X, y = data
    model = SoftmaxRegression()
    before = {k: v.copy() for k, v in model.params.items()}
    J0, grads = model.loss(X, y)
    record = next(Trainer(model, X, y, optimizer="sgd", lr=0.5).steps(1))
    assert record.loss == J0
    for name, value in before.items():
        np.testing.assert_array_equal(model.params[name], value - 0.5 * grads[name])
    assert record.update_ratio["W"] == pytest.approx(
        np.linalg.norm(0.5 * grads["W"]) / np.linalg.norm(before["W"]), rel=1e-12)
    assert record.epoch_end is None  # no separate evaluation for a model of unknown layout


@pytest.mark.parametrize(("optimizer", "lr"), [("sgd", 1.0), ("momentum", 1.0), ("adam", 0.05)])
def test_the_loss_of_a_protocol_model_falls_and_reset_restores_it(data, optimizer, lr):
    X, y = data
    model = SoftmaxRegression()
    start = {k: v.copy() for k, v in model.params.items()}
    trainer = Trainer(model, X, y, optimizer=optimizer, lr=lr)
    losses = [r.loss for r in trainer.steps(60)]
    assert losses[-1] < 0.8 * losses[0]
    assert trainer.iteration == 60
    trainer.reset()
    for name, value in start.items():
        np.testing.assert_array_equal(model.params[name], value)


@pytest.mark.parametrize(("options", "field"), [
    ({"batch_size": 4}, "batch_size"),
    ({"X_dev": np.zeros((2, 3)), "y_dev": np.zeros(2, dtype=int)}, "dev data"),
])
def test_options_that_need_the_examples_axis_are_refused(data, options, field):
    X, y = data
    with pytest.raises(ValueError, match=field):
        Trainer(SoftmaxRegression(), X, y, **options)


def test_a_missing_or_misshapen_gradient_is_named(data):
    X, y = data

    class NoBias(SoftmaxRegression):
        def loss(self, X, y):
            J, grads = super().loss(X, y)
            return J, {"W": grads["W"]}

    class WrongShape(SoftmaxRegression):
        def loss(self, X, y):
            J, grads = super().loss(X, y)
            return J, {**grads, "b": grads["b"][:, None]}

    with pytest.raises(ValueError, match=r"no gradient for 'b' \(4,\)"):
        next(Trainer(NoBias(), X, y).steps(1))
    with pytest.raises(ValueError, match=r"gradient of 'b' has shape \(4, 1\)"):
        next(Trainer(WrongShape(), X, y).steps(1))
