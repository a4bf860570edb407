"""Trainer: optimizers against formulas written here, records, early stopping, NaN stops, pausing."""

import math

import numpy as np
import pytest
from helpers import exactly

import gradviz
from gradviz.core import LayerSpec, Network, NetworkSpec
from gradviz.core.data.datasets import make_dataset, split
from gradviz.core.model.training import EpochRecord, Trainer, _trim


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


# -- numbers, boundaries and sentences pinned ---------------------------------------------------
def tiny(loss="softmax_ce", dtype="float64", **kwargs):
    last = {"softmax_ce": LayerSpec(3, "linear"), "bce": LayerSpec(1, "sigmoid")}[loss]
    return Network(NetworkSpec(2, [LayerSpec(4, "tanh"), last], loss=loss, dtype=dtype, **kwargs))


def data(rng, m=6, loss="softmax_ce"):
    X = rng.standard_normal((2, m))
    y = rng.integers(0, 3, m) if loss == "softmax_ce" else (np.arange(m) % 2).reshape(1, -1).astype(float)
    return X, y


def test_history_trims_only_past_a_tenth_over_the_limit():
    records = list(range(1100))
    assert _trim(records, 1000) == 0
    assert len(records) == 1100
    records.append(1100)
    assert _trim(records, 1000) == 101
    assert records == list(range(101, 1101))


@pytest.mark.parametrize("loss", ["softmax_ce", "bce"])
def test_minibatches_follow_a_fresh_seeded_permutation_each_epoch(rng, loss):
    """SGD by hand: each epoch draws default_rng(seed).permutation(m) and walks it in batches."""
    net = tiny(loss)
    X, y = data(rng, 6, loss)
    start = params_copy(net)
    trainer = Trainer(net, X, y, lr=0.5, batch_size=2, seed=3)
    records = list(trainer.steps(6))
    by_hand = Network(net.spec, params=start)
    order_rng = np.random.default_rng(3)
    losses = []
    for _ in range(2):
        order = order_rng.permutation(6)
        for b in range(3):
            idx = order[2 * b: 2 * b + 2]
            J, grads = by_hand.loss(X[:, idx], y[idx] if y.ndim == 1 else y[:, idx])
            losses.append(J)
            for name, g in grads.items():
                by_hand.params[name] -= 0.5 * g
    assert [r.loss for r in records] == pytest.approx(losses, rel=1e-13)
    for name in start:
        np.testing.assert_allclose(net.params[name], by_hand.params[name], rtol=1e-12)


def test_a_full_batch_step_is_exactly_the_formula_in_float64_then_the_params_dtype(rng):
    net = tiny(dtype="float32")
    X, y = data(rng)
    before = params_copy(net)
    J, grads = net.evaluate(X, y).J, net.evaluate(X, y).grads
    record = next(Trainer(net, X, y, lr=0.3).steps(1))
    assert record.loss == float(J)
    for name, W in before.items():
        expected = (W.astype(np.float64) - 0.3 * grads[name].astype(np.float64)).astype(np.float32)
        np.testing.assert_array_equal(net.params[name], expected)


def test_adam_corrects_its_bias_with_the_step_count(rng):
    """Three Adam steps written out: m, v moving averages, bias correction by 1 − β^t."""
    net = tiny()
    X, y = data(rng)
    W = net.params["W1"].copy()
    shadow = Network(net.spec, params=params_copy(net))
    trainer = Trainer(net, X, y, optimizer="adam", lr=0.05)
    m = v = 0.0
    for t in (1, 2, 3):
        g = shadow.evaluate(X, y).grads
        m, v = 0.9 * m + 0.1 * g["W1"], 0.999 * v + 0.001 * g["W1"] ** 2
        W = W - 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        next(trainer.steps(1))
        shadow.set_params(params_copy(net))
        np.testing.assert_allclose(net.params["W1"], W, rtol=1e-12)


def test_divergence_thresholds_are_a_thousandfold_loss_and_a_millionfold_parameter(rng):
    net = tiny()
    net.params["W1"][0, 0] = 5.0  # W1 starts at most 5; b1 at most 0 (taken as 1)
    X, y = data(rng)
    trainer = Trainer(net, X, y)
    assert trainer._divergence(0.5, {}, 1) is None  # the first loss, 0.5, counts as 1
    assert trainer._divergence(1000.0, {}, 2) is None
    assert trainer._divergence(1500.0, {}, 3) == ("training diverged at iteration 3: the loss grew from 0.5 "
                                                  "to 1.5e+03; lower the learning rate")
    big = Trainer(tiny(), X, y)
    assert big._divergence(5.0, {}, 1) is None
    assert big._divergence(4999.0, {}, 2) is None
    assert big._divergence(5001.0, {}, 2).startswith("training diverged at iteration 2: the loss grew")
    assert trainer._divergence(1.0, {"W1": np.array([5e6]), "b1": np.array([1e6])}, 4) is None
    assert trainer._divergence(1.0, {"W1": np.array([5.1e6])}, 4) == (
        "training diverged at iteration 4: W1 reached 5.1e+06 (it started at most 5); "
        "lower the learning rate")
    assert trainer._divergence(1.0, {"b1": np.array([1.5e6])}, 5) == (
        "training diverged at iteration 5: b1 reached 1.5e+06 (it started at most 0); "
        "lower the learning rate")


def linear_net(value: float) -> Network:
    """softmax on one linear layer, every weight and bias ``value``."""
    net = Network(NetworkSpec(2, [LayerSpec(3, "linear")]))
    net.set_params({k: np.full_like(v, value) for k, v in net.params.items()})
    return net


def test_an_overflowing_loss_gradient_or_parameter_stops_with_its_own_sentence(rng):
    # scores 3.4e298: J is ln 3, but dW sums two products of -2/3 and 1.7e308 (past the largest float)
    gradient = Trainer(linear_net(1e-10), np.full((2, 2), 1.7e308), np.array([0, 0]))
    assert list(gradient.steps(1)) == []
    assert gradient.stop_reason == ("the gradient of W1 became NaN or Inf at iteration 1: "
                                    "lower the learning rate")
    loss = Trainer(linear_net(1.0), np.full((2, 2), 1.7e308), np.array([0, 1]))  # scores overflow
    assert list(loss.steps(1)) == []
    assert loss.stop_reason == "the loss became nan at iteration 1: lower the learning rate"
    single = Trainer(tiny(dtype="float32"), *data(rng), lr=1e40)
    assert list(single.steps(1)) == []
    assert single.stop_reason == "the parameters overflowed at iteration 1: lower the learning rate"


def test_an_overflowing_dev_set_gives_a_nan_epoch_loss_without_warnings(rng):
    X, y = data(rng)
    trainer = Trainer(linear_net(1.0), X, y, np.full((2, 2), 1.7e308), np.array([0, 1]), lr=0.0)
    record = next(trainer.steps(1)).epoch_end
    assert record.train_loss == pytest.approx(math.log(3))
    assert math.isnan(record.dev_loss)


def test_a_dev_loss_that_only_equals_the_best_counts_as_no_improvement(rng):
    X, y = data(rng)
    frozen = Trainer(tiny(), X, y, X, y, lr=0.0, patience=2)  # the loss never moves
    list(frozen.steps(10))
    assert frozen.best_epoch == 1
    assert frozen.iteration == 3
    loss = frozen.history.epochs[0].dev_loss
    assert frozen.stop_reason == (f"the dev loss has not improved for 2 epochs (best {loss:.4g} at epoch 1): "
                                  "stopped early and restored the parameters of epoch 1")
    patient = Trainer(tiny(), X, y, X, y, lr=0.0)
    assert patient.best_epoch is None
    assert len(list(patient.steps(3))) == 3
    assert patient.stop_reason is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam; got 'rmsprop'"),
        ({"lr": -1.0}, "lr must be a number in [0, inf]; got -1.0"),
        ({"batch_size": 1.5}, "batch_size must be a whole number >= 1, or None for the full batch; got 1.5"),
        ({"patience": True}, "patience must be a whole number of epochs >= 1; got True"),
        ({"patience": 1.5}, "patience must be a whole number of epochs >= 1; got 1.5"),
        ({"patience": 0}, "patience must be a whole number of epochs >= 1; got 0"),
        ({"patience": 2}, "early stopping (patience) needs dev data: give X_dev and y_dev"),
        ({"y_dev": np.zeros(3)}, "give both X_dev and y_dev, or neither"),
        ({"seed": 1.5}, "seed must be a whole number >= 0; got 1.5"),
    ],
)
def test_trainer_arguments_are_refused_by_name(rng, kwargs, message):
    with pytest.raises(ValueError, match=exactly(message)):
        Trainer(tiny(), *data(rng), **kwargs)


def test_the_smallest_settings_and_the_defaults(rng):
    X, y = data(rng)
    trainer = Trainer(tiny(), X, y, X, y, batch_size=1, patience=1)
    assert (trainer.batch_size, trainer.batches_per_epoch, trainer.lr) == (1, 6, 0.1)
    with pytest.raises(ValueError, match=exactly("n must be a whole number of iterations >= 0; got 1.5")):
        trainer.steps(1.5)
