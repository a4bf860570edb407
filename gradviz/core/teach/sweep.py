"""The epsilon sweep: |dθ − dθ_approx| against ε, per dtype and difference formula.

Right of the best ε the truncation error of the formula dominates (slope ≈ 2 centered, ≈ 1
one-sided on log–log axes); left of it rounding in J dominates (slope ≈ −1). The built-in
Network is copied into each dtype with the same parameters (the user's net is not touched);
any other model is swept in its own dtype. The truth is the analytic gradient in float64.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from gradviz.core.check.objective import ModelObjective, NetworkObjective
from gradviz.core.check.reference import difference_quotient
from gradviz.core.model.network import Network
from gradviz.core.model.spec import DTYPES
from gradviz.core.report.check_report import norm_ratio

SWEEP_METHODS = ("centered", "forward", "richardson")
DEFAULT_EPSILONS = np.logspace(-12, -1, 23)
BLOCK_SAMPLE = 32  # components per block sweep, drawn with a fixed seed
SATURATED = 0.5  # a relative error this large means the numeric value is noise or zero


@dataclass
class Sweep:
    """Error against ε for each (dtype, method) curve.

    curves[(dtype, method)] = (epsilons (k,), errors (k,)): |analytic − numeric| for one
    component, or the norm-ratio difference over ``components`` of the block (index None).
    slopes: the fitted log–log slope right of the best ε (truncation side); rounding_slopes:
    left of it (rounding side); NaN where fewer than two points are usable.
    """

    block: str
    index: tuple[int, ...] | None
    components: np.ndarray
    curves: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    slopes: dict[tuple[str, str], float] = field(default_factory=dict)
    rounding_slopes: dict[tuple[str, str], float] = field(default_factory=dict)
    best_epsilon: dict[tuple[str, str], float] = field(default_factory=dict)
    best_error: dict[tuple[str, str], float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def target(self) -> str:
        return self.block if self.index is None else f"{self.block}{list(self.index)}"

    def lines(self) -> list[str]:
        """One sentence per curve: the slopes and the best ε, then the notes."""
        out = []
        for (dtype, method), slope in self.slopes.items():
            best, error = self.best_epsilon[(dtype, method)], self.best_error[(dtype, method)]
            out.append(
                f"{self.target}, {dtype} {method}: slope {_fmt(slope)} where truncation dominates, "
                f"{_fmt(self.rounding_slopes[(dtype, method)])} where rounding dominates; "
                f"best ε {best:.0e} (error {error:.1e})"
            )
        return out + self.notes

    def to_dict(self) -> dict:
        return {
            "block": self.block,
            "index": None if self.index is None else list(self.index),
            "components": self.components.tolist(),
            "curves": [
                {"dtype": d, "method": m, "epsilons": e.tolist(), "errors": err.tolist(),
                 "slope": self.slopes[(d, m)], "rounding_slope": self.rounding_slopes[(d, m)],
                 "best_epsilon": self.best_epsilon[(d, m)], "best_error": self.best_error[(d, m)]}
                for (d, m), (e, err) in self.curves.items()
            ],
            "notes": list(self.notes),
        }


def _fmt(slope: float) -> str:
    return "n/a" if math.isnan(slope) else f"{slope:+.2f}"


def epsilon_sweep(
    model,
    X=None,
    y=None,
    *,
    block: str,
    index: tuple[int, ...] | int | None = None,
    epsilons: Iterable[float] | None = None,
    dtypes: Iterable[str] = ("float64", "float32"),
    methods: Iterable[str] = ("centered", "forward"),
) -> Sweep:
    """Sweep ε for one component of ``block`` (index: a position or a flat index) or, with
    index None, for the block's difference over up to 32 seeded components.

    epsilons default to 23 points from 1e-12 to 1e-1. dtypes: float64, float32, float16 (a
    model other than the built-in Network is swept in its own dtype only). methods: centered,
    forward, richardson. Dropout is off (keep_prob treated as 1); the model is unchanged.
    """
    eps = _epsilons(epsilons)
    methods = _subset("methods", methods, SWEEP_METHODS)
    dtypes = _subset("dtypes", dtypes, DTYPES)
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not callable(getattr(model, "loss", None)):
        raise ValueError("a model needs .params (a dict of arrays) and .loss(X, y) -> (J, grads)")
    if not isinstance(block, str) or block not in params:
        raise ValueError(f"block must name a parameter among {', '.join(params)}; got {block!r}")
    shape = np.shape(params[block])
    flat, index = _components(shape, index)
    sweep = Sweep(block, index, flat)
    for dtype, objective, truth in _objectives(model, X, y, dtypes, sweep.notes):
        numeric = _numeric(objective, block, flat, eps, methods)
        a = truth[block].ravel()[flat]
        for method in methods:
            n = numeric[method]
            if index is None:
                errors = np.array([norm_ratio(n[:, j], a) for j in range(len(eps))])
                relative = errors
            else:
                errors = np.abs(n[0] - a[0])
                relative = errors / abs(a[0]) if a[0] != 0 else np.full_like(errors, np.inf)
            key = (dtype, method)
            sweep.curves[key] = (eps.copy(), errors)
            _fit_curve(sweep, key, eps, errors, relative)
    return sweep


def _epsilons(epsilons: Iterable[float] | None) -> np.ndarray:
    if epsilons is None:
        return DEFAULT_EPSILONS.copy()
    try:
        eps = np.unique(np.asarray(list(epsilons), dtype=np.float64))
    except (TypeError, ValueError, OverflowError):
        raise ValueError("epsilons must be numbers") from None
    if eps.size < 3 or not np.all(np.isfinite(eps)) or eps[0] <= 0:
        raise ValueError(f"epsilons must hold at least 3 distinct finite numbers > 0; got {epsilons!r}")
    return eps


def _subset(name: str, values: Iterable[str], allowed: tuple[str, ...]) -> list[str]:
    try:
        values = [values] if isinstance(values, str) else list(values)
    except TypeError:
        raise ValueError(f"{name} must be chosen among {', '.join(allowed)}; got {values!r:.40}") from None
    if not values or any(not isinstance(v, str) or v not in allowed for v in values):
        raise ValueError(f"{name} must be chosen among {', '.join(allowed)}; got {values!r}")
    return list(dict.fromkeys(values))


def _components(shape: tuple[int, ...], index) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """The flat indices to sweep and the index as a position (None for a block sweep)."""
    size = math.prod(shape)
    if index is None:
        if size <= BLOCK_SAMPLE:
            return np.arange(size), None
        return np.sort(np.random.default_rng(0).choice(size, BLOCK_SAMPLE, replace=False)), None
    try:
        if isinstance(index, int | np.integer) and not isinstance(index, bool):
            position = tuple(int(i) for i in np.unravel_index(int(index), shape))
        else:
            position = tuple(int(i) for i in index)
        flat = int(np.ravel_multi_index(position, shape))
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"index must be a position in shape {shape} or a flat index below {size}; "
                         f"got {index!r}") from None
    return np.array([flat]), position


def own_dtype(model) -> str:
    """The dtype a model other than the built-in Network is swept in: its first block's."""
    return str(next(iter(model.params.values())).dtype)


def _objectives(model, X, y, dtypes: list[str], notes: list[str]):
    """Yield (dtype, objective in that dtype, float64 analytic gradient at the same θ)."""
    if not isinstance(model, Network):
        own = own_dtype(model)
        skipped = [d for d in dtypes if d != own]
        if own not in dtypes:
            raise ValueError(f"a custom model is swept in its own dtype ({own}): include it in dtypes")
        if skipped:
            notes.append(f"{', '.join(skipped)} needs the built-in Network: a custom model is swept "
                         f"in its own dtype ({own}) only")
        objective = ModelObjective(model, X, y, loss_scale=1.0)
        yield own, objective, objective.analytic
        return
    for dtype in dtypes:
        copy = Network(replace(model.spec, dtype=dtype), params=model.params)
        copy.bugs = model.bugs
        truth = Network(replace(model.spec, dtype="float64"), params=copy.params)
        truth.bugs = model.bugs
        options = {"dropout": "off", "terms": "all", "loss_scale": 1.0, "seed": 0}
        objective = NetworkObjective(copy, X, y, **options)
        yield dtype, objective, NetworkObjective(truth, X, y, **options).analytic


def _numeric(objective, block: str, flat: np.ndarray, eps: np.ndarray, methods: list[str]):
    """numeric[method] (components, epsilons) from as few evaluations of J as the methods need."""
    J0 = float(np.real(objective.J0))
    out = {method: np.empty((len(flat), len(eps))) for method in methods}
    for i, f in enumerate(flat):
        for j, e in enumerate(eps):
            cache: dict[float, float] = {}

            def J(delta: float, f: int = int(f), cache: dict = cache) -> float:
                if delta not in cache:
                    cache[delta] = float(np.real(objective.value(block, f, delta)[0]))
                return cache[delta]

            for method in methods:  # the methods share J(±ε) through the cache
                out[method][i, j] = difference_quotient(J, J0, float(e), method)[0]
    return out


def _fit_curve(sweep: Sweep, key, eps: np.ndarray, errors: np.ndarray, relative: np.ndarray) -> None:
    """Best ε, and the least-squares log–log slopes right (truncation) and left (rounding) of it."""
    finite = np.isfinite(errors)
    best = int(np.argmin(np.where(finite, errors, np.inf)))
    sweep.best_epsilon[key], sweep.best_error[key] = float(eps[best]), float(errors[best])
    usable = finite & (errors > 0) & (relative < SATURATED)
    sweep.slopes[key] = _slope(eps, errors, usable & (eps >= 10 * eps[best]), usable & (eps > eps[best]))
    sweep.rounding_slopes[key] = _slope(eps, errors, usable & (eps <= eps[best] / 10),
                                        usable & (eps < eps[best]))


def _slope(eps: np.ndarray, errors: np.ndarray, far: np.ndarray, near: np.ndarray) -> float:
    """The slope over the points a decade or more from the best ε, else over all on that side."""
    side = far if far.sum() >= 2 else near
    if side.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log10(eps[side]), np.log10(errors[side]), 1)[0])
