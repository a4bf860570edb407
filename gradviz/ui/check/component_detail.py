"""One component of θ with everything the heatmap and inspector say about it (no Qt): its full
index, values, what kind of comparison it is, the CS231n relative error and the second step."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradviz.core.report.check_report import COMPONENT_KINDS, BlockResult, Component

#: COMPONENT_KINDS in words, for a tooltip and the inspector
KIND_WORDS = {
    "unchecked": "not checked",
    "agrees": "agrees",
    "noise_floor": "at the noise floor: rounding, not a bug",
    "truncation": "truncation error of the difference formula: not a bug (use a smaller ε)",
    "kink": "crossed a kink: not a bug",
    "random": "the loss is random here (fix the seed): not a bug",
    "mismatch": "mismatch beyond noise, truncation and kinks",
    "nonfinite": "J was NaN or Inf at θ ± ε: no numeric gradient here, not a bug",
}


@dataclass
class ComponentDetail(Component):
    """A Component and its context: ``kind`` (a COMPONENT_KINDS word), the check's ``epsilon``,
    the second step (``second_epsilon``, ``numeric_second``; None / NaN when not taken), the
    block's CS231n relative error and, for a tiled block, the tile's name."""

    kind: str = "unchecked"
    epsilon: float | None = None
    second_epsilon: float | None = None
    numeric_second: float = math.nan
    block_cs231n: float | None = None
    tile: str | None = None


def index_text(block: str, index: tuple[int, ...]) -> str:
    """The component's name with its full index tuple: "w[2, 0, 1, 1]"; a scalar is "s[()]"."""
    return f"{block}[{', '.join(map(str, index)) or '()'}]"


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def detail_of(block: BlockResult, index: tuple[int, ...], settings: dict[str, Any] | None = None,
              tile: tuple[int, ...] | None = None) -> ComponentDetail:
    """The ComponentDetail of ``block[index]``; ``settings``: the report's (ε, second ε);
    ``tile``: the leading index of the tile holding it, for N-D blocks."""
    settings = settings or {}
    index = tuple(int(i) for i in index)
    second = getattr(block, "numeric_second", None)
    return ComponentDetail(
        block.name, index, float(block.analytic[index]), float(block.numeric[index]),
        float(block.abs_error[index]), float(block.rel_error[index]), bool(block.kink[index]),
        kind=COMPONENT_KINDS[int(block.kinds[index])],
        epsilon=_optional_float(settings.get("epsilon")),
        second_epsilon=_optional_float(settings.get("second_epsilon")),
        numeric_second=math.nan if second is None else float(np.asarray(second)[index]),
        block_cs231n=block.cs231n_rel_error if block.n_checked else None,
        tile=None if tile is None else f"{block.name}[{', '.join(map(str, tile))}, :, :]",
    )


def cs231n_rel_error(analytic: float, numeric: float) -> float:
    """The CS231n notebooks' |a − n| / max(1e-8, |a| + |n|) for one component."""
    return abs(analytic - numeric) / max(1e-8, abs(analytic) + abs(numeric))


def kind_of(c: Component) -> str:
    """The component's kind: its own for a ComponentDetail, else unchecked / kink / agrees or
    mismatch read from its numbers."""
    if isinstance(c, ComponentDetail):
        return c.kind
    if math.isnan(c.numeric):
        return "unchecked"
    return "kink" if c.kink else ("agrees" if c.rel_error <= 1e-5 else "mismatch")


def second_step(c: Component) -> list[str]:
    """The two steps of the second-step check in lines (empty when it was not taken): the error
    at ε and at the second ε, and how it scales (ε²: truncation, 1/ε: rounding, flat: neither)."""
    eps, eps2 = getattr(c, "epsilon", None), getattr(c, "second_epsilon", None)
    n2 = getattr(c, "numeric_second", math.nan)
    if eps is None or eps2 is None or math.isnan(n2) or math.isnan(c.numeric):
        return []
    e1, e2 = abs(c.analytic - c.numeric), abs(c.analytic - n2)
    lines = [f"ε = {eps:.1e}: |dθ − dθ_approx| = {e1:.2e}",
             f"ε₂ = {eps2:.1e}: |dθ − dθ_approx₂| = {e2:.2e}",
             f"dθ_approx₂ = {n2:.6e}"]
    if e1 > 0 and e2 > 0 and eps != eps2:
        order = math.log(e1 / e2) / math.log(eps / eps2)
        if abs(order) < 0.3:
            meaning = "does not move with ε: neither truncation nor rounding"
        elif order > 1.5:
            meaning = "falls as ε²: truncation of the centered difference"
        elif order > 0.5:
            meaning = "falls as ε: truncation of a one-sided difference"
        elif order < -0.5:
            meaning = "grows as 1/ε: rounding, a larger ε helps"
        else:
            meaning = "no clear order"
        lines.append(f"error ∝ ε^{order:.1f}: {meaning}")
    return lines
