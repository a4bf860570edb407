"""Turn a Session into what the engine runs on: the network and its train / dev / check data."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gradviz.core.data.datasets import MAX_EXAMPLES, Normalizer, load_dataset, make_dataset, split, targets
from gradviz.core.data.session import Session
from gradviz.core.model import fields
from gradviz.core.model.memory import network_estimate, require_memory
from gradviz.core.model.network import Network


@dataclass
class Problem:
    """A network and its data, in the network's layout: X (n0, m) and y as the loss wants it.

    X_check / y_check are the first few training examples, used by the gradient check
    (few examples: fewer kinks, faster checks).
    """

    net: Network
    X: np.ndarray
    y: np.ndarray
    X_dev: np.ndarray
    y_dev: np.ndarray
    X_check: np.ndarray
    y_check: np.ndarray
    n_classes: int
    normalizer: Normalizer | None = None


def build_problem(session: Session, data_path: str | None = None, *, examples: int | None = None) -> Problem:
    """Make or load the data the session names, split, normalize, and build the network.

    data_path overrides the session's data file. The check uses the session's check_examples
    (or all the examples when there are fewer); ``examples`` asks for exactly that many and
    raises ValueError when the data has fewer. Check examples are the first training examples,
    then dev examples when the training part is too small. Planted bugs in the check settings
    are injected. The memory the session needs is checked before anything large is allocated.
    Built-in data sets come un-normalized (``make_dataset(raw=True)``): the session's normalize
    setting decides what the network sees.
    """
    spec, settings = session.spec, session.data
    if examples is not None:
        examples = fields.whole("examples", examples, low=1, high=MAX_EXAMPLES)
    path = data_path or settings.path
    n_classes = spec.n_classes
    wanted = settings.check_examples if examples is None else examples
    if path:
        dataset = load_dataset(path)
    else:
        _require(session, settings.m, wanted)
        input_dim = spec.input_dim if settings.dataset == "blobs" else 2
        dataset = make_dataset(
            settings.dataset, settings.m, n_classes=n_classes, input_dim=input_dim,
            noise=settings.noise, seed=settings.seed, raw=True,
        )
    n_features = dataset.X.shape[0]
    if n_features != spec.input_dim:
        raise ValueError(
            f"the data has {n_features} feature(s) per example but the network's input size is "
            f"{spec.input_dim}: set the input size to {n_features}"
        )
    if dataset.labels.max() >= n_classes:
        raise ValueError(
            f"the data has labels up to {int(dataset.labels.max())} but the network has "
            f"{n_classes} classes: give the last layer {int(dataset.labels.max()) + 1} units"
        )
    if examples is not None and examples > dataset.m:
        raise ValueError(f"examples must be at most {dataset.m}: the data set has {dataset.m} "
                         f"examples; got {examples}")
    _require(session, dataset.m, wanted)
    train, dev = split(dataset, settings.dev_fraction, seed=settings.seed)
    normalizer = None
    if settings.normalize:
        normalizer = Normalizer().fit(train.X)
        train = replace(train, X=normalizer.apply(train.X))
        dev = replace(dev, X=normalizer.apply(dev.X))
    n_out = spec.layers[-1].units
    y, y_dev = targets(spec.loss, train.labels, n_out), targets(spec.loss, dev.labels, n_out)
    net = Network(spec, params=session.params)
    for bug in session.check.bugs:
        net.add_bug(bug.kind, bug.layer)
    k = min(wanted, dataset.m)
    if k <= train.m:
        X_check, y_check = train.X[:, :k], y[..., :k]
    else:  # a tiny data set: the check takes the dev examples too, so it gets all k it asked for
        X_check = np.concatenate([train.X, dev.X[:, : k - train.m]], axis=1)
        y_check = np.concatenate([y, y_dev[..., : k - train.m]], axis=-1)
    return Problem(net, train.X, y, dev.X, y_dev, X_check, y_check, n_classes, normalizer)


def require_examples(session: Session, examples: int, data_path: str | None = None) -> None:
    """ValueError unless the session's data (or the file at data_path) has at least ``examples``
    examples, so that a check can use exactly that many."""
    examples = fields.whole("examples", examples, low=1, high=MAX_EXAMPLES)
    path = data_path or session.data.path
    m = load_dataset(path).m if path else session.data.m
    if examples > m:
        raise ValueError(f"examples must be at most {m}: the data set has {m} examples; got {examples}")


def _require(session: Session, m: int, check_examples: int) -> None:
    estimate = network_estimate(session.spec, m, check_examples=min(check_examples, m),
                                batch=session.training.batch_size)
    require_memory(estimate.total, f"this network with {m:,} examples")
