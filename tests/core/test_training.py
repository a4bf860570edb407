"""Trainer: optimizers against formulas written here, records, early stopping, NaN stops, pausing."""

import math

import numpy as np
import pytest

import gradviz
from gradviz.core import LayerSpec, Network, NetworkSpec
from gradviz.core.data.datasets import make_dataset, split
from gradviz.core.model.training import EpochRecord, Trainer


def spiral_net(keep_prob: float = 1.0, seed: int = 0) -> Network:
    spec = NetworkSpec(2, [LayerSpec(16, "tanh", keep_prob), LayerSpec(3, "linear")],
                       init="xavier", seed=seed)
    return Network(spec)


@pytest.fixture(scope="module")
def spiral():
    return split(make_dataset("spiral", 90), 0.3, seed=0)


def params_copy(net: Network) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in net.params.items()}


def assert_same_params(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize(("optimizer", "lr"), [("sgd", 1.0), ("momentum", 1.0), ("adam", 0.02)])
def test_loss_falls_on_spiral(spiral, optimizer, lr):
    train, _ = spiral
    trainer = Trainer(spiral_net(), train.X, train.labels, optimizer=optimizer, lr=lr, batch_size=21)
    records = list(trainer.steps(150))
    assert len(records) == 150
    first, last = trainer.history.epochs[0], trainer.history.epochs[-1]
    assert last.train_loss < 0.7 * first.train_loss
    assert last.train_acc > first.train_acc
    assert trainer.stop_reason is None


def test_sgd_step_and_update_ratio_match_the_formulas(rng):
    net = spiral_net()
    X, y = rng.standard_normal((2, 12)), rng.integers(0, 3, 12)
    for name in net.params:  # nonzero biases so every ratio is finite
        net.params[name] += 0.1
    before = params_copy(net)
    grads = net.evaluate(X, y).grads
    record = next(Trainer(net, X, y, optimizer="sgd", lr=0.3).steps(1))
    for name, W in before.items():
        update = -0.3 * grads[name]
        assert record.update_ratio[name] == pytest.approx(np.linalg.norm(update) / np.linalg.norm(W),
                                                          rel=1e-12)
        np.testing.assert_allclose(net.params[name], W + update, rtol=1e-13, atol=1e-15)
    assert record.loss == pytest.approx(float(Network(net.spec, before).evaluate(X, y).J.real))


def test_zero_parameters_give_an_infinite_ratio(rng):
    net = spiral_net()  # biases start at 0
    X, y = rng.standard_normal((2, 5)), rng.integers(0, 3, 5)
    record = next(Trainer(net, X, y).steps(1))
    assert record.update_ratio["b1"] == math.inf
    assert math.isfinite(record.update_ratio["W1"])


def test_momentum_and_adam_follow_their_formulas(rng):
    X, y = rng.standard_normal((2, 10)), rng.integers(0, 3, 10)
    # momentum: v1 = 0.1 g1, v2 = 0.9 v1 + 0.1 g2; W -= lr v
    net = spiral_net()
    trainer = Trainer(net, X, y, optimizer="momentum", lr=0.5)
    W0 = net.params["W1"].copy()
    g1 = net.evaluate(X, y).grads["W1"]
    next(trainer.steps(1))
    W1 = net.params["W1"].copy()
    np.testing.assert_allclose(W1, W0 - 0.5 * 0.1 * g1, rtol=1e-12)
    g2 = net.evaluate(X, y).grads["W1"]
    next(trainer.steps(1))
    np.testing.assert_allclose(net.params["W1"], W1 - 0.5 * (0.9 * 0.1 * g1 + 0.1 * g2), rtol=1e-12)
    # adam, bias-corrected: the first step is lr * g / (|g| + eps)
    net = spiral_net()
    W0 = net.params["W1"].copy()
    g = net.evaluate(X, y).grads["W1"]
    next(Trainer(net, X, y, optimizer="adam", lr=0.01).steps(1))
    np.testing.assert_allclose(net.params["W1"], W0 - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-10)


def test_epoch_records(spiral):
    train, dev = spiral
    net = spiral_net(keep_prob=0.7)
    trainer = Trainer(net, train.X, train.labels, dev.X, dev.labels, batch_size=25, lr=0.5)
    assert trainer.batches_per_epoch == 3  # 63 examples: 25 + 25 + 13
    records = list(trainer.steps(7))
    assert [r.iteration for r in records] == list(range(1, 8))
    assert [r.epoch for r in records] == [1, 1, 1, 2, 2, 2, 3]
    assert [r.epoch_end is not None for r in records] == [False, False, True] * 2 + [False]
    assert trainer.history.steps == records
    assert [e.epoch for e in trainer.history.epochs] == [1, 2]
    # the record at iteration 6 describes the params after that step, evaluated without dropout
    last = records[5].epoch_end
    trainer2 = Trainer(spiral_net(keep_prob=0.7), train.X, train.labels, dev.X, dev.labels,
                       batch_size=25, lr=0.5)
    list(trainer2.steps(6))
    ev = trainer2.net.evaluate(train.X, train.labels, masks=None, backprop=False)
    assert last.train_loss == pytest.approx(float(ev.J.real), rel=1e-12)
    assert last.train_acc == pytest.approx(np.mean(trainer2.net.predict(train.X) == train.labels))
    dev_ev = trainer2.net.evaluate(dev.X, dev.labels, masks=None, backprop=False)
    assert last.dev_loss == pytest.approx(float(dev_ev.J.real), rel=1e-12)
    assert last.dev_acc == pytest.approx(np.mean(trainer2.net.predict(dev.X) == dev.labels))


def test_epoch_records_without_dev_data_and_for_mse(rng):
    spec = NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(2, "linear")], loss="mse")
    X, y = rng.standard_normal((2, 6)), rng.standard_normal((2, 6))
    record = next(Trainer(Network(spec), X, y).steps(1))
    assert isinstance(record.epoch_end, EpochRecord)
    assert record.epoch_end.dev_loss is None
    assert record.epoch_end.dev_acc is None
    assert record.epoch_end.train_acc is None


def test_early_stopping_restores_the_best_params(spiral):
    train, _ = spiral
    # a quarter of the dev labels contradict the training labels: the dev loss falls, then rises
    dev_labels = train.labels.copy()
    dev_labels[::4] = (dev_labels[::4] + 1) % 3
    net = spiral_net()
    trainer = Trainer(net, train.X, train.labels, train.X, dev_labels, optimizer="adam", lr=0.05,
                      patience=3)
    at_epoch = {}
    for record in trainer.steps(200):
        if record.epoch_end is not None:
            at_epoch[record.epoch] = params_copy(net)
    dev_losses = [e.dev_loss for e in trainer.history.epochs]
    best = int(np.argmin(dev_losses)) + 1
    assert best > 1
    assert trainer.best_epoch == best
    assert len(dev_losses) == best + 3  # stopped after 3 epochs without improvement
    assert len(trainer.history.steps) == best + 3  # full batch: one step per epoch
    assert "not improved for 3 epochs" in trainer.stop_reason
    assert_same_params(net.params, at_epoch[best])
    assert list(trainer.steps(5)) == []  # stopped until reset


def test_nan_stops_with_the_iteration_and_keeps_params_finite(rng):
    spec = NetworkSpec(3, [LayerSpec(8, "relu"), LayerSpec(2, "linear")], loss="mse", init="he")
    X, y = rng.standard_normal((3, 10)) * 10, rng.standard_normal((2, 10))
    trainer = Trainer(Network(spec), X, y, lr=50.0)
    records = list(trainer.steps(500))
    assert trainer.stop_reason is not None
    assert len(records) < 500
    assert f"at iteration {len(records) + 1}" in trainer.stop_reason
    assert "lower the learning rate" in trainer.stop_reason
    assert all(np.all(np.isfinite(v)) for v in trainer.net.params.values())
    assert all(math.isfinite(r.loss) for r in records)
    assert trainer.iteration == len(records)


def test_lr_changes_between_steps_take_effect(rng):
    net = spiral_net()
    X, y = rng.standard_normal((2, 10)), rng.integers(0, 3, 10)
    trainer = Trainer(net, X, y, lr=0.5)
    list(trainer.steps(2))
    trainer.lr = 0.0
    before = params_copy(net)
    record = next(trainer.steps(1))
    assert_same_params(before, net.params)
    assert record.update_ratio["W1"] == 0.0
    trainer.lr = 0.25
    g = net.evaluate(X, y).grads["W2"]
    next(trainer.steps(1))
    np.testing.assert_allclose(net.params["W2"], before["W2"] - 0.25 * g, rtol=1e-12)


def test_pausing_and_continuing_matches_one_run(spiral):
    train, dev = spiral
    make = lambda: Trainer(spiral_net(keep_prob=0.8), train.X, train.labels, dev.X, dev.labels,  # noqa: E731
                           batch_size=10, optimizer="adam", lr=0.01, seed=4)
    whole = make()
    expected = [r.loss for r in whole.steps(15)]
    paused = make()
    run = paused.steps(15)
    losses = [next(run).loss for _ in range(4)]  # then abandon the generator
    del run
    losses += [r.loss for r in paused.steps(11)]
    assert losses == expected
    assert [r.iteration for r in paused.history.steps] == list(range(1, 16))
    assert_same_params(paused.net.params, whole.net.params)


def test_reset_restarts_exactly(spiral):
    train, _ = spiral
    net = spiral_net(keep_prob=0.8)
    initial = params_copy(net)
    trainer = Trainer(net, train.X, train.labels, batch_size=20, optimizer="momentum", lr=0.5)
    first = [r.loss for r in trainer.steps(8)]
    trainer.reset()
    assert_same_params(net.params, initial)
    assert trainer.history.steps == []
    assert trainer.history.epochs == []
    assert trainer.iteration == 0
    second = [r.loss for r in trainer.steps(8)]
    assert second == first


def test_a_gradient_check_between_steps_changes_nothing(spiral):
    train, dev = spiral
    make = lambda: Trainer(spiral_net(keep_prob=0.8), train.X, train.labels, dev.X, dev.labels,  # noqa: E731
                           batch_size=16, optimizer="adam", lr=0.02, seed=1)
    plain = make()
    expected = [r.loss for r in plain.steps(6)]
    checked = make()
    losses = [r.loss for r in checked.steps(3)]
    for dropout in ("off", "frozen"):
        report = gradviz.gradient_check(checked.net, train.X[:, :3], train.labels[:3], dropout=dropout)
        assert report.blocks.keys() == checked.net.params.keys()
    losses += [r.loss for r in checked.steps(3)]
    assert losses == expected
    assert_same_params(checked.net.params, plain.net.params)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"lr": -1.0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"patience": 2}, "needs dev data"),
        ({"X_dev": np.zeros((2, 3))}, "both X_dev and y_dev"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_trainer_arguments(rng, kwargs, match):
    X, y = rng.standard_normal((2, 4)), rng.integers(0, 3, 4)
    with pytest.raises(ValueError, match=match):
        Trainer(spiral_net(), X, y, **kwargs)


def test_steps_needs_a_count(rng):
    trainer = Trainer(spiral_net(), rng.standard_normal((2, 4)), rng.integers(0, 3, 4))
    with pytest.raises(ValueError, match="n must be"):
        trainer.steps(-1)


def test_data_must_fit_the_network(rng):
    with pytest.raises(ValueError, match="input_dim=2"):
        Trainer(spiral_net(), rng.standard_normal((3, 4)), rng.integers(0, 3, 4))
