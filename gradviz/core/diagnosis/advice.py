"""Plain-sentence warnings about how a check was run: the lectures' practical tips, applied."""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.bounds import block_scale, suggested_epsilon
from gradviz.core.report.check_report import CheckReport

__all__ = ["check_warnings", "suggested_epsilon"]

#: a loss below this (times loss_scale) is taken as saturated (softmax or sigmoid outputs at ±1)
SATURATED = 1e-6


def check_warnings(report: CheckReport, objective) -> list[str]:
    """Sentences for whatever in this check's set-up can make its numbers misleading."""
    s = report.settings
    eps, method, dtype = s["epsilon"], s["method"], s["dtype"]
    finfo = np.finfo(np.dtype(dtype))
    spacing = float(finfo.eps)
    out: list[str] = []

    if method != "complex":
        rounding = spacing * max(abs(report.loss), 1e-300) / eps
        grads = np.concatenate([b.analytic[b.checked] for b in report.blocks.values()])
        typical = block_scale(grads)
        best = suggested_epsilon(dtype, method)
        if eps < spacing:
            out.append(
                f"epsilon {eps:.0e} is below the {dtype} spacing at |θ|≈1 ({spacing:.1e}): "
                f"the numeric gradient is rounding noise; try epsilon {best:.0e} or float64"
            )
        elif typical > 0 and rounding > 1e-3 * typical:
            out.append(
                f"epsilon {eps:.0e} is small for {dtype}: rounding in J alone can move the numeric "
                f"gradient by about {rounding:.1e} (typical gradient {typical:.1e}); "
                f"try epsilon {best:.0e}"
            )
        if eps > 1e-2:
            out.append(f"epsilon {eps:.0e} is large: the truncation error of the difference "
                       "formula may dominate; try 1e-7 to 1e-4")
        if abs(report.loss) < SATURATED * s.get("loss_scale", 1.0):
            out.append(f"the loss is nearly 0 (J = {report.loss:.1e}): saturated outputs make J "
                       "change in steps far coarser than its own rounding, which the check "
                       "measures only in part; a check at a θ before the loss vanished is safer")
        if 0 < typical < 1e-10:
            out.append(f"the gradients are tiny (about {typical:.0e}): floating point loses "
                       "accuracy there; scale the loss toward 1 with loss_scale")
    if dtype != "float64":
        out.append(f"checking in {dtype}: even a correct gradient can show relative errors "
                   "near 1e-2; use float64 (double precision) for gradient checking")
    if method == "forward":
        out.append("one-sided differences have O(ε) error and O(ε²) centered ones: "
                   "use method 'centered' for the check itself")
    if report.n_kinks:
        out.append(
            f"{report.n_kinks} component(s) crossed a kink (ReLU or hinge) between θ−ε and θ+ε: "
            "their mismatch is not a bug; fewer examples give fewer kinks"
        )
    if s["dropout"] == "resample":
        out.append("dropout masks were drawn anew for every evaluation, so J is not one fixed "
                   "function and the check cannot pass; use a frozen mask or keep_prob = 1")
    elif s["dropout"] == "off" and getattr(objective, "has_dropout", False):
        out.append("dropout is off for this check (keep_prob treated as 1): its backprop is "
                   "not checked; use dropout 'frozen' to check it too")
    if getattr(objective, "deterministic", True) is False:
        out.append("the model's loss gave two different values at the same θ (dropout or other "
                   "randomness?): turn randomness off or fix the seed for the check")
    data, reg = objective.data_loss, objective.reg_loss
    if s["terms"] == "all" and data is not None and reg and reg > data:
        out.append(f"the regularization term ({reg:.3g}) outweighs the data loss ({data:.3g}) "
                   "and can hide a bug in the data gradient: check terms 'data' and 'reg' "
                   "separately")
    n_undefined = sum(int(np.isinf(b.numeric).sum()) for b in report.blocks.values())
    if n_undefined:
        out.append(f"{n_undefined} component(s) have no numeric gradient: J was NaN or Inf at θ ± ε "
                   "(the loss overflowed or is undefined there)")
    n_total = sum(b.numeric.size for b in report.blocks.values())
    if report.n_checked < n_total:
        out.append(f"{report.n_checked} of {n_total} components were checked (sampled): "
                   "a bug can hide in the others")
    return out
