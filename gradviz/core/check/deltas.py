"""Exact changes of activations and losses when their input changes: the fast check's arithmetic.

The fast gradient check evaluates J at a perturbed θ as J(θ) plus the change ΔJ, and every
stage's change is computed from an identity that holds exactly: tanh's addition formula, the
log-sum-exp of a softmax rescaled by its unperturbed probabilities, differences of hinges.
Elementary functions of small arguments (tanh δ, expm1 δ), and the change of tanh or sigmoid
under a small input change δ, use their Taylor polynomials cut where the remainder is below
u/8 relative to δ (u: the dtype's unit roundoff), well under what rounding the perturbed input
already costs; larger arguments are computed directly.

Batches are laid out (m, n, E): m examples, n units, E evaluations last (long inner loops);
unperturbed values broadcast as (m, n, 1).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from numpy.polynomial import polynomial as P

from gradviz.core.model import layers as ops
from gradviz.core.model.spec import KINKED_ACTIVATIONS

#: the largest Taylor degree used for an activation's change before computing it elementwise
MAX_DEGREE = 6
#: beyond this input change, activations and losses are recomputed directly (no series)
DIRECT_ABOVE = 1.0

_TANH_SERIES = (1.0, -1 / 3, 2 / 15, -17 / 315, 62 / 2835, -1382 / 155925)
_EXPM1_SERIES = tuple(1 / math.factorial(k + 1) for k in range(9))
#: g' as a polynomial in g: tanh' = 1 − t², sigmoid' = s − s²
_FIRST_DERIVATIVE = {"tanh": (1.0, 0.0, -1.0), "sigmoid": (0.0, 1.0, -1.0)}


def unit_roundoff(dtype: np.dtype) -> float:
    """u = eps / 2 of a float or complex dtype."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def _largest(x: np.ndarray) -> float:
    """max |x| (0 for an empty x), without a temporary for real x."""
    if not x.size:
        return 0.0
    if x.dtype.kind == "c":
        return float(np.abs(x).max())
    return max(float(x.max()), -float(x.min()))


def _series(
    x: np.ndarray, coeffs: tuple[float, ...], odd: bool, u: float, big: float | None
) -> np.ndarray | None:
    """x·Σ c_k y^k with y = x² (odd) or x, cut at the first term below u/8; None if none is.
    big: an upper bound of |x| when the caller knows one."""
    big = _largest(x) if big is None else big
    y_max = big * big if odd else big
    n = next((k for k in range(1, len(coeffs)) if abs(coeffs[k]) * y_max**k <= u / 8), None)
    if n is None:
        return None
    if n == 1:
        return x.copy()
    # Horner in at least float64, rounded once to x's dtype: ≤ u/2 + u/8 for float32 and float16
    wide = x.astype(np.result_type(x.dtype, np.float64), copy=False)
    y = wide * wide if odd else wide
    acc = np.multiply(y, coeffs[n - 1])
    for c in coeffs[n - 2 : 0 : -1]:
        acc += c
        acc *= y
    acc += coeffs[0]
    acc *= wide
    return acc.astype(x.dtype, copy=False)


def tanh_of(x: np.ndarray, u: float, big: float | None = None) -> np.ndarray:
    """tanh x to within rounding (series for tiny x); big bounds |x| when known."""
    s = _series(x, _TANH_SERIES, True, u, big)
    return np.tanh(x) if s is None else s


def expm1_of(x: np.ndarray, u: float, big: float | None = None) -> np.ndarray:
    """e^x − 1 to within rounding (series for tiny x); big bounds |x| when known."""
    s = _series(x, _EXPM1_SERIES, False, u, big)
    return np.expm1(x) if s is None else s


# -- activations ------------------------------------------------------------------------------
def activation_change(
    kind: str, z0: np.ndarray, a0: np.ndarray, dz: np.ndarray, u: float
) -> tuple[np.ndarray, np.ndarray | None]:
    """(g(z0 + dz) − g(z0), switches that changed or None); a0 = g(z0) broadcasts against dz."""
    if kind in KINKED_ACTIVATIONS:
        z1 = z0 + dz
        return ops.activation_forward(z1, kind) - a0, (z1.real > 0) != (z0.real > 0)
    if kind == "linear":
        return dz, None
    big = _largest(dz)
    if big > DIRECT_ABOVE:
        return ops.activation_forward(z0 + dz, kind) - a0, None
    if kind == "tanh":  # tanh(z + δ) − tanh z = (1 − t²) tanh δ / (1 + t tanh δ)
        s = tanh_of(dz, u, big)
        return (1 - a0) * (1 + a0) * s / (1 + a0 * s), None
    # σ(z + δ) − σ(z) = σ(1 − σ) g / (1 − (1 − σ) g) with g = 1 − e^(−δ)
    g = -expm1_of(-dz, u, big)
    return a0 * (1 - a0) * g / (1 - (1 - a0) * g), None


@cache
def _derivative_polys(kind: str) -> tuple[np.ndarray, ...]:
    """g^(1..MAX_DEGREE+1) as polynomials in g (coefficients, lowest first)."""
    first = np.array(_FIRST_DERIVATIVE[kind])
    polys = [first]
    for _ in range(MAX_DEGREE):
        polys.append(P.polymul(P.polyder(polys[-1]), first))
    return tuple(polys)


@cache
def _derivative_cofactors(kind: str) -> tuple[np.ndarray, ...]:
    """Q_p with g^(p+1) = g'·Q_p(g): Q_0 = 1, Q_p = d/dg of the polynomial of g^(p)."""
    polys = _derivative_polys(kind)
    return (np.array([1.0]), *(P.polyder(polys[p - 1]) for p in range(1, MAX_DEGREE + 1)))


@cache
def _degree_limits(kind: str, u: float) -> np.ndarray:
    """limits[p-1]: the largest |δ| for which degree p keeps the remainder below u/8·|δ|.

    |g^(p+1)| ≤ Σ|coefficients| because |g| ≤ 1 for tanh and sigmoid.
    """
    polys = _derivative_polys(kind)
    return np.array([
        (u / 8 * math.factorial(p + 1) / np.abs(polys[p]).sum()) ** (1 / p)
        for p in range(1, MAX_DEGREE + 1)
    ])


def taylor_degrees(kind: str, delta_max: np.ndarray, u: float) -> np.ndarray:
    """Per evaluation, the Taylor degree that gives g(z + δ) − g(z) to rounding for |δ| ≤ delta_max;
    MAX_DEGREE + 1 where none does. Piecewise-linear activations need degree 1 (between kinks)."""
    if kind not in _FIRST_DERIVATIVE:
        return np.ones(delta_max.shape, dtype=int)
    return np.searchsorted(_degree_limits(kind, u), delta_max, side="left") + 1


def taylor_coefficients(kind: str, z0: np.ndarray, a0: np.ndarray, degree: int) -> np.ndarray:
    """c (degree, *z0.shape) with g(z0 + δ) − g(z0) = Σ_p c[p-1] δ^p (between kinks)."""
    if kind not in _FIRST_DERIVATIVE:
        slope = {"linear": 1.0, "relu": 0.0, "leaky_relu": ops.LEAKY_SLOPE}[kind]
        on = z0.real > 0
        return np.where(on, 1.0, slope).astype(a0.dtype)[None]
    # g^(p+1) = g'·Q_p(g), with g' = (1 − g)(1 + g) or g(1 − g) formed without cancellation near ±1
    factor = (1 - a0) * (1 + a0) if kind == "tanh" else a0 * (1 - a0)
    cofactors = _derivative_cofactors(kind)
    return np.stack([factor * (P.polyval(a0, cofactors[p]) / math.factorial(p + 1))
                     for p in range(degree)]).astype(a0.dtype)


def relu_interval(z0: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For z0 (m, n) and rows w (R, n): (lo, hi) (R, m) such that z0 + w·t keeps every switch of
    z0 > 0 for lo < t < hi (t real; lo ≤ 0 ≤ hi)."""
    on = z0 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = -z0[None] / w[:, None, :]
    pos, neg = (w > 0)[:, None, :], (w < 0)[:, None, :]
    lower = (on & pos) | (~on & neg)
    upper = (on & neg) | (~on & pos)
    lo = np.where(lower, tau, -np.inf).max(axis=2)
    hi = np.where(upper, tau, np.inf).min(axis=2)
    return lo, hi


# -- losses -----------------------------------------------------------------------------------
class LossChange:
    """Per-example loss changes ℓ_j(a + Δa) − ℓ_j(a) of one loss at the unperturbed a (m, n).

    Batches Δa are (m, n, E); J = Σ_j ℓ_j / m for every loss (softmax_ce: −log p_y; svm: Σ of
    hinges; bce: −y log a − (1 − y) log(1 − a); mse: ½‖a − y‖²).
    """

    def __init__(self, loss: str, a: np.ndarray, y: np.ndarray) -> None:
        self.loss, self.a = loss, a[:, :, None]
        self.rows = np.arange(a.shape[0])
        if loss in ("softmax_ce", "svm"):
            self.y = np.asarray(y, dtype=np.intp)
        if loss == "softmax_ce":
            log_sum, p = _log_softmax_parts(a, axis=1)
            self.p_row = p[:, None, :]
            self.ell = (log_sum - (a[self.rows, self.y] - a.real.max(axis=1)))[:, None]
        elif loss == "svm":
            self.margin = (a - a[self.rows, self.y][:, None] + 1)[:, :, None]
            self.active = self._active(self.margin)
        elif loss == "bce":
            self.y = (np.asarray(y).reshape(-1) == 1)[:, None, None]
            self.one_minus = 1 - self.a
        else:
            self.diff = (a - np.asarray(y).T)[:, :, None]

    def _active(self, margin: np.ndarray) -> np.ndarray:
        active = margin.real > 0
        active[self.rows, self.y] = False
        return active

    def __call__(
        self, da: np.ndarray, u: float, big: float | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(Δℓ (m, E), hinge switches changed per example and evaluation, or None); big bounds
        |Δa| when the caller knows one."""
        if self.loss == "softmax_ce":
            da_y = da[self.rows, self.y]
            big = _largest(da) if big is None else big
            if big > DIRECT_ABOVE:
                a1 = self.a + da
                log_sum, _ = _log_softmax_parts(a1, axis=1)
                return log_sum - (a1[self.rows, self.y] - a1.real.max(axis=1)) - self.ell, None
            # log Σ_k e^(a_k + Δ_k) − log Σ_k e^(a_k) = log(1 + Σ_k p_k (e^Δ_k − 1))
            rho = np.matmul(self.p_row, expm1_of(da, u, big))[:, 0]
            return np.log1p(rho) - da_y, None
        if self.loss == "svm":
            margin = self.margin + (da - da[self.rows, self.y][:, None, :])
            active = self._active(margin)
            change = np.where(active, margin, 0) - np.where(self.active, self.margin, 0)
            return change.sum(axis=1), (active != self.active).any(axis=1)
        if self.loss == "bce":
            ratio = np.where(self.y, da / self.a, -da / self.one_minus)
            return -np.log1p(ratio).sum(axis=1), None
        return (da * (self.diff + da / 2)).sum(axis=1), None


def _log_softmax_parts(a: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(log Σ_k e^(a_k − max a), softmax) along ``axis``, shifted as ``losses.softmax_ce`` does."""
    shifted = a - a.real.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=axis, keepdims=True)
    return np.log(total).squeeze(axis), e / total
