"""Toy data sets against generators written here from their definitions (same seed, same draws),
and every refusal of make_dataset, split, Normalizer and targets by its exact message."""

import numpy as np
import pytest
from helpers import exactly

from gradviz.core.data.datasets import Dataset, Normalizer, load_dataset, make_dataset, split, targets
from gradviz.core.model import memory


def by_definition(name, m, k, dim, noise, seed):
    """(X, labels) drawn as documented: classes as even as m allows, then shuffled."""
    rng = np.random.default_rng(seed)
    labels = np.arange(m) % k
    X = np.empty((dim, m))
    if name == "spiral":  # CS231n: arm c sweeps 4 radians while its radius grows to 1
        for c in range(k):
            idx = np.flatnonzero(labels == c)
            r = np.arange(1, idx.size + 1) / idx.size
            t = np.linspace(4.0 * c, 4.0 * (c + 1), idx.size) + noise * rng.standard_normal(idx.size)
            X[0, idx], X[1, idx] = r * np.sin(t), r * np.cos(t)
    elif name == "circles":  # class 0 on the unit circle, class 1 on radius 1/2
        angle = rng.uniform(0.0, 2 * np.pi, m)
        X = np.where(labels == 0, 1.0, 0.5) * np.stack([np.cos(angle), np.sin(angle)])
        X = X + noise * rng.standard_normal(X.shape)
    elif name == "moons":  # upper half circle, and the lower one shifted by (1, 1/2)
        angle = rng.uniform(0.0, np.pi, m)
        lower = labels == 1
        X = np.stack([np.cos(angle), np.sin(angle)])
        X[:, lower] = np.array([[1.0], [0.5]]) - X[:, lower]
        X = X + noise * rng.standard_normal(X.shape)
    elif name == "xor":  # |coordinates| in [0.05, 1); class 0 where the signs agree
        X = rng.uniform(0.05, 1.0, (2, m))
        first_positive = rng.random(m) < 0.5
        X[0] = np.where(first_positive, X[0], -X[0])
        X[1] = np.where(first_positive == (labels == 0), X[1], -X[1])
        X = X + noise * rng.standard_normal(X.shape)
    else:  # blobs: k centres uniform in [−5, 5]^dim
        centres = rng.uniform(-5.0, 5.0, (dim, k))
        X = centres[:, labels] + noise * rng.standard_normal((dim, m))
    order = rng.permutation(m)
    return X[:, order], labels[order]


@pytest.mark.parametrize(("name", "k", "dim"), [
    ("spiral", 4, 2), ("circles", 2, 2), ("moons", 2, 2), ("xor", 2, 2), ("blobs", 3, 5),
])
def test_toy_sets_are_their_definitions(name, k, dim):
    made = make_dataset(name, 37, n_classes=k, input_dim=dim, noise=0.3, seed=11)
    X, labels = by_definition(name, 37, k, dim, 0.3, 11)
    np.testing.assert_allclose(made.X, X, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(made.labels, labels)
    assert (made.X.dtype, made.labels.dtype, made.n_classes, made.name) == (np.float64, np.intp, k, name)


def test_defaults_and_the_smallest_sets():
    assert make_dataset("moons").m == 200
    assert make_dataset("spiral", 3).m == 3  # one example per class
    assert make_dataset("blobs", 4, input_dim=1).X.shape == (1, 4)
    assert make_dataset("blobs", 2, n_classes=2).n_classes == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "circles", "n_classes": 3}, "'circles' has exactly 2 classes; got n_classes=3"),
    ({"name": "xor", "n_classes": 3}, "'xor' has exactly 2 classes; got n_classes=3"),
    ({"name": "blobs", "n_classes": 10_001, "m": 20_000},
     "n_classes must be a whole number from 2 to 10,000; got 10001"),
    ({"name": "blobs", "input_dim": 0}, "input_dim must be a whole number from 1 to 1,000,000; got 0"),
    ({"name": "blobs", "input_dim": 1_000_001},
     "input_dim must be a whole number from 1 to 1,000,000; got 1000001"),
    ({"name": "moons", "noise": -0.1}, "noise must be a number in [0, inf]; got -0.1"),
    ({"name": "moons", "seed": 2**63},
     "seed must be a whole number from 0 to 9,223,372,036,854,775,807; got 9223372036854775808"),
])
def test_toy_arguments_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=exactly(message)):
        make_dataset(**kwargs)


def test_a_toy_set_too_big_for_memory_is_refused_before_it_is_drawn(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 1000)
    needed = memory.format_bytes(4 * 1000 * (3 + 1) * 8)  # four float64 copies of X and the labels
    with pytest.raises(ValueError, match=exactly(f"a data set of 1,000 examples needs {needed}; "
                                                 "1.0 KB is available")):
        make_dataset("blobs", 1000, input_dim=3)


def test_a_file_is_refused_by_its_name_and_suffix(tmp_path):
    with pytest.raises(ValueError, match=exactly("path must be a file path; got 5")):
        load_dataset(5)
    with pytest.raises(ValueError, match=exactly("data: the file must end in .csv or .npz; got 'none'")):
        load_dataset(tmp_path / "data")
    path = tmp_path / "labels.csv"
    path.write_text("1,0\n2,1.5\n")
    with pytest.raises(ValueError, match=exactly("labels.csv: the label of example 2 is 1.5; labels must be "
                                                 "whole numbers 0, 1, 2, ... (one per class)")):
        load_dataset(path)
    path.write_text("1,0\n2,2.0\n")
    assert load_dataset(path).labels.dtype == np.intp


def spiral():
    return make_dataset("spiral", 30)


def test_split_defaults_and_its_smallest_case():
    d = spiral()
    train, dev = split(d)
    again_train, _ = split(d, 0.2, seed=0)
    np.testing.assert_array_equal(train.X, again_train.X)
    assert (train.m, dev.m, train.name, dev.name) == (24, 6, "spiral", "spiral")
    two = Dataset(np.arange(4.0).reshape(2, 2), np.array([0, 1]), 2, "two")
    assert [part.m for part in split(two, 0.99)] == [1, 1]
    assert [part.m for part in split(two, 0.01)] == [1, 1]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: split(5), "dataset must be a Dataset; got 5"),
    (lambda: split(spiral(), 1.0), "dev_fraction must be a number in (0, 1); got 1.0"),
    (lambda: split(spiral(), seed=-1),
     "seed must be a whole number from 0 to 9,223,372,036,854,775,807; got -1"),
    (lambda: split(Dataset(np.ones((2, 1)), np.zeros(1, dtype=int), 1)),
     "splitting needs at least 2 examples; the data set has 1"),
    (lambda: split(Dataset(np.ones((2, 1)), np.zeros(1, dtype=int), 1, "tiny")),
     "splitting needs at least 2 examples; tiny has 1"),
])
def test_split_refusals(call, message):
    with pytest.raises(ValueError, match=exactly(message)):
        call()


NOT_FITTED = "the normalizer is not fitted: call fit(X_train) first"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: Normalizer(np.zeros((2, 1))).apply(np.ones((2, 3))), NOT_FITTED),
    (lambda: Normalizer(None, np.ones((2, 1))).to_dict(), NOT_FITTED),
    (lambda: Normalizer(np.zeros((2, 1))).to_dict(), NOT_FITTED),
    (lambda: Normalizer().fit(np.ones((2, 4))).apply(np.ones((3, 4))),
     "X must have 2 features (rows), as when fitted; got 3"),
    (lambda: Normalizer.from_dict(["mean", "std"]),
     "a normalizer must be an object with 'mean' and 'std' lists"),
    (lambda: Normalizer.from_dict({"mean": [[1], 2], "std": [1]}),
     "a normalizer's mean and std must be lists of numbers"),
    (lambda: Normalizer.from_dict({"mean": [1, 2], "std": [1]}),
     "a normalizer's mean and std must be non-empty lists of the same length"),
    (lambda: Normalizer.from_dict({"mean": [1], "std": [0]}),
     "a normalizer's mean must be finite and its std finite and > 0"),
    (lambda: Normalizer().fit("abc"), "X must be numeric"),
    (lambda: Normalizer().fit(np.ones(3)), "X must have shape (n_x, m), one example per column; got (3,)"),
    (lambda: Normalizer().fit(np.ones((2, 0))),
     "X must have shape (n_x, m), one example per column; got (2, 0)"),
    (lambda: Normalizer().fit([[1.0, np.nan]]), "X contains NaN or Inf"),
])
def test_normalizer_refusals(call, message):
    with pytest.raises(ValueError, match=exactly(message)):
        call()


def test_a_one_feature_normalizer_from_whole_numbers_is_float():
    normalizer = Normalizer.from_dict({"mean": [1], "std": [2]})
    assert (normalizer.mean.dtype, normalizer.std.dtype) == (np.float64, np.float64)
    assert normalizer.to_dict() == {"mean": [1.0], "std": [2.0]}
    one = Normalizer().fit(np.array([[1.0], [3.0]]))  # a single example: only centred
    np.testing.assert_array_equal(one.apply(np.array([[2.0], [5.0]])), [[1.0], [2.0]])


@pytest.mark.parametrize(("loss", "labels", "message"), [
    ("hinge", [0], "loss must be one of softmax_ce, svm, bce, mse; got 'hinge'"),
    ("svm", [[0, 1], [1, 0]], "labels must have shape (m,) with m >= 1; got (2, 2)"),
    ("svm", [], "labels must have shape (m,) with m >= 1; got (0,)"),
    ("svm", [0.5, 1.0], "labels must be whole numbers"),
    ("svm", [np.inf, 1.0], "labels must be whole numbers"),
    ("svm", ["a"], "labels must be whole numbers"),
    ("svm", [-1, 1], "labels must be >= 0"),
    ("bce", [0, 2], "loss 'bce' is for 2 classes (labels 0 and 1); the labels reach 2: use softmax_ce or "
                    "svm for more classes"),
    ("softmax_ce", [0, 3], "labels reach 3 but the output layer has 3 units: it needs at least 4"),
])
def test_targets_refusals(loss, labels, message):
    with pytest.raises(ValueError, match=exactly(message)):
        targets(loss, np.array(labels), 3)


def test_whole_float_and_bool_labels_become_integer_classes():
    assert targets("svm", np.array([0.0, 2.0]), 3).tolist() == [0, 2]
    assert targets("svm", np.array([0.0, 2.0]), 3).dtype == np.intp
    assert targets("softmax_ce", np.array([True, False]), 2).tolist() == [1, 0]
    bce = targets("bce", np.array([1, 0, 1]), 1)
    assert (bce.dtype, bce.shape, bce.tolist()) == (np.float64, (1, 3), [[1.0, 0.0, 1.0]])
