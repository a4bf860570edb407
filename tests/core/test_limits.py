"""Limits that protect the machine and the user: divergence stops every optimizer, histories stay
bounded, memory is estimated before allocating, sessions are checked field by field."""

import json

import numpy as np
import pytest
from helpers import make_data, make_spec

from gradviz.core import LayerSpec, Network, NetworkSpec, Trainer, make_dataset
from gradviz.core.data.problem import build_problem
from gradviz.core.data.session import CheckSettings, Session
from gradviz.core.model import memory, training
from gradviz.core.model.fields import MAX_JSON_DEPTH, parse_json

OPTIMIZERS = ["sgd", "momentum", "adam"]


# -- divergence ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("optimizer", "activation", "loss"),
    [*((o, "relu", "softmax_ce") for o in OPTIMIZERS), *((o, "sigmoid", "bce") for o in OPTIMIZERS),
     ("adam", "tanh", "mse")],
)
def test_divergence_stops_every_optimizer(optimizer, activation, loss):
    """lr 1e6: the loss runs away within a few steps, or (Adam on a bounded loss, whose steps are
    lr-sized whatever the gradient) the parameters do."""
    spec = make_spec((5,), activation, loss, seed=1)
    X, y = make_data(spec, 16, np.random.default_rng(0))
    trainer = Trainer(Network(spec), X, y, optimizer=optimizer, lr=1e6)
    records = list(trainer.steps(200))
    assert trainer.stop_reason is not None
    assert "lower the learning rate" in trainer.stop_reason
    assert len(records) < 20
    assert all(np.isfinite(v).all() for v in trainer.net.params.values())


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_sane_learning_rate_trains_without_a_divergence_stop(optimizer):
    spec = make_spec((8,), "tanh", "softmax_ce", seed=1)
    X, y = make_data(spec, 32, np.random.default_rng(0))
    trainer = Trainer(Network(spec), X, y, optimizer=optimizer, lr=0.01 if optimizer == "adam" else 0.5)
    records = list(trainer.steps(300))
    assert trainer.stop_reason is None
    assert records[-1].loss < records[0].loss


def test_divergence_limits_are_relative_to_the_start(monkeypatch):
    spec = make_spec((4,), "tanh", "softmax_ce", seed=1)
    X, y = make_data(spec, 8, np.random.default_rng(0))
    monkeypatch.setattr(training, "DIVERGENCE_LOSS_FACTOR", 0.5)  # any loss counts as runaway
    trainer = Trainer(Network(spec), X, y, lr=0.1)
    assert len(list(trainer.steps(5))) == 0
    assert "the loss grew from" in trainer.stop_reason


# -- bounded history ---------------------------------------------------------------------------
def test_history_keeps_the_latest_records(monkeypatch):
    monkeypatch.setattr(training, "MAX_STEPS", 50)
    monkeypatch.setattr(training, "MAX_EPOCHS", 20)
    spec = make_spec((4,), "tanh", "softmax_ce", seed=1)
    X, y = make_data(spec, 8, np.random.default_rng(0))
    trainer = Trainer(Network(spec), X, y, lr=0.1, batch_size=4)  # two steps per epoch
    records = list(trainer.steps(400))
    history = trainer.history
    assert 50 <= len(history.steps) <= 55
    assert history.steps == records[-len(history.steps):]
    assert history.dropped_steps + len(history.steps) == 400
    assert 20 <= len(history.epochs) <= 22
    assert history.epochs[-1].epoch == 200
    assert history.first_epoch.epoch == 1
    assert history.dropped_epochs + len(history.epochs) == 200


# -- memory ------------------------------------------------------------------------------------
def test_memory_estimate_counts_parameters_data_and_the_check():
    spec = NetworkSpec(784, [LayerSpec(256, "relu"), LayerSpec(10, "linear")])
    estimate = memory.network_estimate(spec, m=1000, check_examples=8)
    assert estimate.parts["parameters"] == spec.n_params * 8
    assert estimate.parts["data"] == 1000 * 785 * 8 * memory.DATA_COPIES
    assert estimate.parts["check"] >= spec.n_params * memory.CHECK_BYTES_PER_PARAM
    assert estimate.total == sum(estimate.parts.values())


def test_a_20000_unit_pair_of_layers_is_refused_before_allocating(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 7_100_000_000)
    spec = NetworkSpec(2, [LayerSpec(10_000, "tanh"), LayerSpec(10_000, "tanh"), LayerSpec(3, "linear")])
    with pytest.raises(ValueError, match=r"this network needs \d+\.\d GB; 7\.1 GB is available"):
        Network(spec)
    with pytest.raises(ValueError, match=r"units must be a whole number from 1 to 10,000; got 20000"):
        LayerSpec(20_000)


def test_a_huge_data_set_is_refused(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 2_000_000_000)
    with pytest.raises(ValueError, match=r"a data set of 10,000,000 examples needs .* GB; 2\.0 GB"):
        make_dataset("blobs", 10_000_000, input_dim=20)
    with pytest.raises(ValueError, match="m must be a whole number from 1 to 10,000,000"):
        make_dataset("spiral", 2**63)


def test_available_memory_reads_meminfo():
    available = memory.available_memory()
    assert available is None or available > 0
    assert memory.memory_problem(10, available=100) is None
    assert memory.memory_problem(10**12, "x", available=10**9) == "x needs 1000.0 GB; 1.0 GB is available"
    assert memory.format_bytes(999) == "999 bytes"
    assert memory.format_bytes(12_300_000_000) == "12.3 GB"


# -- sessions, field by field ---------------------------------------------------------------------
SPEC = {"input_dim": 2, "layers": [{"units": 3, "activation": "tanh"}, {"units": 3, "activation": "linear"}]}


def doc(**sections):
    return {"format": "gradviz-session", "version": 1, "spec": SPEC, **sections}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (doc(version=True), "version True is not supported"),
        (doc(version=1.0), "version 1.0 is not supported"),
        (doc(data={"normalize": 5}), "normalize must be true or false; got 5"),
        (doc(data={"path": 5}), "data.path must be a string; got 5"),
        (doc(data={"path": ""}), "data.path must be a file path"),
        (doc(data={"m": 2**63}), "m must be a whole number from 1 to 10,000,000"),
        (doc(data={"m": 10**309}), "m must be a whole number"),
        (doc(data={"dataset": "mnist"}), "dataset must be one of spiral"),
        (doc(check={"bug": 5}), "check.bug must be a string; got 5"),
        (doc(check={"bug": ["dW_x2:1", 7]}), "check.bug must be a string; got 7"),
        (doc(check={"bug": []}), "check.bug must list from 1 to"),
        (doc(check={"epsilon": 1e155}), r"epsilon must be a number in \(0, 10\]"),
        (doc(check={"epsilon": 10**309}), "epsilon must be a finite number"),
        (doc(training={"lr": float("inf")}), "lr must be a finite number"),
        (doc(title={"a": 1}), "title must be a string"),
        (doc(extra=1), "unknown session field"),
        (doc(data={"m": 300, "bogus": 1}), "unknown data setting"),
        ({**doc(), "spec": {**SPEC, "l2": 10**309}}, "l2 must be a finite number"),
        ({**doc(), "spec": {**SPEC, "layers": [{"units": 3}] * 101}}, "at most|from 1 to 100"),
        ({**doc(), "spec": {**SPEC, "layers": 5}}, "layers must be a list"),
    ],
)
def test_session_fields_are_checked(data, match):
    with pytest.raises(ValueError, match=match):
        Session.from_dict(data)


def test_deep_json_is_refused_without_recursion():
    with pytest.raises(ValueError, match=f"nested 1000 levels deep; at most {MAX_JSON_DEPTH}"):
        Session.from_json("[" * 1000 + "]" * 1000)
    with pytest.raises(ValueError, match="4300 digits"):
        Session.from_json('{"version": ' + "9" * 5000 + "}")
    assert parse_json('{"a": "' + "[" * 40 + '"}') == {"a": "[" * 40}


def test_several_bugs_round_trip_and_one_stays_a_string(tmp_path):
    two = CheckSettings(bug=["dW_x2:1", "db_x4:2", "dW_x2:1"])
    assert two.bug == ["dW_x2:1", "db_x4:2"]
    assert [str(b) for b in two.bugs] == ["dW_x2:1", "db_x4:2"]
    assert CheckSettings(bug=["dW_x2:1"]).bug == "dW_x2:1"
    session = Session(NetworkSpec.from_dict(SPEC), check=two)
    session.save(tmp_path / "s.gradviz.json")
    assert json.loads((tmp_path / "s.gradviz.json").read_text())["check"]["bug"] == ["dW_x2:1", "db_x4:2"]
    problem = build_problem(Session.load(tmp_path / "s.gradviz.json"))
    assert [str(b) for b in problem.net.bugs] == ["dW_x2:1", "db_x4:2"]
    assert str(problem.net.bug) == "db_x4:2"


def test_add_bug_plants_beside_inject_bug_replaces():
    net = Network(NetworkSpec.from_dict(SPEC))
    net.add_bug("dW_x2", 1)
    net.add_bug("db_x4", 2)
    assert [str(b) for b in net.bugs] == ["dW_x2:1", "db_x4:2"]
    net.inject_bug("dW_x2", 2)
    assert [str(b) for b in net.bugs] == ["dW_x2:2"]
    net.bug = None
    assert net.bugs == ()


def test_complex_parameters_are_refused():
    net = Network(NetworkSpec.from_dict(SPEC))
    with pytest.raises(ValueError, match="complex parameters are not supported"):
        net.set_params({k: v.astype(complex) for k, v in net.params.items()})
    with pytest.raises(ValueError, match="X must hold real numbers"):
        net.loss(np.ones((2, 3), dtype=complex), np.zeros(3))
