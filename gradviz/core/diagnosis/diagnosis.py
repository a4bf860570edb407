"""Diagnosis of a check: what each component shows, what each block's disagreement is, and the
report's conclusion.

1. components (components.py): each checked component gets a kind from its error bounds
   (bounds.py) and, where it fails at the check's ε, from a second step (``second_step_plan``);
   first the check measures the rounding of J near θ (``probe_plan``, ``loss_rounding``);
2. blocks: a block with a "mismatch" component has a bug, read as a pattern (patterns.py);
   a block whose difference exceeds 1e-5 without one is explained (explained.py); else None;
3. layers (layers.py): bugs of a prefix of layers read as one error that propagates backwards;
4. the conclusion's reason and what to change (conclusion.py).
"""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.bounds import MAX_PROBES, probe_step, second_epsilon
from gradviz.core.diagnosis.components import classify_block, first_step_kinds
from gradviz.core.diagnosis.conclusion import conclusion_reason
from gradviz.core.diagnosis.context import DIAGNOSIS_KINDS, NOT_A_BUG, Context, Diagnosis, gradient_name
from gradviz.core.diagnosis.explained import explain_block
from gradviz.core.diagnosis.layers import read_layers
from gradviz.core.diagnosis.patterns import BugPattern
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.report.check_report import KINK, MISMATCH, OK, CheckReport

#: the probe trusts δ·|n(δ) − n(2δ)| as rounding only where the two agree this closely
SETTLED = 1e-4

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
        kinds = first_step_kinds(b, context, random=False)
        flat = np.flatnonzero(np.isin(kinds, confirm) & np.isfinite(b.numeric) & np.isfinite(b.analytic))
        if flat.size:
            found[name] = flat
    return found


def probe_plan(report: CheckReport, objective) -> tuple[float, dict[str, np.ndarray]] | None:
    """(δ, flat indices per block) for measuring the rounding of J, when some component fails:
    in each block the components where J moved most (|n| largest: they show its rounding) and
    some that fail (where J moves least: they show how coarsely it moves), MAX_PROBES of each
    in all; None when nothing fails or the method has no rounding to measure (complex)."""
    s = report.settings
    failing = _failing(report, objective)
    if s.get("method") == "complex" or not failing:
        return None
    moved = {name: np.flatnonzero(np.isfinite(b.numeric) & (b.numeric != 0) & ~b.kink)
             for name, b in report.blocks.items()}
    moved = {name: flat for name, flat in moved.items() if flat.size}
    picked: dict[str, np.ndarray] = {}
    for group, largest in ((moved, True), (failing, False)):
        share = max(1, MAX_PROBES // max(len(group), 1))
        for name, flat in group.items():
            if largest:
                size = np.abs(report.blocks[name].numeric.ravel()[flat])
                chosen = flat[np.argsort(-size, kind="stable")[:share]]
            else:
                chosen = flat[np.linspace(0, flat.size - 1, min(share, flat.size)).astype(int)]
            picked[name] = np.union1d(picked.get(name, chosen[:0]), chosen)
    theta = np.concatenate([np.asarray(objective.params[n]).ravel()[f] for n, f in picked.items()])
    step = probe_step(float(s["epsilon"]), theta, s["dtype"])
    return None if step is None else (step, picked)


def loss_rounding(report: CheckReport, plan: dict[str, np.ndarray], steps: tuple[dict, dict],
                  kinks: tuple[dict, dict] | None, step: float) -> float:
    """δJ measured by the probe (``steps``: the numeric gradients at δ and 2δ by block, NaN
    outside ``plan``; ``kinks``: their kink flags, or None for a model that cannot flag kinks),
    the largest over the probed components of
    - δ·|n(δ) − n(2δ)| where J moved at both steps: their difference is rounding (which varies
      with the path a component takes into J, so the largest counts). Without kink flags, a kink
      J alone cannot show could also move it, so the probe keeps it where the two steps agree to
      SETTLED·|n| (a kink then raises floors by at most 10⁻⁵ of the largest gradient), and
      otherwise what rounding must have made of it and of δ·|n(δ) − n(ε)|: the part beyond
      ``step_share`` where it is more than twice that. The second catches a J that is flat at
      steps below the check's and moves in coarse steps farther out (−log(1 − σ(s)) with σ(s)
      within a few ulps of 1: σ(s) rounds to the same float over every step of the probe);
    - h·|n(ε)| where J did not move at step h (n(h) = 0): J moves in steps coarser than the
      change 2h·|n(ε)| it failed to show, so one evaluation rounds by at least half of it. Only
      with kink flags: J is also flat on the off side of a ReLU whose kink the step ε crossed."""
    measured = [0.0]
    for name, flat in plan.items():
        n1, n2 = (values[name].flat[flat] for values in steps)
        first = np.abs(report.blocks[name].numeric.flat[flat])
        crossed = np.zeros(flat.shape, dtype=bool) if kinks is None else \
            kinks[0][name].flat[flat] | kinks[1][name].flat[flat]
        error = np.abs(n1 - n2) * step
        moved = (n1 != 0) & (n2 != 0) & ~crossed & np.isfinite(error)
        if kinks is None:
            a, n0 = (v.flat[flat] for v in (report.blocks[name].analytic, report.blocks[name].numeric))
            share = step_share(step, float(report.settings["epsilon"]), np.abs(a - n0))
            settled = error <= SETTLED * step * np.maximum(np.abs(n1), np.abs(n2))
            far = np.maximum(error, np.abs(n1 - n0) * step)
            error = np.where(settled, error, 0.0)
            error = np.maximum(error, np.where(far > 2 * share, far - share, 0.0))
        measured += list(error[moved])
        if kinks is not None:
            still = np.where(n2 == 0, 2 * step, np.where(n1 == 0, step, 0.0)) * first
            measured += list(still[((n1 == 0) | (n2 == 0)) & ~crossed & np.isfinite(first)])
    return float(max(measured))


def step_share(step: float, epsilon: float, first_error: np.ndarray) -> np.ndarray:
    """The most a kink or truncation can add to δ·|n(δ) − n(2δ)| or δ·|n(δ) − n(ε)| at
    components whose first-step error is ``first_error`` = |a − n(ε)|, where backprop is right.

    A kink at distance t from θ_i where the slope jumps by Δs moves n(h) by Δs·(h − t)/2h for
    h > t. One within 2δ moves those differences by at most Δs, and the first step crossed it:
    |n(ε) − g| ≥ Δs·(ε − 2δ)/2ε. One farther out moves only n(ε), by |n(ε) − g|. Truncation
    moves n(ε) by |n(ε) − g| and n(δ), n(2δ) by at most 4δ²/ε² of it. So the share is at most
    2δ·|a − n(ε)|·ε/(ε − 2δ)."""
    return 2 * step * first_error * epsilon / (epsilon - 2 * step)


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
        b.kinds = classify_block(b, context)
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
