"""Diagnosis of a check: what each component shows, what each block's disagreement is, and the
report's conclusion.

1. components (components.py): each checked component gets a kind from its error bounds
   (bounds.py) and, where it fails at the check's ε, from a second step (``second_step_plan``);
   then the check measures the rounding of J near θ on some of them (``probe_plan``);
2. blocks: a block with a "mismatch" component has a bug, read as a pattern (patterns.py);
   a block whose difference exceeds 1e-5 without one is explained (explained.py); else None;
3. layers (layers.py): bugs of a prefix of layers read as one error that propagates backwards;
4. the conclusion's reason and what to change (conclusion.py).
"""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.bounds import MAX_PROBES, extrapolated, probe_steps, second_epsilon
from gradviz.core.diagnosis.components import classify_block, first_step_kinds
from gradviz.core.diagnosis.conclusion import conclusion_reason
from gradviz.core.diagnosis.context import DIAGNOSIS_KINDS, NOT_A_BUG, Context, Diagnosis, gradient_name
from gradviz.core.diagnosis.explained import explain_block
from gradviz.core.diagnosis.layers import read_layers
from gradviz.core.diagnosis.patterns import BugPattern
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.report.check_report import KINK, MISMATCH, OK, CheckReport

__all__ = ["DIAGNOSIS_KINDS", "NOT_A_BUG", "Diagnosis", "diagnose_check", "diagnose_report",
           "loss_rounding", "probe_plan", "second_step_plan"]


def _known(objective) -> dict:
    """spec, θ and m of the objective a check differentiated."""
    net = getattr(objective, "net", None)
    return {"spec": net.spec if net is not None else None, "params": objective.params,
            "m": objective.X.shape[1] if net is not None else None}


def _failing(report: CheckReport, objective) -> dict[str, np.ndarray]:
    """Flat indices per block of the components that fail at the check's ε (and, for models
    whose kinks are read from J alone, those flagged as kinks: the second step confirms them)."""
    context = Context(report, **_known(objective))
    if context.random:
        return {}
    confirm = (MISMATCH,) if getattr(objective, "tracks_kinks", True) else (MISMATCH, KINK)
    found = {}
    for name, b in report.blocks.items():
        kinds = first_step_kinds(b, context.floor(name), random=False)
        flat = np.flatnonzero(np.isin(kinds, confirm) & np.isfinite(b.numeric) & np.isfinite(b.analytic))
        if flat.size:
            found[name] = flat
    return found


def probe_plan(report: CheckReport, objective) -> tuple[list[float], dict[str, np.ndarray]] | None:
    """(steps, flat indices per block) for measuring the rounding of J after the second step:
    at most MAX_PROBES components that still disagree beyond every explanation, spread over the
    blocks; None when there are none or the method has no rounding to measure (complex)."""
    s = report.settings
    if s.get("second_epsilon") is None or s.get("method") == "complex":
        return None
    context = Context(report, **_known(objective))
    left = {}
    for name, b in report.blocks.items():
        kinds = classify_block(b, context.bounds, s, random=False)
        flat = np.flatnonzero((kinds == MISMATCH) & np.isfinite(b.numeric_second))
        if flat.size:
            left[name] = flat
    if not left:
        return None
    share = max(1, MAX_PROBES // len(left))
    picked = {name: flat[np.linspace(0, flat.size - 1, min(share, flat.size)).astype(int)]
              for name, flat in left.items()}
    theta = np.concatenate([np.asarray(objective.params[n]).ravel()[f] for n, f in picked.items()])
    steps = probe_steps(float(s["epsilon"]), theta, s["dtype"])
    return (steps, picked) if steps else None


def loss_rounding(report: CheckReport, plan: dict[str, np.ndarray], probed: dict, step: float) -> float:
    """δJ measured from the numeric gradients ``probed`` (arrays by block, NaN outside ``plan``)
    at the probe's step δ: max δ·|n(δ) − g|, with g extrapolated from the first and second steps."""
    s = report.settings
    epsilons = (float(s["epsilon"]), float(s["second_epsilon"]))
    worst = 0.0
    for name, flat in plan.items():
        b = report.blocks[name]
        g = extrapolated(b.numeric.flat[flat], b.numeric_second.flat[flat], epsilons, s["method"])
        error = np.abs(probed[name].flat[flat] - g)
        worst = max(worst, float(np.max(error[np.isfinite(error)], initial=0.0)) * step)
    return worst


def second_step_plan(report: CheckReport, objective) -> tuple[float, dict[str, np.ndarray]] | None:
    """(ε₂, flat indices per block) of the components that fail at the check's ε and need the
    second step, or None when none does (or the loss is random)."""
    failing = _failing(report, objective)
    if not failing:
        return None
    s = report.settings
    return second_epsilon(float(s["epsilon"]), s["dtype"], s["method"]), failing


def diagnose_check(report: CheckReport, objective) -> dict[str, Diagnosis | None]:
    """Diagnose a report straight after its check, with the objective the check differentiated."""
    return diagnose_report(report, **_known(objective))


def diagnose_report(
    report: CheckReport,
    *,
    spec: NetworkSpec | None = None,
    params: dict[str, np.ndarray] | None = None,
    m: int | None = None,
) -> dict[str, Diagnosis | None]:
    """Set every block's ``kinds`` and ``diagnosis`` and the report's ``conclusion_reason``;
    return the diagnoses by name.

    spec, params (θ where the check ran) and m (examples) are optional: with them the expected
    regularization gradient and the rounding of the step are known; without them what the
    arrays alone show is diagnosed.
    """
    context = Context(report, spec, params, m)
    for b in report.blocks.values():
        b.kinds = classify_block(b, context.bounds, report.settings, context.random)
    found = {name: _diagnose_block(context, name) for name in report.blocks}
    found.update(read_layers(context, found))
    for name, diagnosis in found.items():
        report.blocks[name].diagnosis = diagnosis
    report.conclusion_reason = conclusion_reason(report, context)
    return found


def _diagnose_block(context: Context, name: str) -> Diagnosis | None:
    b = context.report.blocks[name]
    if not b.failing:
        return explain_block(context, name) if b.difference > OK else None
    used = b.checked & ~b.kink & np.isfinite(b.numeric) & np.isfinite(b.analytic)
    if not used.any() or not np.all(np.isfinite(b.analytic[b.checked])):
        return Diagnosis(name, "unexplained",
                         f"{gradient_name(name)} or its numeric gradient is not finite (NaN or "
                         "Inf): the loss or backprop overflowed near θ")
    return BugPattern(context, name, used).classify()
