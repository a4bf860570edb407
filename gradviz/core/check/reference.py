"""The reference loop, the lectures' own: perturb one element of θ, evaluate J, restore.

``difference_quotient`` turns J at θ + δ into a numeric derivative (centered, forward, complex or
richardson); ``reference_numeric`` runs it over components of a block, and ``reference_chunks``
groups its results for progress reports. One process runs them in the check, each worker process
the same in ``parallel``, so the numbers are bit-identical either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from gradviz.core.diagnosis.kinks import KinkTest

PROGRESS_INTERVAL = 0.03  # seconds between progress reports


def difference_quotient(value: Callable, J0: float, eps: float, method: str) -> tuple[float, list]:
    """The numeric derivative from ``value(delta)`` evaluations, and what each returned."""
    if method == "complex":
        out = value(complex(0.0, eps))
        return float(np.imag(first_value(out))) / eps, [out]
    if method == "forward":
        out = value(eps)
        return (float(np.real(first_value(out))) - J0) / eps, [out]
    plus, minus = value(eps), value(-eps)
    centered = (float(np.real(first_value(plus))) - float(np.real(first_value(minus)))) / (2 * eps)
    if method == "centered":
        return centered, [plus, minus]
    half_plus, half_minus = value(eps / 2), value(-eps / 2)
    half = (float(np.real(first_value(half_plus))) - float(np.real(first_value(half_minus)))) / eps
    return (4 * half - centered) / 3, [plus, minus, half_plus, half_minus]


def first_value(out):
    """J from what an evaluation returned: J itself, or the first item of (J, kink)."""
    return out[0] if isinstance(out, tuple) else out


def reference_numeric(objective, name: str, flat: np.ndarray, epsilon: float, method: str,
                      kinks: KinkTest | None = None):
    """Yields (i, numeric, kink) for components ``flat`` (n,) of block ``name``.

    Kinks are what the objective reports, or, given ``kinks``, what J(θ) and J(θ ± ε) show
    (for objectives that cannot see theirs: user models).
    """
    for i, f in enumerate(flat):
        numeric, outs = difference_quotient(
            lambda d, f=int(f): objective.value(name, f, d), objective.J0, epsilon, method
        )
        kink = any(out[1] for out in outs)
        if kinks is not None:
            kink = kinks(name, int(f), numeric, float(outs[0][0]), float(outs[1][0]), epsilon)
        yield i, numeric, kink


def reference_chunks(objective, name: str, flat: np.ndarray, epsilon: float, method: str,
                     kinks: KinkTest | None = None):
    """The reference loop's results as (start, stop, numeric, kink), about PROGRESS_INTERVAL apart."""
    values, crossed = np.empty(len(flat)), np.zeros(len(flat), dtype=bool)
    first, last_yield = 0, time.perf_counter()
    for i, value, kink in reference_numeric(objective, name, flat, epsilon, method, kinks):
        values[i], crossed[i] = value, kink
        now = time.perf_counter()
        if now - last_yield >= PROGRESS_INTERVAL or i == len(flat) - 1:
            yield first, i + 1, values[first : i + 1], crossed[first : i + 1]
            first, last_yield = i + 1, now
