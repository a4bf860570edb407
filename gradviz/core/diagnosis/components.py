"""What each component's comparison shows (an index into COMPONENT_KINDS), from its error bounds.

First step, at the check's ε, in this order:
- kink: its ±ε steps crossed a kink (flagged while measuring);
- agrees: |a − n| ≤ 1e-5·max(|a|, |n|) (the lectures' "ok", per component);
- noise_floor: |a − n| within the rounding floor (bounds.py); zero true gradients land here.
  So does every component when J moved for none of them (n = 0 everywhere) and that is its
  resolution (``Context.flat``: steps absorbed by θ, or a saturated |J| ≤ 100u/ε);
- random: the loss is random (two values at the same θ), so no disagreement means anything;
- nonfinite: J was NaN or Inf at θ + ε or θ − ε (a log of 0, an overflow), so there is no
  numeric gradient to compare with; a backprop gradient that is NaN or Inf where the numeric
  one is finite stays a mismatch;
- mismatch, for now: evaluated again at a second step ε₂ = ε/4 or 4ε.

Second step, with D₁ = a − n(ε) and D₂ = a − n(ε₂), r = ε₂/ε and ρ = r^order:
- truncation: the error moves as ε^order. Extrapolated to ε → 0 (Richardson), what is left,
  B = (D₂ − ρD₁)/(1 − ρ), is within its own bound (the floors carried through the same formula,
  the lectures' 1e-5, and HIGHER_ORDER of the part that moved: the next power of ε);
- truncation or noise_floor: the error vanished at ε₂ (within its bound and at most half of D₁):
  truncation when ε₂ < ε, rounding when ε₂ > ε;
- noise_floor: the error moved as rounding does (∝ 1/ε): at least twice larger at ε/4, or at
  least twice smaller at 4ε, where a bug would not move and truncation would move the other way;
  or it changed sign, which neither a bug nor truncation does;
- kink, for models whose kinks are read from J alone: the error moved at least twice, but not as
  a power of ε. Richardson's fit assumes J smooth within ε, which such a model does not promise,
  and an error that moves with ε is the method's;
- mismatch: otherwise. The error did not move with ε: it is backprop's, a bug.
A component whose second step crossed a kink (numeric_second NaN) keeps its first-step kind;
one where J was NaN or Inf at θ ± ε₂ (numeric_second Inf) is nonfinite: the error's trend,
which would tell truncation from a bug, is unknown.
"""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.bounds import TRUNCATION_ORDER, acceptable
from gradviz.core.diagnosis.context import Context
from gradviz.core.report.check_report import (
    AGREES,
    KINK,
    MISMATCH,
    NOISE_FLOOR,
    NONFINITE,
    OK,
    RANDOM,
    TRUNCATION,
    UNCHECKED,
    BlockResult,
)

#: the share of the moving part of the error left to higher powers of ε in the Richardson fit
HIGHER_ORDER = 0.05
#: how far the error must move (either way) to count as moving: between 1× (a bug) and 4×
MOVED = 2.0


def first_step_kinds(block: BlockResult, context: Context, *, random: bool | None = None) -> np.ndarray:
    """Kinds after the first step; components left "mismatch" need the second step."""
    a, n = block.analytic, block.numeric
    floor = context.floor(block.name)
    error = np.where(np.isfinite(a) & np.isfinite(n), block.abs_error, np.nan)
    kinds = np.full(a.shape, MISMATCH, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        kinds[error <= floor] = NOISE_FLOOR
        kinds[unresolved(block, context)] = NOISE_FLOOR
        kinds[error <= OK * np.maximum(np.abs(a), np.abs(n))] = AGREES
        kinds[(a == n)] = AGREES  # equal infinities too
    if context.random if random is None else random:
        kinds[kinds == MISMATCH] = RANDOM
    kinds[block.kink] = KINK
    kinds[np.isinf(n) & (a != n)] = NONFINITE  # the check marks a NaN J at θ ± ε as Inf
    kinds[~block.checked] = UNCHECKED
    return kinds


def unresolved(block: BlockResult, context: Context) -> np.ndarray:
    """Every component when J moved for no component of the check (else none)."""
    return np.full(block.analytic.shape, context.method != "complex" and context.flat)


def second_step_kinds(
    kinds: np.ndarray, block: BlockResult, floors: tuple[np.ndarray, np.ndarray],
    epsilons: tuple[float, float], method: str, *, rough: bool = False,
) -> np.ndarray:
    """Re-classify the "mismatch" components that have a second-step value; ``rough``: J may
    have kinks the check cannot flag (they are read from J alone)."""
    kinds = np.where((kinds == MISMATCH) & np.isinf(block.numeric_second), NONFINITE, kinds)
    kinds = kinds.astype(np.int8)
    todo = (kinds == MISMATCH) & np.isfinite(block.numeric_second) & np.isfinite(block.numeric)
    if not todo.any():
        return kinds
    a = block.analytic[todo]
    n1, n2 = block.numeric[todo], block.numeric_second[todo]
    f1, f2 = floors[0][todo], floors[1][todo]
    d1, d2 = a - n1, a - n2
    r = epsilons[1] / epsilons[0]
    rho = r ** TRUNCATION_ORDER[method]
    left = (d2 - rho * d1) / (1 - rho)
    left_bound = (np.maximum(OK * np.maximum(np.abs(a), np.abs(n2)), (f2 + rho * f1) / abs(1 - rho))
                  + HIGHER_ORDER * np.abs(d1 - d2))
    truncation = np.abs(left) <= left_bound
    vanished = (np.abs(d2) <= acceptable(a, n2, f2)) & (np.abs(d2) * MOVED <= np.abs(d1))
    smaller, larger = np.abs(d2) * MOVED <= np.abs(d1), np.abs(d2) >= MOVED * np.abs(d1)
    flipped = np.sign(d1) * np.sign(d2) < 0
    if r < 1:
        truncation |= vanished
        rounding = larger | flipped
        moved = smaller
    else:
        rounding = vanished | smaller | flipped
        moved = larger
    new = np.full(a.shape, MISMATCH, dtype=np.int8)
    if rough:
        new[moved] = KINK
    new[rounding] = NOISE_FLOOR
    new[truncation] = TRUNCATION
    kinds[todo] = new
    return kinds


def classify_block(block: BlockResult, context: Context, *, random: bool | None = None) -> np.ndarray:
    """Every component's kind, from both steps when the check ran a second one."""
    random = context.random if random is None else random
    kinds = first_step_kinds(block, context, random=random)
    second = context.second_epsilon
    if second is None or random:
        return kinds
    floors = (context.floor(block.name), context.floor(block.name, float(second)))
    return second_step_kinds(kinds, block, floors, (context.epsilon, float(second)), context.method,
                             rough=bool(context.report.settings.get("kinks_from_J")))
