"""The steps of a check after its setup: components measured at a step, as CheckProgress per
chunk, and, where some fail at ε, the rounding probe and the second step (``more_steps``).
A diverged network is refused before any of it (``refuse_diverged``)."""

from __future__ import annotations

import math
import time
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np

from gradviz.core.diagnosis.bounds import backprop_jitter, jitter_params
from gradviz.core.diagnosis.diagnosis import loss_rounding, probe_plan, second_step_plan
from gradviz.core.diagnosis.kinks import KinkTest
from gradviz.core.report.check_report import CheckReport


@dataclass
class CheckProgress:
    """A chunk of finished components: ``numeric`` and ``kink`` at ``flat`` indices of ``block``;
    ``stamp``: when (time.perf_counter()), so two records give components per second."""

    done: int
    total: int
    block: str
    flat: np.ndarray
    numeric: np.ndarray
    kink: np.ndarray
    stamp: float = field(default_factory=time.perf_counter)


def refuse_diverged(params: dict) -> None:
    """Raise ValueError when a parameter block holds NaN or Inf: training diverged."""
    bad = [k for k, v in params.items()
           if isinstance(v, np.ndarray) and v.dtype.kind in "fc" and not np.all(np.isfinite(v))]
    if bad:
        raise ValueError(f"training diverged: {', '.join(bad)} hold NaN or Inf, so there is no "
                         "gradient to check; re-initialize the parameters (or lower the learning "
                         "rate) and check again")


def refuse_infinite_loss(J0: float) -> None:
    if not math.isfinite(J0):
        raise ValueError(f"the loss is {J0} at θ (training diverged, or the loss is undefined "
                         "there), so there is no gradient to check; re-initialize the parameters "
                         "(or lower the learning rate) and check again")


def measure(chunker, objective, plan: dict[str, np.ndarray], epsilon: float, method: str,
             progress: list[int], *, first: bool):
    """Numeric gradients (NaN where not in ``plan``) and kink flags at step ``epsilon`` for the
    components of ``plan``, as a generator of CheckProgress per chunk; ``progress`` is [done,
    total], advanced in place. The first step's chunks carry their values (heatmaps paint
    them); later steps only advance the count."""
    shapes = {k: v.shape for k, v in objective.params.items()}
    numeric = {k: np.full(shapes[k], np.nan) for k in plan}
    kink = {k: np.zeros(shapes[k], dtype=bool) for k in plan}
    for name, flat in plan.items():
        with closing(chunker(objective, name, flat, epsilon, method)) as chunks:
            for lo, hi, values, crossed in chunks:
                chunk = flat[lo:hi]
                # NaN marks unchecked components: a J that was NaN at θ ± ε shows as Inf
                numeric[name].flat[chunk] = np.where(np.isnan(values), np.inf, values)
                kink[name].flat[chunk] = crossed
                progress[0] += len(chunk)
                shown = chunk if first else chunk[:0]
                yield CheckProgress(*progress, name, shown, numeric[name].flat[shown],
                                    kink[name].flat[shown])
    return numeric, kink


def more_steps(report: CheckReport, objective, chunkers: tuple, method: str, progress: list[int],
                kinks: KinkTest | None):
    """After the first step, where some component fails: measure the rounding of J near θ
    (``settings["loss_rounding"]``) and how far backprop's output moves when every θ_i moves to
    a neighbouring float (``settings["backprop_rounding"]``, by block); then evaluate the
    components that still fail at the second step (``numeric_second``,
    ``settings["second_epsilon"]``), where kinks read from J are decided."""
    chunker, plain = chunkers
    probe = probe_plan(report, objective)
    if probe is not None:
        step, plan = probe
        progress[1] += 2 * sum(len(f) for f in plan.values())
        at_step, kink1 = yield from measure(plain, objective, plan, step, method, progress,
                                             first=False)
        at_twice, kink2 = yield from measure(plain, objective, plan, 2 * step, method, progress,
                                              first=False)
        flags = (kink1, kink2) if getattr(objective, "tracks_kinks", True) else None
        report.settings["loss_rounding"] = loss_rounding(report, plan, (at_step, at_twice), flags,
                                                         step)
        moved = objective.analytic_at(jitter_params(objective.params, report.settings["seed"]))
        report.settings["backprop_rounding"] = backprop_jitter(
            {k: objective.analytic[k] for k in report.blocks}, moved, report.settings["dtype"])
        if kinks is not None:
            kinks.use_loss_rounding(report.settings["loss_rounding"])
    second = second_step_plan(report, objective)
    if second is None:
        return
    step, plan = second
    progress[1] += sum(len(f) for f in plan.values())
    numeric, kink = yield from measure(chunker, objective, plan, step, method, progress, first=False)
    for name, flat in plan.items():
        b = report.blocks[name]
        if kinks is None:  # a step that crossed a kink tells nothing about the error's trend
            b.numeric_second = np.where(kink[name], np.nan, numeric[name])
        else:  # the two steps' slopes decide whether J has a kink there
            b.numeric_second = numeric[name]
            b.kink.flat[flat] = kink[name].flat[flat]
    report.settings["second_epsilon"] = step
