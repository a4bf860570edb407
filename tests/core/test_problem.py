"""A session becomes a Problem: its data made or loaded, split, normalized with the training
statistics, the check examples taken from the front of the training set (then dev), the network
with the session's parameters and bugs; each refusal names the field."""

import numpy as np
import pytest
from helpers import exactly

from gradviz.core.data.datasets import make_dataset, split
from gradviz.core.data.problem import build_problem, require_examples
from gradviz.core.data.session import CheckSettings, DataSettings, Session, TrainingSettings
from gradviz.core.model import memory
from gradviz.core.model.spec import LayerSpec, NetworkSpec


def spiral_session(units=4, loss="softmax_ce", **data) -> Session:
    hidden = [LayerSpec(5, "tanh")] if loss != "mse" else [LayerSpec(5, "tanh"), LayerSpec(6, "tanh")]
    spec = NetworkSpec(2, [*hidden, LayerSpec(units, "linear")], loss=loss)
    settings = {"dataset": "spiral", "m": 40, "noise": 0.05, "seed": 3, "dev_fraction": 0.3,
                "check_examples": 6, **data}
    return Session(spec, DataSettings(**settings))


def expected_parts(session: Session, classes: int, input_dim: int = 2):
    """The data by hand: the named set un-normalized, split, standardized with the training mean and std."""
    d = session.data
    train, dev = split(make_dataset(d.dataset, d.m, n_classes=classes, input_dim=input_dim, noise=d.noise,
                                    seed=d.seed, raw=True), d.dev_fraction, seed=d.seed)
    mean, std = train.X.mean(axis=1, keepdims=True), train.X.std(axis=1, keepdims=True)
    return train, dev, (train.X - mean) / std, (dev.X - mean) / std


def test_a_built_in_set_is_made_split_and_standardized_with_the_training_statistics():
    session = spiral_session()
    problem = build_problem(session)
    train, dev, X, X_dev = expected_parts(session, 4)
    assert (problem.X.shape, problem.X_dev.shape) == ((2, 28), (2, 12))
    np.testing.assert_allclose(problem.X, X, rtol=1e-13)
    np.testing.assert_allclose(problem.X_dev, X_dev, rtol=1e-13)
    np.testing.assert_array_equal(problem.y, train.labels)
    np.testing.assert_array_equal(problem.y_dev, dev.labels)
    np.testing.assert_array_equal(problem.X_check, problem.X[:, :6])
    np.testing.assert_array_equal(problem.y_check, train.labels[:6])
    assert problem.n_classes == 4
    np.testing.assert_allclose(problem.normalizer.mean, train.X.mean(axis=1, keepdims=True), rtol=1e-13)
    assert problem.net.spec is session.spec


def test_without_normalization_the_data_is_as_made():
    session = spiral_session(normalize=False)
    problem = build_problem(session)
    train, dev, _, _ = expected_parts(session, 4)
    assert problem.normalizer is None
    np.testing.assert_array_equal(problem.X, train.X)
    np.testing.assert_array_equal(problem.X_dev, dev.X)


def test_mse_gets_one_hot_targets_of_the_output_size():
    session = spiral_session(units=3, loss="mse")
    problem = build_problem(session)
    train, _, _, _ = expected_parts(session, 3)
    assert problem.n_classes == 3
    np.testing.assert_array_equal(problem.y, np.eye(3)[:, train.labels])
    np.testing.assert_array_equal(problem.y_check, problem.y[:, :6])


def test_blobs_take_the_networks_input_size():
    spec = NetworkSpec(5, [LayerSpec(3, "linear")])
    session = Session(spec, DataSettings("blobs", 30, seed=2, normalize=False))
    problem = build_problem(session)
    train, _, _, _ = expected_parts(session, 3, input_dim=5)
    np.testing.assert_array_equal(problem.X, train.X)


def test_a_tiny_set_checks_on_training_then_dev_examples():
    """6 examples, half for dev: 4 check examples are the 3 training ones and the first dev one."""
    session = spiral_session(units=3, m=6, dev_fraction=0.5, check_examples=4, normalize=False)
    problem = build_problem(session)
    np.testing.assert_array_equal(problem.X_check, np.concatenate([problem.X, problem.X_dev[:, :1]], axis=1))
    np.testing.assert_array_equal(problem.y_check, np.concatenate([problem.y, problem.y_dev[:1]]))
    mse = build_problem(spiral_session(units=3, loss="mse", m=6, dev_fraction=0.5, check_examples=4))
    np.testing.assert_array_equal(mse.y_check, np.concatenate([mse.y, mse.y_dev[:, :1]], axis=1))


def test_examples_asks_for_exactly_that_many():
    session = spiral_session()
    assert build_problem(session, examples=2).X_check.shape == (2, 2)
    assert build_problem(session, examples=40).X_check.shape == (2, 40)
    with pytest.raises(ValueError, match=exactly("examples must be at most 40: the data set has 40 "
                                                 "examples; got 41")):
        build_problem(session, examples=41)
    for bad in (0, True):
        with pytest.raises(ValueError, match=exactly("examples must be a whole number from 1 to "
                                                     f"10,000,000; got {bad}")):
            build_problem(session, examples=bad)


def test_require_examples_reads_the_session_or_the_file(tmp_path):
    session = spiral_session()
    require_examples(session, 40)
    with pytest.raises(ValueError, match=exactly("examples must be at most 40: the data set has 40 "
                                                 "examples; got 41")):
        require_examples(session, 41)
    with pytest.raises(ValueError, match=exactly("examples must be a whole number from 1 to 10,000,000; "
                                                 "got 0")):
        require_examples(session, 0)
    path = tmp_path / "three.csv"
    path.write_text("0.5,1.5,0\n1,2,1\n3,4,2\n")
    require_examples(session, 3, str(path))
    with pytest.raises(ValueError, match="at most 3: the data set has 3 examples; got 4"):
        require_examples(session, 4, str(path))
    session.data.path = str(path)
    with pytest.raises(ValueError, match="at most 3: the data set has 3 examples; got 4"):
        require_examples(session, 4)


def test_a_data_file_replaces_the_built_in_set(tmp_path):
    path = tmp_path / "four.csv"
    path.write_text("x1,x2,label\n0,1,0\n1,0,1\n2,2,0\n3,1,1\n")
    session = spiral_session(units=2, check_examples=4, normalize=False, dev_fraction=0.25)
    for problem in (build_problem(session, str(path)),
                    build_problem(Session(session.spec, DataSettings(path=str(path), check_examples=4,
                                                                     normalize=False, dev_fraction=0.25,
                                                                     seed=3)))):
        columns = sorted(map(tuple, np.concatenate([problem.X, problem.X_dev], axis=1).T))
        assert columns == [(0, 1), (1, 0), (2, 2), (3, 1)]
        assert problem.X.shape == (2, 3)


def test_the_data_must_fit_the_network(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3,0\n4,5,6,1\n")
    labels = tmp_path / "labels.csv"
    labels.write_text("1,2,0\n4,5,3\n")
    session = spiral_session(units=3)
    with pytest.raises(ValueError, match=exactly("the data has 3 feature(s) per example but the network's "
                                                 "input size is 2: set the input size to 3")):
        build_problem(session, str(wide))
    with pytest.raises(ValueError, match=exactly("the data has labels up to 3 but the network has 3 "
                                                 "classes: give the last layer 4 units")):
        build_problem(session, str(labels))


def test_the_sessions_parameters_and_bugs_reach_the_network():
    session = spiral_session()
    rng = np.random.default_rng(5)
    session.params = {k: rng.standard_normal(v.shape) for k, v in build_problem(session).net.params.items()}
    session.check = CheckSettings(bug=["dW_x2:1", "db_x4:2"])
    net = build_problem(session).net
    for name, value in session.params.items():
        np.testing.assert_array_equal(net.params[name], value)
    assert [str(b) for b in net.bugs] == ["dW_x2:1", "db_x4:2"]


def test_memory_is_refused_naming_the_examples_with_the_training_batch(monkeypatch):
    """The estimate counts m examples, the check's (at most m) and a training batch."""
    monkeypatch.setattr(memory, "available_memory", lambda: 1000)
    session = spiral_session(m=2000, check_examples=5)
    session.training = TrainingSettings(batch_size=16)
    needed = memory.network_estimate(session.spec, 2000, check_examples=5, batch=16).total
    message = f"this network with 2,000 examples needs {memory.format_bytes(needed)}; 1.0 KB is available"
    with pytest.raises(ValueError, match=exactly(message)):
        build_problem(session)


def test_a_two_d_set_is_made_in_2_d_whatever_the_networks_input_size():
    spec = NetworkSpec(5, [LayerSpec(3, "linear")])
    with pytest.raises(ValueError, match=exactly("the data has 2 feature(s) per example but the network's "
                                                 "input size is 5: set the input size to 2")):
        build_problem(Session(spec, DataSettings("spiral", 30)))
