"""Why a block disagrees without a bug, in one sentence: kinks, the rounding floor, truncation
(measured by the second step), a random loss, or a J that was NaN or Inf at θ ± ε. The kind
whose components carry most of the block's squared error speaks for the block; components with
no numeric gradient (nonfinite) speak first: the block's difference is infinite through them."""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.bounds import TRUNCATION_ORDER, suggested_epsilon
from gradviz.core.diagnosis.context import Context, Diagnosis, gradient_name
from gradviz.core.report.check_report import (
    KINK,
    NOISE_FLOOR,
    NONFINITE,
    RANDOM,
    TRUNCATION,
    norm_ratio,
)

#: a loss or gradients beyond these magnitudes are near the ends of float64: scale the loss
EXTREME = (1e-150, 1e150)


def dominant_kind(context: Context, names) -> int | None:
    """The explained kind carrying most squared error over the given blocks (None if none).
    Errors are compared on one scale: every block's gradient is of the same J."""
    blocks = [context.report.blocks[name] for name in names]
    if any(np.any(b.kinds == NONFINITE) for b in blocks):
        return NONFINITE
    errors = {kind: np.concatenate([b.abs_error[b.kinds == kind] for b in blocks] or [np.zeros(0)])
              for kind in (KINK, NOISE_FLOOR, TRUNCATION, RANDOM)}
    errors = {kind: np.nan_to_num(e, nan=np.inf) for kind, e in errors.items() if e.size}
    if not errors:
        return None
    finite = np.concatenate([e[np.isfinite(e)] for e in errors.values()])
    scale = float(finite.max(initial=0.0)) or 1.0
    weights = {kind: float(np.sum(np.minimum(e / scale, 1.0) ** 2)) for kind, e in errors.items()}
    return max(weights, key=weights.get)


def explain_block(context: Context, name: str) -> Diagnosis:
    """The diagnosis of a block with no mismatch whose difference exceeds 1e-5."""
    kind = dominant_kind(context, [name])
    if kind == NONFINITE:
        return _nonfinite(context, name)
    if kind == RANDOM:
        return _random(context, name)
    if kind == TRUNCATION:
        return _truncation(context, name)
    if kind == NOISE_FLOOR:
        return _rounding(context, name)
    return _kink(context, name)


def rounding_fix(context: Context) -> str:
    """What to change when rounding hides the gradient."""
    c = context
    best = suggested_epsilon(c.dtype, c.method) if c.method != "complex" else c.epsilon
    if c.dtype != "float64":
        return f"use float64 (ε ≈ {suggested_epsilon('float64', c.method):.0e})"
    if c.flat:
        return "check at a θ where the loss is not saturated (not ≈ 0)"
    if c.loss and not EXTREME[0] <= c.loss <= EXTREME[1]:
        return f"|J| = {c.loss:.1e} is near the end of float64's range: scale the loss toward 1 " \
               "with loss_scale"
    if c.epsilon < best:
        return f"ε is too small: try ε ≈ {best:.0e}"
    return "the gradient is tiny next to |J|: try a larger ε"


def nonfinite_where(context: Context, names) -> str:
    """The first component (in block order) whose J was NaN or Inf at θ ± ε, at which step, and
    how many more: "W1[0, 2] (at ε = 1e-07; 3 more)"."""
    blocks = [context.report.blocks[n] for n in names]
    found = [(b, int(i)) for b in blocks for i in np.flatnonzero(b.kinds.ravel() == NONFINITE)]
    b, i = found[0]
    index = ", ".join(str(int(k)) for k in np.unravel_index(i, b.analytic.shape))
    step = context.epsilon if np.isinf(b.numeric.flat[i]) else float(context.second_epsilon)
    more = f"; {len(found) - 1} more" if len(found) > 1 else ""
    return f"{b.name}[{index}] (at ε = {step:.2g}{more})"


def nonfinite_fix(context: Context) -> str:
    """What to change when J is NaN or Inf at θ ± ε."""
    if context.dtype == "float16":
        return "use float32 or float64: the loss overflows float16 (largest 65504) near θ"
    fix = "use a smaller ε or keep θ ± ε inside the loss's domain (a log of 0, a division by 0)"
    return fix if context.dtype == "float64" else f"use float64, {fix}"


def truncation_fix(context: Context) -> str:
    best = suggested_epsilon(context.dtype, context.method) if context.method != "complex" \
        else context.epsilon / 10
    return f"use a smaller ε (≈ {min(best, context.epsilon / 10):.0e})"


def _largest(context: Context, name: str, kind: int) -> tuple[float, float, float]:
    """(|a − n| at ε, |a − n| at the second step, |n|) of the kind's largest-error component."""
    b = context.report.blocks[name]
    where = np.flatnonzero(b.kinds.ravel() == kind)
    i = where[np.argmax(b.abs_error.ravel()[where])]
    a = b.analytic.flat[i]
    return float(abs(a - b.numeric.flat[i])), float(abs(a - b.numeric_second.flat[i])), \
        float(abs(b.numeric.flat[i]))


def _rounding(context: Context, name: str) -> Diagnosis:
    c, b, g = context, context.report.blocks[name], gradient_name(name)
    first, second, _ = _largest(c, name, NOISE_FLOOR)
    floor = c.floor(name)
    noise = b.kinds == NOISE_FLOOR
    if c.flat:
        return Diagnosis(
            name, "noise",
            f"J did not change when any component of θ moved by ±ε (every numeric gradient is "
            f"0), while {g} is up to {float(np.max(np.abs(b.analytic[noise]))):.1e}: the rounding "
            f"floor of {c.dtype} with ε = {c.epsilon:.2g}, below which J = {c.loss:.2g} cannot "
            "change; not a bug",
        )
    if np.isfinite(second) and c.second_epsilon is not None:
        e2 = float(c.second_epsilon)
        return Diagnosis(
            name, "noise",
            f"the error in {g} falls as ε grows ({first:.1e} at ε = {c.epsilon:.2g}, {second:.1e}"
            f" at ε = {e2:.2g}): rounding in J, not a bug; {rounding_fix(c)}",
        )
    sides = np.maximum(np.abs(b.analytic[noise]), np.abs(b.numeric[noise]))
    if np.all(sides <= floor[noise]):
        return Diagnosis(
            name, "noise",
            f"{g} is 0 within rounding on both sides (|dθ| and |dθ_approx| at most "
            f"{float(sides.max()):.1e}, the rounding floor of {c.dtype} with ε = {c.epsilon:.2g} is "
            f"{float(np.max(floor[noise])):.1e}): a true gradient of 0 (a bias before a "
            "normalization, a unit that never acts), not a bug",
        )
    return Diagnosis(
        name, "noise",
        f"the differences in {g} (largest {first:.1e}) are at the rounding floor of {c.dtype} "
        f"with ε = {c.epsilon:.2g} (about u·|J|/ε = {c.u * c.loss / c.epsilon:.1e}): not a bug; "
        f"{rounding_fix(c)}",
    )


def _truncation(context: Context, name: str) -> Diagnosis:
    c, g = context, gradient_name(name)
    first, second, _ = _largest(c, name, TRUNCATION)
    order = TRUNCATION_ORDER[c.method]
    power = {1: "ε", 2: "ε²", 4: "ε⁴"}[order]
    e2 = float(c.second_epsilon)
    moves = "falls" if e2 < c.epsilon else "grows"
    return Diagnosis(
        name, "truncation",
        f"the error in {g} {moves} as {power} ({first:.1e} at ε = {c.epsilon:.2g}, {second:.1e} "
        f"at ε = {e2:.2g}): the truncation error of {c.method} differences, not a bug; "
        f"{truncation_fix(c)}",
    )


def _kink(context: Context, name: str) -> Diagnosis:
    b, g = context.report.blocks[name], gradient_name(name)
    kinked = b.kinds == KINK
    smooth = b.checked & ~kinked
    where = "(ReLU, hinge or |w|)" if context.spec is not None else \
        "(J's one-sided slopes, or its error's trend with ε, show it is not smooth there)"
    return Diagnosis(
        name, "kink",
        f"{g} differs from the numeric gradient only at {int(kinked.sum())} component(s) whose "
        f"±ε step crossed a kink {where}: difference {b.difference:.1e} with them and "
        f"{norm_ratio(b.numeric[smooth], b.analytic[smooth]):.1e} without, so not a bug",
    )


def _nonfinite(context: Context, name: str) -> Diagnosis:
    g = gradient_name(name)
    return Diagnosis(
        name, "nonfinite",
        f"J was NaN or Inf at θ ± ε for {nonfinite_where(context, [name])}, so {g} has nothing "
        f"to be compared with there: not evidence of a bug; {nonfinite_fix(context)}",
    )


def _random(context: Context, name: str) -> Diagnosis:
    b, g = context.report.blocks[name], gradient_name(name)
    if context.dropout == "resample":
        why = "dropout masks were drawn anew for every evaluation, so J is not one function"
        fix = "check with dropout 'frozen'"
    else:
        why = "the loss is random (two values at the same θ), so J is not one function"
        fix = "fix the seed or turn the randomness off for the check"
    return Diagnosis(
        name, "random",
        f"{g} differs by {b.difference_without_kinks:.1e} because {why}: not evidence of a bug; "
        f"{fix}",
        shared=f"every difference is meaningless because {why}: not evidence of a bug; {fix}",
    )
