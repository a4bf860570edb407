"""Turn a Session into what the engine runs on: the network and its train / dev / check data."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gradviz.core.data.datasets import Normalizer, load_dataset, make_dataset, split, targets
from gradviz.core.data.session import Session
from gradviz.core.model.bugs import Bug
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


def build_problem(session: Session, data_path: str | None = None) -> Problem:
    """Make or load the data the session names, split, normalize, and build the network.

    data_path overrides the session's data file. A planted bug in the check settings is injected.
    Built-in data sets come un-normalized (``make_dataset(raw=True)``): the session's normalize
    setting decides what the network sees.
    """
    spec, settings = session.spec, session.data
    path = data_path or settings.path
    n_classes = spec.n_classes if spec.loss != "mse" else spec.layers[-1].units
    if path:
        dataset = load_dataset(path)
    else:
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
    train, dev = split(dataset, settings.dev_fraction, seed=settings.seed)
    normalizer = None
    if settings.normalize:
        normalizer = Normalizer().fit(train.X)
        train = replace(train, X=normalizer.apply(train.X))
        dev = replace(dev, X=normalizer.apply(dev.X))
    n_out = spec.layers[-1].units
    y, y_dev = targets(spec.loss, train.labels, n_out), targets(spec.loss, dev.labels, n_out)
    net = Network(spec, params=session.params)
    if session.check.bug:
        bug = Bug.parse(session.check.bug)
        net.inject_bug(bug.kind, bug.layer)
    k = min(settings.check_examples, train.X.shape[1])
    return Problem(
        net, train.X, y, dev.X, y_dev, train.X[:, :k], y[..., :k], n_classes, normalizer,
    )
