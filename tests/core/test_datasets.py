"""Toy data sets, users' CSV/NPZ files (and every way they can be wrong), split, Normalizer, targets."""

import numpy as np
import pytest

from gradviz.core.data.datasets import (
    DATASETS,
    Dataset,
    Normalizer,
    load_dataset,
    make_dataset,
    split,
    targets,
)


# -- toy data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DATASETS)
def test_toy_sets_have_course_shapes_and_balanced_classes(name):
    d = make_dataset(name, m=61)
    k = {"spiral": 3, "blobs": 3}.get(name, 2)
    assert d.X.shape == (2, 61)
    assert d.X.dtype == np.float64
    assert d.labels.shape == (61,)
    assert d.n_classes == k
    assert d.name == name
    counts = np.bincount(d.labels, minlength=k)
    assert counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(d.X))


@pytest.mark.parametrize("name", DATASETS)
def test_toy_sets_are_seeded(name):
    a, b, c = make_dataset(name, 40, seed=3), make_dataset(name, 40, seed=3), make_dataset(name, 40, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.X, c.X)


def test_examples_are_shuffled_so_a_prefix_holds_every_class():
    d = make_dataset("spiral", 300)
    assert set(d.labels[:20]) == {0, 1, 2}


def test_spiral_arms_and_blob_dimensions():
    d = make_dataset("spiral", 100, n_classes=5)
    assert d.n_classes == 5
    assert set(d.labels) == set(range(5))
    assert np.all(np.linalg.norm(d.X, axis=0) <= 1.0 + 1e-12)  # radius grows from 0 to 1
    blobs = make_dataset("blobs", 50, n_classes=4, input_dim=7, noise=0.0)
    assert blobs.X.shape == (7, 50)
    # without noise every example sits on its class centre
    for c in range(4):
        members = blobs.X[:, blobs.labels == c]
        np.testing.assert_array_equal(members, members[:, :1].repeat(members.shape[1], axis=1))


def test_xor_labels_follow_the_quadrant_signs():
    d = make_dataset("xor", 200, noise=0.0)
    same_sign = np.sign(d.X[0]) == np.sign(d.X[1])
    np.testing.assert_array_equal(d.labels == 0, same_sign)


def test_circles_inner_ring_is_class_1():
    d = make_dataset("circles", 100, noise=0.0)
    radius = np.linalg.norm(d.X, axis=0)
    np.testing.assert_allclose(radius[d.labels == 0], 1.0)
    np.testing.assert_allclose(radius[d.labels == 1], 0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "swirl"}, "name must be one of"),
        ({"name": "spiral", "input_dim": 3}, "only 'blobs'"),
        ({"name": "moons", "n_classes": 3}, "exactly 2 classes"),
        ({"name": "spiral", "m": 0}, "m must be"),
        ({"name": "spiral", "m": 2}, "at least n_classes"),
        ({"name": "blobs", "n_classes": 1}, "n_classes"),
        ({"name": "moons", "noise": -0.1}, "noise"),
        ({"name": "moons", "seed": -1}, "seed"),
    ],
)
def test_bad_toy_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset(**kwargs)


# -- users' files -----------------------------------------------------------------------------
def test_csv_with_header_reads_one_example_per_row(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x1,x2,label\n0.5,1.5,0\n-1,2,2\n3,4e-1,1\n\n")
    d = load_dataset(path)
    np.testing.assert_array_equal(d.X, [[0.5, -1, 3], [1.5, 2, 0.4]])
    np.testing.assert_array_equal(d.labels, [0, 2, 1])
    assert d.n_classes == 3
    assert d.name == "points"


def test_csv_without_header(tmp_path):
    path = tmp_path / "p.CSV"
    path.write_text("1, 2, 3, 1.0\n4, 5, 6, 0\n")
    d = load_dataset(str(path))
    assert d.X.shape == (3, 2)
    np.testing.assert_array_equal(d.X[:, 1], [4, 5, 6])
    np.testing.assert_array_equal(d.labels, [1, 0])


def test_npz_stores_examples_as_rows(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    y = np.array([0, 1, 1, 0, 2, 1])
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y)
    d = load_dataset(path)
    np.testing.assert_array_equal(d.X, X.T)
    np.testing.assert_array_equal(d.labels, y)
    assert d.n_classes == 3


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("a,b,label\n", "no examples"),
        ("1,2,0\n3,x,1\n", r"row 2, column 2: 'x' is not a number"),
        ("1,2,0\n3,nan,1\n", r"row 2, column 2 is 'nan'"),
        ("1,2,0\n3,inf,1\n", r"row 2, column 2 is 'inf'"),
        ("1,2,0\n3,4,1.5\n", "label of example 2 is 1.5"),
        ("1,2,0\n3,4,-1\n", "label of example 2 is -1"),
        ("1,2,0\n3,4\n", "row 2 has 2 columns"),
        ("1\n2\n", "at least one feature and a label"),
    ],
)
def test_bad_csv_files(tmp_path, text, match):
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(ValueError, match=match) as info:
        load_dataset(path)
    assert "bad.csv" in str(info.value)


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"X": np.ones((4, 2))}, "needs arrays 'X'"),
        ({"X": np.ones(4), "y": np.zeros(4)}, r"shape \(m, n_x\)"),
        ({"X": np.ones((4, 2)), "y": np.zeros((4, 2))}, r"y must have shape \(m,\)"),
        ({"X": np.ones((4, 2)), "y": np.zeros(3)}, "4 examples .* 3 labels"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, "no examples"),
        ({"X": np.array([[1.0, np.nan]]), "y": np.zeros(1)}, r"X\[0, 1\] is nan"),
        ({"X": np.array([[1.0, np.inf]]), "y": np.zeros(1)}, r"X\[0, 1\] is inf"),
        ({"X": np.ones((2, 2)), "y": np.array([0, -2])}, "label of example 2 is -2"),
        ({"X": np.ones((2, 2)), "y": np.array([0, 0.5])}, "label of example 2 is 0.5"),
        ({"X": np.array([["a", "b"]]), "y": np.zeros(1)}, "X must hold numbers"),
    ],
)
def test_bad_npz_files(tmp_path, arrays, match):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match) as info:
        load_dataset(path)
    assert "bad.npz" in str(info.value)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, X=np.array([[1, None]], dtype=object), y=np.zeros(1))
    with pytest.raises(ValueError, match=r"obj\.npz: X and y must be numeric"):
        load_dataset(path)


def test_missing_file_wrong_extension_and_not_an_archive(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_dataset(tmp_path / "absent.csv")
    with pytest.raises(ValueError, match=r"data\.txt: the file must end in \.csv or \.npz"):
        load_dataset(_write(tmp_path, "data.txt", "1,2,0\n"))
    with pytest.raises(ValueError, match=r"fake\.npz: not a \.npz archive"):
        load_dataset(_write(tmp_path, "fake.npz", "1,2,0\n"))


# -- split and normalization -------------------------------------------------------------------
def test_split_is_a_seeded_shuffled_partition():
    d = make_dataset("moons", 50)
    train, dev = split(d, 0.2, seed=1)
    assert (train.m, dev.m) == (40, 10)
    assert train.n_classes == dev.n_classes == 2
    together = np.concatenate([train.X, dev.X], axis=1)
    # the same examples, each once
    key = lambda X: sorted(map(tuple, X.T.round(12)))  # noqa: E731
    assert key(together) == key(d.X)
    again, _ = split(d, 0.2, seed=1)
    np.testing.assert_array_equal(again.X, train.X)
    other, _ = split(d, 0.2, seed=2)
    assert not np.array_equal(other.X, train.X)
    # labels travel with their examples
    index = {tuple(x.round(12)): label for x, label in zip(d.X.T, d.labels, strict=True)}
    assert all(index[tuple(x.round(12))] == label for x, label in zip(dev.X.T, dev.labels, strict=True))


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, "0.2"])
def test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="dev_fraction"):
        split(make_dataset("xor", 10), fraction)


def test_normalizer_uses_the_training_statistics(rng):
    X_train = rng.normal([[5.0], [-3.0], [2.0]], [[2.0], [0.5], [0.0]], (3, 40))
    X_dev = rng.normal(1.0, 1.0, (3, 7))
    norm = Normalizer().fit(X_train)
    Z = norm.apply(X_train)
    np.testing.assert_allclose(Z.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=1), [1.0, 1.0, 0.0], atol=1e-12)  # constant stays 0
    expected = (X_dev - X_train.mean(axis=1, keepdims=True)) / np.array([[X_train[0].std()],
                                                                         [X_train[1].std()], [1.0]])
    np.testing.assert_allclose(norm.apply(X_dev), expected)
    restored = Normalizer.from_dict(norm.to_dict())
    np.testing.assert_array_equal(restored.apply(X_dev), norm.apply(X_dev))


def test_normalizer_errors():
    with pytest.raises(ValueError, match="not fitted"):
        Normalizer().apply(np.ones((2, 3)))
    norm = Normalizer().fit(np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="2 features"):
        norm.apply(np.ones((3, 3)))
    with pytest.raises(ValueError, match="std"):
        Normalizer.from_dict({"mean": [0.0], "std": [0.0]})


# -- targets ----------------------------------------------------------------------------------
def test_targets_in_each_loss_format():
    labels = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(targets("softmax_ce", labels, 3), labels)
    np.testing.assert_array_equal(targets("svm", labels, 3), labels)
    np.testing.assert_array_equal(
        targets("mse", labels, 3), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 1]]
    )
    y = targets("bce", np.array([1, 0, 1]), 1)
    assert y.shape == (1, 3)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [[1.0, 0.0, 1.0]])


def test_targets_errors():
    with pytest.raises(ValueError, match="'bce' is for 2 classes"):
        targets("bce", np.array([0, 1, 2]), 1)
    with pytest.raises(ValueError, match="output layer has 2 units"):
        targets("softmax_ce", np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="loss must be one of"):
        targets("hinge", np.array([0, 1]), 2)


def test_dataset_properties():
    d = Dataset(np.zeros((4, 9)), np.zeros(9, dtype=int), 1, "z")
    assert (d.input_dim, d.m) == (4, 9)
