"""Error bounds of a gradient check, per component: how far rounding can move the numeric
gradient and backprop's own, and the second step that measures truncation.

The numeric derivative n of J at θ_i with step ε differs from ∂J/∂θ_i by
- truncation: ε²·J'''/6 (centered), ε·J''/2 (forward), O(ε⁴) (richardson), O(ε²) (complex).
  J''' is unknown before the check, so truncation is measured by a second step, never assumed;
- rounding of J: J is computed in the model's dtype, each evaluation off by at most δJ, so the
  difference formula is off by at most GAIN·δJ/ε (centered: |δJ₊ − δJ₋|/2ε ≤ δJ/ε; forward:
  2δJ/ε; richardson: (4·2 + 1)/3·δJ/ε). δJ is at least J_ROUNDING·u·|J| + s (u the dtype's
  unit roundoff, s its subnormal spacing: the resolution near 0; both scaled by loss_scale), and
  at least what a probe measured: J is often a small result of large intermediates (−log p
  with p ≈ 1 rounds at u, not u·|J|), so the check measures δJ near θ (``probe_step``);
- rounding of the step: θ_i ± ε is rounded to the dtype, so the step taken differs from ε by up
  to u·(|θ_i| + ε) and n is off by GAIN·|∂J/∂θ_i|·u·(|θ_i| + ε)/ε.
Backprop itself rounds in the dtype: BACKPROP_ROUNDING·u·(|a_i| + rms(a)) + s, with the block's
root mean square because a component that is a cancellation of larger terms (a gradient near 0)
carries the rounding of those terms, not of its own size; and at least what a probe measured:
near a minimum of J every component is a cancellation of per-example terms far larger than any
gradient, so the check measures how far backprop's output moves when every θ_i moves to a
neighbouring float (``jitter_params``), block by block.

A component's floor is NOISE_FACTOR times the sum: a disagreement within it is no evidence of
a bug. The factor covers the constants of J's own computation (a log, an exp, a sum of m terms).
"""

from __future__ import annotations

import math

import numpy as np

from gradviz.core.report.check_report import OK, scaled_norm

NOISE_FACTOR = 10.0
#: J is taken to be accurate to this many units of roundoff (times NOISE_FACTOR)
J_ROUNDING = 2.0
#: backprop is taken to be accurate to this many units of roundoff of its block's scale
BACKPROP_ROUNDING = 8.0
#: truncation error of each method ∝ ε^order
TRUNCATION_ORDER = {"centered": 2, "forward": 1, "richardson": 4, "complex": 2}
#: rounding of J and of the step reach the derivative multiplied by this (see the module text)
GAIN = {"centered": 1.0, "forward": 2.0, "richardson": 3.0, "complex": 0.0}
#: the step that balances truncation and rounding, as a power of the unit roundoff
BEST_STEP_POWER = {"centered": 1 / 3, "richardson": 1 / 5, "forward": 1 / 2}
#: a J that moved for no component is at its resolution only when |J| ≤ FLAT_LOSS·u/ε
FLAT_LOSS = 100.0
#: the second step is ε / SECOND_STEP_RATIO or ε · SECOND_STEP_RATIO
SECOND_STEP_RATIO = 4.0
#: the rounding probe steps δ = ε / PROBE_RATIO and 2δ ...
PROBE_RATIO = 100.0
#: ... δ at least this many units of roundoff of |θ_i| (so no step is absorbed by θ)
PROBE_ULPS = 16.0
#: components probed per check: δJ is a property of J near θ, a sample shows it
MAX_PROBES = 8


def unit_roundoff(dtype: str | np.dtype) -> float:
    """u = eps / 2: the largest relative rounding error of one operation in ``dtype``."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def suggested_epsilon(dtype: str, method: str) -> float:
    """A step near the balance of truncation and rounding error, rounded to a power of ten."""
    if method == "complex":
        return 1e-20
    eps = 2 * unit_roundoff(dtype)
    return float(10 ** np.round(np.log10(eps ** BEST_STEP_POWER[method])))


def second_epsilon(epsilon: float, dtype: str, method: str) -> float:
    """The second step: ε/4 where truncation is the likelier error (ε at or above the balance
    step, or complex steps), 4ε where rounding is (ε below it).

    Four apart, the error of a correct component changes 16× (centered truncation), 4×
    (forward truncation, or rounding the other way) and a bug's not at all: far enough apart
    to tell, near enough that the second step stays in the same regime.
    """
    if method == "complex" or epsilon >= suggested_epsilon(dtype, method):
        return epsilon / SECOND_STEP_RATIO
    return epsilon * SECOND_STEP_RATIO


def jitter_params(params: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """θ with every component moved to a neighbouring float, in a random direction: every
    intermediate of J and backprop rounds differently there, while the gradient moves by only
    about H·ulp(θ), the size of its own rounding."""
    rng = np.random.default_rng(seed)
    return {k: np.nextafter(v, np.where(rng.random(v.shape) < 0.5, -np.inf, np.inf)).astype(v.dtype)
            for k, v in params.items()}


def backprop_jitter(analytic: dict[str, np.ndarray], moved: dict[str, np.ndarray] | None,
                    dtype: str) -> dict[str, float]:
    """Per block, max |a(θ') − a(θ)| for θ' = ``jitter_params(θ)``: how far rounding moves
    backprop's output. A block whose gradient moved by more than u^¼ of its largest value
    (10⁻⁴ in float64) jumped (a kink at θ, a ReLU fed exactly 0), which is not rounding: it
    gets no measurement, and neither does any block when ``moved`` is None (a kink switched)."""
    if moved is None:
        return {}
    cap = unit_roundoff(dtype) ** 0.25
    out = {}
    for k, a in analytic.items():
        jitter = np.abs(moved[k] - a)
        jitter = float(np.max(jitter[np.isfinite(jitter)], initial=0.0))
        if jitter <= cap * float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)):
            out[k] = jitter
    return out


def probe_step(epsilon: float, theta: np.ndarray, dtype: str) -> float | None:
    """δ of the rounding probe, which evaluates the numeric gradient at δ and 2δ: ε/100, or
    PROBE_ULPS units of roundoff of the largest |θ_i| probed when that is larger; None when 2δ
    would not stay below ε.

    The two centered differences agree but for rounding (up to δJ/δ) and truncation
    (δ²·J⁽³⁾/2: times δ and 10/ε, a floor 3·10⁻⁵ of the truncation error at ε), so
    δ·|n(δ) − n(2δ)| measures δJ without g: neither a bug nor the first step enters. The probe
    uses the components where J moves most, so that its steps move J by many rounding quanta.
    """
    largest = float(np.max(np.abs(theta), initial=0.0))
    step = max(epsilon / PROBE_RATIO, PROBE_ULPS * unit_roundoff(dtype) * largest)
    return step if 2 * step < epsilon else None


def block_scale(a: np.ndarray) -> float:
    """Root mean square of a block's finite analytic gradients, without underflow."""
    finite = a[np.isfinite(a)]
    return scaled_norm(finite) / math.sqrt(finite.size) if finite.size else 0.0


class ErrorBounds:
    """The rounding floors of one check: J at θ, the dtype, the method, θ when known."""

    def __init__(self, *, loss: float, dtype: str, method: str, loss_scale: float = 1.0,
                 params: dict[str, np.ndarray] | None = None, loss_rounding: float = 0.0,
                 backprop_rounding: dict[str, float] | None = None) -> None:
        finfo = np.finfo(np.dtype(dtype))
        self.loss_rounding = loss_rounding
        self.backprop_measured = backprop_rounding or {}
        self.method = method
        self.u = float(finfo.eps) / 2
        self.spacing = float(finfo.smallest_subnormal) * loss_scale
        self.loss = abs(loss) if math.isfinite(loss) else 0.0
        self.params = {k: np.abs(np.asarray(v, dtype=np.float64)) for k, v in (params or {}).items()}

    def evaluation(self) -> float:
        """δJ: how far rounding can move one evaluation of J (the measured value when larger)."""
        return max(J_ROUNDING * self.u * self.loss + self.spacing, self.loss_rounding)

    def numeric_rounding(self, name: str, a: np.ndarray, epsilon: float) -> np.ndarray:
        """Per component, how far rounding of J and of θ ± ε can move the numeric gradient."""
        gain = GAIN[self.method]
        theta = self.params.get(name, 0.0)
        step = self.u * (theta + epsilon) * np.abs(a)
        return gain * (self.evaluation() + step) / epsilon

    def backprop_rounding(self, name: str, a: np.ndarray) -> np.ndarray:
        """Per component, how far backprop's own rounding can move the analytic gradient (and
        the complex step's imaginary part, which rounds alike)."""
        formula = BACKPROP_ROUNDING * self.u * (np.abs(a) + block_scale(a)) + self.spacing
        return np.maximum(formula, self.backprop_measured.get(name, 0.0))

    def floor(self, name: str, a: np.ndarray, epsilon: float) -> np.ndarray:
        """Per component, the largest |a − n| that rounding explains (NOISE_FACTOR × the sum)."""
        with np.errstate(invalid="ignore", over="ignore"):
            return NOISE_FACTOR * (self.numeric_rounding(name, a, epsilon)
                                   + self.backprop_rounding(name, a))


def acceptable(a: np.ndarray, n: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """The largest |a − n| that is no evidence of a bug: the floor, or the lectures' 1e-5
    relative to the larger side (what "agrees" means)."""
    with np.errstate(invalid="ignore"):
        return np.maximum(OK * np.maximum(np.abs(a), np.abs(n)), floor)
