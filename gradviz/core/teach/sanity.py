"""Sanity checks before training (CS231n): initial loss, regularization, overfitting a tiny subset.

Each check builds its own network from a copy of the spec and returns a ``SanityResult`` whose
message is one plain sentence with the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from numbers import Integral

import numpy as np

from gradviz.core.model.layers import activation_forward
from gradviz.core.model.network import Network, validate_data
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.model.training import Trainer

__all__ = [
    "SanityResult",
    "expected_initial_loss",
    "initial_loss_check",
    "overfit_check",
    "regularization_check",
    "run_sanity_checks",
]

INITIAL_LOSS_TOLERANCE = 0.10  # relative
OVERFIT_THRESHOLD = 0.05


@dataclass
class SanityResult:
    """One check: what the lectures expect, what gradviz observed, and a sentence saying so."""

    name: str
    expected: float | str
    observed: float | tuple[float, ...]
    ok: bool
    message: str


def _variant(spec: NetworkSpec, **changes) -> NetworkSpec:
    """A copy of ``spec`` with dropout off and the given fields changed (a new init replaces the
    layers' own inits too)."""
    data = spec.to_dict()
    layers = [{**layer, "keep_prob": 1.0} for layer in data["layers"]]
    if "init" in changes:
        layers = [{k: v for k, v in layer.items() if k != "init"} for layer in layers]
    return NetworkSpec.from_dict({**data, **changes, "layers": layers})


def expected_initial_loss(spec: NetworkSpec, y: np.ndarray) -> float:
    """The loss when every output unit sits at its value for z = 0 (tiny weights, zero biases).

    softmax_ce: ln C; svm (margin 1): C − 1; bce: ln 2; mse: mean ½‖y − g(0)‖².
    """
    C = spec.layers[-1].units
    if spec.loss == "softmax_ce":
        return math.log(C)
    if spec.loss == "svm":
        return float(C - 1)
    if spec.loss == "bce":
        return math.log(2.0)
    at_zero = float(activation_forward(np.zeros(1), spec.layers[-1].activation)[0])
    return float(np.sum((y - at_zero) ** 2) / (2 * y.shape[1]))


def initial_loss_check(
    spec: NetworkSpec, X: np.ndarray, y: np.ndarray, *, init: str = "small"
) -> SanityResult:
    """With small weights (init "small"), no regularization and no dropout, the loss should be
    what chance gives (``expected_initial_loss``), within 10 %."""
    X, y = validate_data(spec, X, y)
    net = Network(_variant(spec, init=init, l2=0.0, l1=0.0))
    with np.errstate(all="ignore"):
        observed = float(net.evaluate(X, y, masks=None, backprop=False).J.real)
    expected = expected_initial_loss(spec, y)
    tolerance = INITIAL_LOSS_TOLERANCE * expected if expected > 0 else 1e-3
    ok = math.isfinite(observed) and abs(observed - expected) <= tolerance
    C = spec.layers[-1].units
    at_zero = float(activation_forward(np.zeros(1), spec.layers[-1].activation)[0])
    what = {
        "softmax_ce": f"ln {C}", "svm": f"{C} − 1", "bce": "ln 2",
        "mse": f"½‖y − {at_zero:g}‖² on average" if at_zero else "½‖y‖² on average",
    }[spec.loss]
    if ok:
        message = (f"The initial loss {observed:.4g} is close to the expected {expected:.4g} ({what}) "
                   f"with init {init!r}.")
    else:
        message = (f"The initial loss {observed:.4g} is far from the expected {expected:.4g} ({what}) "
                   f"with init {init!r}: check the loss, the weight scale and the input scale.")
    return SanityResult("initial loss", expected, observed, ok, message)


def regularization_check(
    spec: NetworkSpec,
    X: np.ndarray,
    y: np.ndarray,
    l2_values: tuple[float, ...] = (0.0, 0.1, 1.0, 10.0),
) -> SanityResult:
    """At the same parameters, the loss should rise with each larger l2 value."""
    X, y = validate_data(spec, X, y)
    values = sorted(float(v) for v in l2_values)
    if len(values) < 2 or len(set(values)) != len(values) or values[0] < 0:
        raise ValueError(f"l2_values must hold at least 2 different numbers >= 0; got {l2_values!r}")
    params = Network(_variant(spec)).params
    losses = []
    with np.errstate(all="ignore"):
        for l2 in values:
            net = Network(_variant(spec, l2=l2), params=params)
            losses.append(float(net.evaluate(X, y, masks=None, backprop=False).J.real))
    ok = all(b > a for a, b in pairwise(losses))
    shown = ", ".join(f"{v:g}: {J:.4g}" for v, J in zip(values, losses, strict=True))
    if ok:
        message = f"The loss rises with l2 ({shown}), as it should."
    else:
        message = (f"The loss does not rise with l2 ({shown}): the regularization term is missing "
                   "from J, or every weight is zero.")
    return SanityResult("regularization", "a loss that rises with l2", tuple(losses), ok, message)


def overfit_check(
    spec: NetworkSpec,
    X: np.ndarray,
    y: np.ndarray,
    n: int = 20,
    iterations: int = 1000,
    seed: int = 0,
    *,
    lr: float = 0.01,
    threshold: float = OVERFIT_THRESHOLD,
) -> SanityResult:
    """Train (Adam, full batch) on n examples with no regularization and no dropout; ok when the
    data loss falls below ``threshold`` within ``iterations``."""
    X, y = validate_data(spec, X, y)
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n must be a whole number of examples >= 1; got {n!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, Integral) or iterations < 1:
        raise ValueError(f"iterations must be a whole number >= 1; got {iterations!r}")
    m = X.shape[1]
    idx = np.sort(np.random.default_rng(seed).choice(m, size=min(n, m), replace=False))
    X_small = X[:, idx]
    y_small = y[idx] if y.ndim == 1 else y[:, idx]
    trainer = Trainer(Network(_variant(spec, l2=0.0, l1=0.0)), X_small, y_small,
                      optimizer="adam", lr=lr, seed=seed)
    loss, done = math.inf, 0
    for record in trainer.steps(iterations):
        loss, done = record.loss, record.iteration
        if loss < threshold:
            break
    count = idx.size
    if loss < threshold:
        message = (f"The loss on {count} examples fell to {loss:.4g} (below {threshold:g}) in {done} "
                   "iterations: the network can overfit a tiny subset.")
        return SanityResult("overfit a tiny subset", threshold, loss, True, message)
    if trainer.stop_reason is not None:
        message = f"Training on {count} examples stopped: {trainer.stop_reason}."
    else:
        message = (f"The loss on {count} examples is still {loss:.4g} after {done} iterations (it should "
                   f"fall below {threshold:g}): look for a bug before training on the full data.")
    return SanityResult("overfit a tiny subset", threshold, loss, False, message)


def run_sanity_checks(spec: NetworkSpec, X: np.ndarray, y: np.ndarray) -> list[SanityResult]:
    """The three checks in the lectures' order: initial loss, regularization, overfitting."""
    return [initial_loss_check(spec, X, y), regularization_check(spec, X, y), overfit_check(spec, X, y)]
