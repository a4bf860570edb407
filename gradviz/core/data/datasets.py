"""Data for training: seeded toy sets, users' CSV/NPZ files, train/dev split, input normalization.

Every ``Dataset`` holds X with shape (n_x, m), one example per column (course notation), and
integer labels (m,). ``targets`` turns labels into the y that a network's loss expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gradviz.core.data.datafiles import read_csv, read_npz
from gradviz.core.data.files import as_path
from gradviz.core.model import fields
from gradviz.core.model.memory import require_memory
from gradviz.core.model.spec import LOSSES, MAX_INPUT_DIM, MAX_SEED, MAX_UNITS

DATASETS = ("spiral", "circles", "moons", "xor", "blobs")

#: default noise per data set: angle jitter (spiral), coordinate jitter (circles, moons, xor),
#: standard deviation of each blob
DEFAULT_NOISE = {"spiral": 0.2, "circles": 0.08, "moons": 0.1, "xor": 0.1, "blobs": 1.0}
DEFAULT_CLASSES = {"spiral": 3, "circles": 2, "moons": 2, "xor": 2, "blobs": 3}
#: the most examples a data set may have (memory is checked as well)
MAX_EXAMPLES = 10_000_000
#: ``raw`` data sets: feature i is multiplied by RAW_SCALE[i % 2] and shifted by RAW_OFFSET[i % 2],
#: like measurements in units of different sizes, away from the origin
RAW_SCALE = (2.0, 0.2)
RAW_OFFSET = (3.0, 1.0)


@dataclass
class Dataset:
    """X (n_x, m) float64, one example per column; labels (m,) int in 0..n_classes-1."""

    X: np.ndarray
    labels: np.ndarray
    n_classes: int
    name: str = ""

    @property
    def m(self) -> int:
        """Number of examples."""
        return int(self.X.shape[1])

    @property
    def input_dim(self) -> int:
        """Number of features n_x."""
        return int(self.X.shape[0])


# -- toy data ---------------------------------------------------------------------------------
def make_dataset(
    name: str,
    m: int = 200,
    *,
    n_classes: int | None = None,
    input_dim: int = 2,
    noise: float | None = None,
    seed: int = 0,
    raw: bool = False,
) -> Dataset:
    """A seeded toy data set of m examples in shuffled order; see DATASETS for the names.

    spiral: k arms (CS231n, default 3); circles, moons, xor: 2 classes; blobs: k Gaussian blobs
    (default 3) in ``input_dim`` dimensions (the only set that is not 2-D). ``noise`` defaults to
    DEFAULT_NOISE[name]. ``raw``: un-normalized features (RAW_SCALE, RAW_OFFSET), so that input
    normalization has something to do; otherwise the sets are centred with features of size ~1.
    """
    fields.choice("name", name, DATASETS)
    m = fields.whole("m", m, low=1, high=MAX_EXAMPLES)
    k = fields.whole("n_classes", DEFAULT_CLASSES[name] if n_classes is None else n_classes,
                     low=2, high=MAX_UNITS)
    if name in ("circles", "moons", "xor") and k != 2:
        raise ValueError(f"{name!r} has exactly 2 classes; got n_classes={k}")
    if m < k:
        raise ValueError(f"m must be at least n_classes ({k}) so every class has an example; got {m}")
    input_dim = fields.whole("input_dim", input_dim, low=1, high=MAX_INPUT_DIM)
    if name != "blobs" and input_dim != 2:
        raise ValueError(f"{name!r} is 2-D: input_dim must be 2 (only 'blobs' takes other sizes); "
                         f"got {input_dim}")
    noise = fields.number("noise", DEFAULT_NOISE[name] if noise is None else noise, low=0.0)
    seed = fields.whole("seed", seed, low=0, high=MAX_SEED)
    require_memory(4 * m * (input_dim + 1) * 8, f"a data set of {m:,} examples")

    rng = np.random.default_rng(seed)
    labels = np.arange(m) % k  # classes as even as m allows
    X = _MAKERS[name](rng, labels, k, input_dim, noise)
    if raw:
        rows = np.arange(input_dim) % 2
        X = X * np.take(RAW_SCALE, rows)[:, None] + np.take(RAW_OFFSET, rows)[:, None]
    order = rng.permutation(m)
    return Dataset(X[:, order].astype(np.float64), labels[order].astype(np.intp), k, name)


def _spiral(rng, labels, k, _dim, noise):
    X = np.empty((2, labels.size))
    for c in range(k):
        idx = np.flatnonzero(labels == c)
        r = np.linspace(0.0, 1.0, idx.size + 1)[1:]  # no arm starts at the shared origin
        t = np.linspace(c * 4.0, (c + 1) * 4.0, idx.size) + rng.standard_normal(idx.size) * noise
        X[:, idx] = r * np.sin(t), r * np.cos(t)
    return X


def _circles(rng, labels, _k, _dim, noise):
    angle = rng.uniform(0.0, 2 * np.pi, labels.size)
    radius = np.where(labels == 0, 1.0, 0.5)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X + rng.standard_normal(X.shape) * noise


def _moons(rng, labels, _k, _dim, noise):
    angle = rng.uniform(0.0, np.pi, labels.size)
    upper = labels == 0
    x = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    X = np.stack([x, y])
    return X + rng.standard_normal(X.shape) * noise


def _xor(rng, labels, _k, _dim, noise):
    # class 0 in quadrants I and III, class 1 in II and IV
    X = rng.uniform(0.05, 1.0, (2, labels.size))
    first = rng.random(labels.size) < 0.5
    X[0] *= np.where(first, 1.0, -1.0)
    X[1] *= np.where(first == (labels == 0), 1.0, -1.0)
    return X + rng.standard_normal(X.shape) * noise


def _blobs(rng, labels, k, dim, noise):
    centers = rng.uniform(-5.0, 5.0, (dim, k))
    return centers[:, labels] + rng.standard_normal((dim, labels.size)) * noise


_MAKERS = {"spiral": _spiral, "circles": _circles, "moons": _moons, "xor": _xor, "blobs": _blobs}


# -- users' files -----------------------------------------------------------------------------
def load_dataset(path: str | Path) -> Dataset:
    """Read a .csv or .npz file of examples stored one per row.

    .csv: comma-separated numbers, the last column the integer label; an optional header row.
    .npz: "X" with shape (m, n_x) and "y" with shape (m,). Returns X transposed to (n_x, m).
    """
    path = as_path("path", path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".npz"):
        raise ValueError(f"{path.name}: the file must end in .csv or .npz; got {path.suffix or 'none'!r}")
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    rows, labels = read_csv(path) if suffix == ".csv" else read_npz(path)
    labels = _check_labels(path.name, labels)
    return Dataset(np.ascontiguousarray(rows.T), labels, int(labels.max()) + 1, path.stem)


def _check_labels(name: str, labels: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(labels) | (labels != np.round(labels)) | (labels < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: the label of example {i + 1} is {labels[i]:g}; labels must be "
                         "whole numbers 0, 1, 2, ... (one per class)")
    return labels.astype(np.intp)


# -- train / dev ------------------------------------------------------------------------------
def split(dataset: Dataset, dev_fraction: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Shuffle (seeded) and split into (train, dev); dev gets round(m·dev_fraction) examples (>= 1)."""
    if not isinstance(dataset, Dataset):
        raise ValueError(f"dataset must be a Dataset; got {fields.quote(dataset)}")
    dev_fraction = fields.number("dev_fraction", dev_fraction, low=0.0, high=1.0, low_open=True,
                                 high_open=True)
    seed = fields.whole("seed", seed, low=0, high=MAX_SEED)
    m = dataset.m
    if m < 2:
        raise ValueError(f"splitting needs at least 2 examples; {dataset.name or 'the data set'} has {m}")
    n_dev = min(max(round(m * dev_fraction), 1), m - 1)
    order = np.random.default_rng(seed).permutation(m)
    dev_idx, train_idx = order[:n_dev], order[n_dev:]

    def part(idx: np.ndarray) -> Dataset:
        return Dataset(dataset.X[:, idx], dataset.labels[idx], dataset.n_classes, dataset.name)

    return part(train_idx), part(dev_idx)


class Normalizer:
    """Per-feature standardization with the training set's mean and standard deviation.

    ``fit(X_train)`` then ``apply(X)`` on train, dev and test alike; X has shape (n_x, m).
    A feature with zero variance is only centred (its std is taken as 1).
    """

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> None:
        self.mean = mean
        self.std = std

    def fit(self, X: np.ndarray) -> Normalizer:
        X = _as_examples(X)
        self.mean = X.mean(axis=1, keepdims=True)
        std = X.std(axis=1, keepdims=True)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def apply(self, X: np.ndarray) -> np.ndarray:
        """(X - mean) / std with the fitted statistics; X (n_x, m)."""
        if self.mean is None or self.std is None:
            raise ValueError("the normalizer is not fitted: call fit(X_train) first")
        X = _as_examples(X)
        if X.shape[0] != self.mean.shape[0]:
            raise ValueError(f"X must have {self.mean.shape[0]} features (rows), as when fitted; "
                             f"got {X.shape[0]}")
        return (X - self.mean) / self.std

    def to_dict(self) -> dict[str, Any]:
        if self.mean is None or self.std is None:
            raise ValueError("the normalizer is not fitted: call fit(X_train) first")
        return {"mean": self.mean.ravel().tolist(), "std": self.std.ravel().tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Normalizer:
        if not isinstance(data, dict) or set(data) != {"mean", "std"}:
            raise ValueError("a normalizer must be an object with 'mean' and 'std' lists")
        try:
            mean = np.asarray(data["mean"], dtype=np.float64).reshape(-1, 1)
            std = np.asarray(data["std"], dtype=np.float64).reshape(-1, 1)
        except (TypeError, ValueError):
            raise ValueError("a normalizer's mean and std must be lists of numbers") from None
        if mean.shape != std.shape or mean.size == 0:
            raise ValueError("a normalizer's mean and std must be non-empty lists of the same length")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise ValueError("a normalizer's mean must be finite and its std finite and > 0")
        return cls(mean, std)


def _as_examples(X: object) -> np.ndarray:
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("X must be numeric") from None
    if X.ndim != 2 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (n_x, m), one example per column; got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or Inf")
    return X


# -- labels to a loss's y ---------------------------------------------------------------------
def targets(loss: str, labels: np.ndarray, n_out: int) -> np.ndarray:
    """y in the format of ``loss``: softmax_ce / svm labels (m,); bce (1, m) floats;
    mse one-hot (n_out, m)."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must have shape (m,) with m >= 1; got {labels.shape}")
    if labels.dtype.kind not in "biu" and not (
        labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))
    ):
        raise ValueError("labels must be whole numbers")
    labels = labels.astype(np.intp)
    if labels.min() < 0:
        raise ValueError("labels must be >= 0")
    top = int(labels.max())
    if loss == "bce":
        if top > 1:
            raise ValueError(f"loss 'bce' is for 2 classes (labels 0 and 1); the labels reach {top}: "
                             "use softmax_ce or svm for more classes")
        return labels.astype(np.float64).reshape(1, -1)
    if top >= n_out:
        raise ValueError(f"labels reach {top} but the output layer has {n_out} units: "
                         f"it needs at least {top + 1}")
    if loss == "mse":
        y = np.zeros((n_out, labels.size))
        y[labels, np.arange(labels.size)] = 1.0
        return y
    return labels
