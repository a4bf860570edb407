"""Sanity checks before training (CS231n): initial loss, regularization, overfitting a tiny subset.

Each check builds its own network from a copy of the spec (dropout off) at the network's own
initial parameters (the spec's init and gain, or ``params`` when given) and returns a
``SanityResult`` whose message is one plain sentence with the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from numbers import Integral

import numpy as np

from gradviz.core.model.layers import activation_forward
from gradviz.core.model.network import Network, validate_data
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.model.training import Trainer

__all__ = [
    "RegularizationRow",
    "SanityResult",
    "expected_initial_loss",
    "initial_loss_check",
    "iter_sanity_checks",
    "overfit_check",
    "overfit_model_check",
    "regularization_check",
    "run_sanity_checks",
]

INITIAL_LOSS_TOLERANCE = 0.10  # relative
OVERFIT_THRESHOLD = 0.05
L2_VALUES = (0.0, 0.1, 1.0, 10.0)


@dataclass
class RegularizationRow:
    """The loss at one λ: the data loss, the term λ/(2m)·Σ‖W[l]‖²_F, and their sum J."""

    l2: float
    data: float
    reg: float

    @property
    def total(self) -> float:
        return self.data + self.reg


@dataclass
class SanityResult:
    """One check: what the lectures expect, what gradviz observed, and a sentence saying so.

    rows: the regularization check's losses per λ; curve: the overfit check's loss per iteration.
    """

    name: str
    expected: float | str
    observed: float | tuple[float, ...]
    ok: bool
    message: str
    rows: list[RegularizationRow] = field(default_factory=list)
    curve: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _variant(spec: NetworkSpec, **changes) -> NetworkSpec:
    """A copy of ``spec`` with dropout off and the given fields changed (a new init replaces the
    layers' own inits too)."""
    data = spec.to_dict()
    layers = [{**layer, "keep_prob": 1.0} for layer in data["layers"]]
    if "init" in changes:
        layers = [{k: v for k, v in layer.items() if k != "init"} for layer in layers]
    return NetworkSpec.from_dict({**data, **changes, "layers": layers})


def _network(spec: NetworkSpec, params: dict[str, np.ndarray] | None, **changes) -> Network:
    return Network(_variant(spec, **changes), params=params)


def _loss(net: Network, X: np.ndarray, y: np.ndarray, terms: str = "all") -> float:
    with np.errstate(all="ignore"):
        return float(net.evaluate(X, y, masks=None, terms=terms, backprop=False).J.real)


def _init_words(spec: NetworkSpec, init: str | None) -> str:
    if init is not None:
        return f"init {init!r}"
    inits = sorted({layer.init or spec.init for layer in spec.layers})
    gain = f", gain {spec.init_gain:g}" if spec.init_gain != 1 else ""
    return f"init {', '.join(repr(i) for i in inits)}{gain}"


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
    spec: NetworkSpec, X: np.ndarray, y: np.ndarray, *, init: str | None = None,
    params: dict[str, np.ndarray] | None = None,
) -> SanityResult:
    """The data loss at initialization should be what chance gives (``expected_initial_loss``),
    within 10 %: true for small weights, not always for He or Xavier weights on wide layers.

    init: None checks the network's own init (the spec's inits and gain, or ``params``);
    a name ("small", "he", ...) checks that init instead.
    """
    X, y = validate_data(spec, X, y)
    if init is not None:
        net = _network(spec, None, init=init, l2=0.0, l1=0.0, init_gain=1.0)
    else:
        net = _network(spec, params, l2=0.0, l1=0.0)
    observed = _loss(net, X, y)
    expected = expected_initial_loss(spec, y)
    tolerance = INITIAL_LOSS_TOLERANCE * expected if expected > 0 else 1e-3
    ok = math.isfinite(observed) and abs(observed - expected) <= tolerance
    C = spec.layers[-1].units
    at_zero = float(activation_forward(np.zeros(1), spec.layers[-1].activation)[0])
    what = {
        "softmax_ce": f"ln {C}", "svm": f"{C} − 1", "bce": "ln 2",
        "mse": f"½‖y − {at_zero:g}‖² on average" if at_zero else "½‖y‖² on average",
    }[spec.loss]
    how = _init_words(spec, init)
    if ok:
        message = (f"The initial loss {observed:.4g} is close to the expected {expected:.4g} ({what}) "
                   f"with {how}.")
    else:
        message = (f"The initial loss {observed:.4g} is far from the expected {expected:.4g} ({what}) "
                   f"with {how}: the scores are not near 0 at the start; check the loss, the weight "
                   "scale (init, gain) and the input scale.")
    return SanityResult("initial loss", expected, observed, ok, message)


def regularization_check(
    spec: NetworkSpec,
    X: np.ndarray,
    y: np.ndarray,
    l2_values: tuple[float, ...] = L2_VALUES,
    *,
    params: dict[str, np.ndarray] | None = None,
) -> SanityResult:
    """At the same parameters (the network's own init, or ``params``), J should rise with each
    larger l2 value; the data loss and the regularization term are reported apart (``rows``)."""
    X, y = validate_data(spec, X, y)
    values = sorted(float(v) for v in l2_values)
    if len(values) < 2 or len(set(values)) != len(values) or values[0] < 0:
        raise ValueError(f"l2_values must hold at least 2 different numbers >= 0; got {l2_values!r}")
    rows = []
    for l2 in values:
        net = _network(spec, params, l2=l2, l1=0.0)
        rows.append(RegularizationRow(l2, _loss(net, X, y, "data"), _loss(net, X, y, "reg")))
    totals = tuple(row.total for row in rows)
    ok = all(b > a for a, b in pairwise(totals))
    data = rows[0].data
    terms = ", ".join(f"{row.reg:.3g}" for row in rows)
    lams = ", ".join(f"{row.l2:g}" for row in rows)
    shown = f"the data loss is {data:.4g} at every λ and λ/(2m)·Σ‖W‖² adds {terms} at λ = {lams}"
    if ok:
        message = f"J rises with λ, as it should: {shown}."
    else:
        message = (f"J does not rise with λ: {shown}. The regularization term is missing from J, or "
                   "the weights are zero.")
    return SanityResult("regularization", "a loss that rises with λ", totals, ok, message, rows=rows)


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
    params: dict[str, np.ndarray] | None = None,
) -> SanityResult:
    """Train (Adam, full batch) on n examples with no regularization and no dropout, from the
    network's own init (or ``params``); ok when the data loss falls below ``threshold`` within
    ``iterations``. ``curve`` holds the loss of every iteration run."""
    X, y = validate_data(spec, X, y)
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n must be a whole number of examples >= 1; got {n!r}")
    _whole_number("iterations", iterations)
    m = X.shape[1]
    idx = np.sort(np.random.default_rng(seed).choice(m, size=min(n, m), replace=False))
    X_small = X[:, idx]
    y_small = y[idx] if y.ndim == 1 else y[:, idx]
    trainer = Trainer(_network(spec, params, l2=0.0, l1=0.0), X_small, y_small,
                      optimizer="adam", lr=lr, seed=seed)
    return _overfit(trainer, f"{idx.size} examples", iterations, threshold, "the network")


def overfit_model_check(
    model, X, y, iterations: int = 1000, *, lr: float = 0.01, threshold: float = OVERFIT_THRESHOLD
) -> SanityResult:
    """``overfit_check`` for any model of the protocol (``.params``, ``.loss(X, y)``): train it
    (Adam, full batch) on X and y as given, its loss as written (regularization included);
    ok when the loss falls below ``threshold``. The model's parameters are restored afterwards."""
    _whole_number("iterations", iterations)
    trainer = Trainer(model, X, y, optimizer="adam", lr=lr)
    try:
        return _overfit(trainer, "the given examples", iterations, threshold, "the model",
                        "; if your loss adds regularization, set it to 0 for this check")
    finally:
        trainer.reset()


def _whole_number(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")


def _overfit(trainer: Trainer, examples: str, iterations: int, threshold: float, what: str,
             hint: str = "") -> SanityResult:
    """Run ``trainer`` until its loss falls below ``threshold`` or ``iterations`` have run."""
    losses = []
    for record in trainer.steps(iterations):
        losses.append(record.loss)
        if record.loss < threshold:
            break
    curve = np.array(losses)
    loss, done = (losses[-1] if losses else math.inf), len(losses)
    ok = loss < threshold
    if ok:
        message = (f"The loss on {examples} fell to {loss:.4g} (below {threshold:g}) in {done} "
                   f"iterations: {what} can overfit a tiny subset.")
    elif trainer.stop_reason is not None:
        message = f"Training on {examples} stopped: {trainer.stop_reason}."
    else:
        message = (f"The loss on {examples} is still {loss:.4g} after {done} iterations (it should "
                   f"fall below {threshold:g}){hint}: look for a bug before training on the full "
                   "data.")
    return SanityResult("overfit a tiny subset", threshold, loss, ok, message, curve=curve)


def iter_sanity_checks(
    spec: NetworkSpec, X: np.ndarray, y: np.ndarray, *, params: dict[str, np.ndarray] | None = None
) -> Iterator[SanityResult]:
    """The three checks in the lectures' order, each yielded as soon as it is done (for a worker)."""
    yield initial_loss_check(spec, X, y, params=params)
    yield regularization_check(spec, X, y, params=params)
    yield overfit_check(spec, X, y, params=params)


def run_sanity_checks(
    spec: NetworkSpec, X: np.ndarray, y: np.ndarray, *, params: dict[str, np.ndarray] | None = None
) -> list[SanityResult]:
    """The three checks in the lectures' order: initial loss, regularization, overfitting."""
    return list(iter_sanity_checks(spec, X, y, params=params))
