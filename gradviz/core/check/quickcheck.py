"""The directional quick check: a few random directions per block, then bisection to localize.

As in PyTorch's gradcheck fast mode, each block's gradient g is tested along random directions
v: backprop's g·v against the centered difference (J(θ + h v) − J(θ − h v)) / 2h, two loss
evaluations per direction, so a handful of forward passes tells whether any block is wrong.
A failing block is then bisected: the direction is restricted to halves of the block's
components (in flat order) and only halves that still disagree are split, down to single
components. A wrong component whose error is small next to the block's whole directional
derivative can pass unnoticed (pytorch#57166): this is a pre-check, never a substitute for the
full per-component check.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradviz.core.check.gradcheck import (
    _one_of,
    _validate_epsilon,
    make_objective,
    preserved_params,
    validate_loss_scale,
    validate_seed,
)
from gradviz.core.diagnosis.advice import suggested_epsilon
from gradviz.core.model import fields
from gradviz.core.model.network import TERMS, Network

#: relative tolerance of a directional derivative, by dtype
TOLERANCE = {"float64": 1e-5, "float32": 1e-2, "float16": 1e-1}
#: rounding noise allowance: FLOOR·u·|J|/h is added to every comparison (float16's u is so large
#: that 100 would hide a doubled gradient; 10 gave no false alarm on 60 random correct nets)
FLOOR = {"float64": 100, "float32": 100, "float16": 10}
#: a step that crosses a kink is retried this many times, ten times smaller each time
KINK_RETRIES = 3
#: the most random directions per block
MAX_DIRECTIONS = 1000
#: what every quick check says about itself
CAVEAT = ("a quick check can miss a wrong component whose error is small next to its block's "
          "gradient: run the full check for the heatmap")


@dataclass
class QuickBlock:
    """One block's verdict. ``errors``: relative error per random direction; ``located``: flat
    indices bisection found wrong; ``unresolved``: (start, stop) flat ranges that still disagree
    when the evaluation budget ran out; ``kink``: some test crossed a kink at every step tried."""

    name: str
    shape: tuple[int, ...]
    errors: list[float]
    failing: bool
    kink: bool = False
    located: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    unresolved: list[tuple[int, int]] = field(default_factory=list)
    evaluations: int = 0

    @property
    def complete(self) -> bool:
        """Whether localization finished (nothing left unresolved)."""
        return not self.unresolved

    def positions(self) -> list[tuple[int, ...]]:
        """The located components as index tuples into the block."""
        return [tuple(int(i) for i in np.unravel_index(f, self.shape)) for f in self.located]


@dataclass
class QuickCheckReport:
    """The quick check's verdict per block, how it was run, and what it cost."""

    blocks: dict[str, QuickBlock]
    settings: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    evaluations: int = 0
    elapsed: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failing_blocks()

    def failing_blocks(self) -> list[str]:
        return [name for name, b in self.blocks.items() if b.failing]

    def summary(self) -> list[str]:
        """Sentences: the verdict, each failing block's located components, the warnings."""
        if self.passed:
            lines = [f"quick check passed along {self.settings['directions']} random direction(s) "
                     "per block: no block is obviously wrong (run the full check to be sure)"]
        else:
            lines = [f"quick check: {', '.join(self.failing_blocks())} disagree with the "
                     "numeric directional derivative"]
        for b in self.blocks.values():
            if not b.failing:
                continue
            if b.located.size:
                shown = ", ".join(str(p) for p in b.positions()[:8])
                more = f" and {b.located.size - 8} more" if b.located.size > 8 else ""
                lines.append(f"{b.name}: wrong component(s) {shown}{more}")
            if b.unresolved:
                lines.append(f"{b.name}: {len(b.unresolved)} range(s) of components still disagree "
                             "(the error may be spread over the block); see the full heatmap")
        return lines + self.warnings

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failing_blocks": self.failing_blocks(),
            "settings": self.settings,
            "warnings": list(self.warnings),
            "evaluations": self.evaluations,
            "elapsed": self.elapsed,
            "blocks": {
                name: {
                    "shape": list(b.shape), "errors": b.errors, "failing": b.failing,
                    "kink": b.kink, "located": [list(p) for p in b.positions()],
                    "unresolved": [list(r) for r in b.unresolved], "evaluations": b.evaluations,
                }
                for name, b in self.blocks.items()
            },
        }


class _Directional:
    """Centered directional derivatives of J along directions within one block."""

    def __init__(self, objective, model, h: float, tolerance: float) -> None:
        self.objective, self.model, self.h, self.tolerance = objective, model, h, tolerance
        self.network = isinstance(model, Network)
        self.evaluations = 0
        u = float(np.finfo(objective.dtype).eps) / 2
        self.floor_per_h = FLOOR.get(str(objective.dtype), 100) * u * max(abs(objective.J0), 1e-300)
        if self.network:
            self.base_switches = self._evaluate(objective.params)[1]

    def _evaluate(self, params: dict[str, np.ndarray]) -> tuple[float, list]:
        o = self.objective
        self.evaluations += 1
        ev = o.net.evaluate(o.X, o.y, params=params, masks=o.masks, terms=o.terms, backprop=False)
        return float(np.real(ev.J)) * o.loss_scale, ev.switches

    def _J(self, name: str, moved: np.ndarray) -> tuple[float, bool]:
        """(J with block ``name`` replaced by ``moved``, whether a kink switched)."""
        o = self.objective
        if not self.network:
            block = o.params[name]
            saved = block.copy()
            try:
                block[...] = moved
                self.evaluations += 1
                return float(self.model.loss(o.X, o.y)[0]) * o.loss_scale, False
            finally:
                block[...] = saved
        J, switches = self._evaluate({**o.params, name: moved})
        crossed = any(not np.array_equal(a, b) for a, b in zip(switches, self.base_switches, strict=True))
        if o.net.spec.l1 and o.terms != "data" and name.startswith("W"):
            crossed = crossed or bool(np.any(np.sign(moved) != np.sign(o.params[name])))
        return J, crossed

    def test(self, name: str, v: np.ndarray) -> tuple[float, bool | None]:
        """(relative error, wrong?) along v; wrong is None when every step tried crossed a kink."""
        theta = self.objective.params[name]
        g = self.objective.analytic[name]
        v = v / np.linalg.norm(v)
        h = self.h
        for _ in range(KINK_RETRIES + 1):
            plus = theta + (h * v).astype(theta.dtype)
            minus = theta - (h * v).astype(theta.dtype)
            J_plus, kink_plus = self._J(name, plus)
            J_minus, kink_minus = self._J(name, minus)
            if not (kink_plus or kink_minus):
                numeric = (J_plus - J_minus) / (2 * h)
                # the displacement actually taken, so rounding of θ ± h v is not an error
                wide = theta.astype(np.float64)
                step = ((plus.astype(np.float64) - wide) + (wide - minus.astype(np.float64))) / (2 * h)
                analytic = float(np.sum(g * step))
                scale = max(abs(numeric), abs(analytic))
                error = abs(numeric - analytic)
                relative = error / scale if scale else 0.0
                return relative, error > self.tolerance * scale + self.floor_per_h / h
            h /= 10
        return math.nan, None


def quick_check(
    model,
    X=None,
    y=None,
    *,
    directions: int = 2,
    epsilon: float | None = None,
    tolerance: float | None = None,
    dropout: str = "off",
    terms: str = "all",
    loss_scale: float = 1.0,
    seed: int = 0,
    localize: bool = True,
    max_evaluations: int = 400,
) -> QuickCheckReport:
    """Test every block along ``directions`` random directions, then bisect failing blocks.

    epsilon: the step h along a unit direction (default: suited to the dtype). tolerance:
    relative error of a directional derivative that counts as wrong (default by dtype).
    dropout: off or frozen (one fixed J). max_evaluations: loss evaluations per block for
    localization. The model's parameters are unchanged afterwards, bit for bit.
    """
    directions = fields.whole("directions", directions, low=1, high=MAX_DIRECTIONS)
    max_evaluations = fields.whole("max_evaluations", max_evaluations, low=0)
    _one_of("dropout", dropout, ("off", "frozen"))
    _one_of("terms", terms, TERMS)
    loss_scale = validate_loss_scale(loss_scale)
    seed = validate_seed(seed)
    localize = fields.flag("localize", localize)
    if epsilon is not None:
        _validate_epsilon(epsilon)
    if tolerance is not None:
        tolerance = fields.number("tolerance", tolerance, low=0.0, low_open=True)
    if not isinstance(getattr(model, "params", None), dict) or not callable(getattr(model, "loss", None)):
        raise ValueError("a model needs .params (a dict of arrays) and .loss(X, y) -> (J, grads)")
    start = time.perf_counter()
    with preserved_params(model.params):
        objective = make_objective(model, X, y, dropout=dropout, terms=terms,
                                   loss_scale=loss_scale, seed=seed)
        dtype = str(objective.dtype)
        h = suggested_epsilon(dtype, "centered") if epsilon is None else epsilon
        _validate_epsilon(h)
        tol = TOLERANCE.get(dtype, 1e-5) if tolerance is None else tolerance
        directional = _Directional(objective, model, h, tol)
        rng = np.random.default_rng(seed)
        blocks = {}
        for name, theta in objective.params.items():
            before = directional.evaluations
            vs = [rng.standard_normal(theta.shape) for _ in range(directions)]
            results = [directional.test(name, v) for v in vs]
            failing = [v for v, (_, wrong) in zip(vs, results, strict=True) if wrong]
            block = QuickBlock(name, theta.shape, [r[0] for r in results], bool(failing),
                               kink=any(wrong is None for _, wrong in results))
            if failing and localize:
                _bisect(directional, block, failing[0].reshape(-1), before + max_evaluations)
            block.evaluations = directional.evaluations - before
            blocks[name] = block
        report = QuickCheckReport(
            blocks,
            settings={"directions": directions, "epsilon": h, "tolerance": tol, "dropout": dropout,
                      "terms": terms, "loss_scale": loss_scale, "seed": seed, "dtype": dtype},
            evaluations=directional.evaluations,
        )
        if any(b.kink for b in blocks.values()):
            report.warnings.append("some directions crossed a kink (ReLU, hinge or |W|) at every "
                                   "step tried; those tests were skipped")
        report.warnings.append(CAVEAT)
        report.elapsed = time.perf_counter() - start
        return report


def _bisect(directional: _Directional, block: QuickBlock, v: np.ndarray, budget: int) -> None:
    """Split the failing block's flat range in halves, level by level, keeping halves that still
    disagree along v restricted to them; fills block.located and block.unresolved."""
    frontier, located = [(0, v.size)], []
    while frontier:
        deeper = []
        for i, (lo, hi) in enumerate(frontier):
            if hi - lo == 1:
                located.append(lo)
                continue
            mid = (lo + hi) // 2
            for a, b in ((lo, mid), (mid, hi)):
                if directional.evaluations >= budget:
                    rest = [(lo, hi) if a == lo else (mid, hi), *frontier[i + 1 :]]
                    located += [r[0] for r in rest if r[1] - r[0] == 1]
                    block.unresolved = [*deeper, *(r for r in rest if r[1] - r[0] > 1)]
                    block.located = np.array(sorted(located), dtype=np.intp)
                    return
                masked = np.zeros_like(v)
                masked[a:b] = v[a:b]
                if not masked.any():
                    continue
                _, wrong = directional.test(block.name, masked.reshape(block.shape))
                if wrong:
                    deeper.append((a, b))
        frontier = deeper
    block.located = np.array(sorted(located), dtype=np.intp)
