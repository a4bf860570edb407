"""Checks during training: a bug that hides while the weights are near zero is caught at a later
checkpoint; each checkpoint keeps θ and the update ratios and unpacks as (iteration, report)."""

import numpy as np
import pytest
from helpers import exactly, make_data, make_spec

from gradviz.core import (
    Checkpoint,
    CheckReport,
    LayerSpec,
    Network,
    NetworkSpec,
    Trainer,
    check_during_training,
    gradient_check,
)
from gradviz.core.teach.checkpoints import iter_check_during_training


def near_zero_net(bug=None):
    """sigmoid hidden layer, weights ×1e-6: (λ/m)·W2 is ~1e-8 at the start, ~1e-2 once W2 grows."""
    spec = make_spec((4,), "sigmoid", l2=0.1)
    net = Network(spec)
    net.set_params({k: v * 1e-6 for k, v in net.params.items()})
    if bug is not None:
        net.inject_bug(*bug)
    X, y = make_data(spec, 8, np.random.default_rng(1))
    return net, X, y


def test_a_bug_hidden_at_initialization_shows_later():
    net, X, y = near_zero_net(("dW_no_reg", 2))
    trainer = Trainer(net, X, y, lr=1.0)
    checkpoints = check_during_training(trainer, at=(0, 50))
    assert [c.iteration for c in checkpoints] == [0, 50]
    (_, start), (_, later) = checkpoints
    assert "W2" not in start.failing_blocks()
    assert not any(b.diagnosis is not None and b.diagnosis.is_bug for b in start.blocks.values())
    assert later.failing_blocks() == ["W2"]
    assert later.blocks["W2"].diagnosis.kind == "missing_regularization"


def test_checkpoints_keep_theta_and_the_step_records():
    net, X, y = near_zero_net()
    trainer = Trainer(net, X, y, lr=1.0)
    checkpoints = check_during_training(trainer, at=[20, 0, 5], X=X[:, :3], y=y[:3], sample=4)
    assert [c.iteration for c in checkpoints] == [0, 5, 20]
    first, _, last = checkpoints
    assert isinstance(last, Checkpoint)
    assert isinstance(last.report, CheckReport)
    iteration, report = last
    assert (iteration, report) == (last[0], last[1]) == (20, last.report)
    assert len(last) == 2
    assert trainer.iteration == 20
    for name, value in net.params.items():
        np.testing.assert_array_equal(last.params[name], value)
    assert last.params["W2"] is not net.params["W2"]
    assert np.abs(first.params["W2"]).max() < 1e-4 < np.abs(last.params["W2"]).max()
    assert first.update_ratio == {}
    assert first.loss is None
    assert last.update_ratio == trainer.history.steps[-1].update_ratio
    assert last.loss == trainer.history.steps[-1].loss
    # the check ran on the 3 examples given, with at most 4 sampled components per block
    assert report.loss == gradient_check(net, X[:, :3], y[:3]).loss != gradient_check(net, X, y).loss
    assert report.n_checked == sum(min(4, v.size) for v in net.params.values())
    assert report.passed


def test_training_that_stops_ends_the_timeline_early():
    net, X, y = near_zero_net()
    trainer = Trainer(net, X, y, lr=1e12)  # the loss overflows within a few steps
    checkpoints = check_during_training(trainer, at=(0, 1000))
    assert [c.iteration for c in checkpoints] == [0]
    assert trainer.stop_reason is not None


def test_checkpoints_arrive_one_by_one():
    net, X, y = near_zero_net()
    trainer = Trainer(net, X, y, lr=1.0)
    run = iter_check_during_training(trainer, at=(0, 3))
    assert next(run).iteration == 0
    assert trainer.iteration == 0
    assert next(run).iteration == 3


@pytest.mark.parametrize(("options", "match"), [
    ({"at": ()}, "at must hold whole numbers"),
    ({"at": (0, 1.5)}, "at must hold whole numbers"),
    ({"at": 5}, "at must be a list"),
    ({"at": (0,), "X": np.zeros((3, 2))}, "give both X and y"),
])
def test_bad_arguments_name_the_field(options, match):
    net, X, y = near_zero_net()
    with pytest.raises(ValueError, match=match):
        check_during_training(Trainer(net, X, y), **options)


def test_checkpoints_cannot_go_back_in_time():
    net, X, y = near_zero_net()
    trainer = Trainer(net, X, y)
    list(trainer.steps(4))
    with pytest.raises(ValueError, match="current iteration 4"):
        check_during_training(trainer, at=(0, 10))


def test_unknown_check_options_are_refused_before_training():
    spec = NetworkSpec(2, [LayerSpec(3, "tanh"), LayerSpec(2, "linear")])
    trainer = Trainer(Network(spec), np.random.default_rng(0).standard_normal((2, 10)),
                      np.array([0, 1] * 5))
    with pytest.raises(ValueError, match="methd"):
        check_during_training(trainer, at=(0, 5), methd="centered")
    assert trainer.iteration == 0


def test_a_checkpoint_records_the_epochs_completed_and_the_step_that_reached_it():
    net, X, y = near_zero_net()
    trainer = Trainer(net, X, y, lr=1.0, batch_size=4)  # 8 examples: two steps per epoch
    first, second = check_during_training(trainer, at=(0, 6), sample=2)
    assert (first.epoch, second.epoch) == (0, 3)
    assert first.loss is None
    assert second.loss == trainer.history.steps[-1].loss
    assert second.update_ratio == trainer.history.steps[-1].update_ratio
    message = "give both X and y for the check, or neither (the training set)"
    with pytest.raises(ValueError, match=exactly(message)):
        check_during_training(trainer, at=(6,), y=y)
