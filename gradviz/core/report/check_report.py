"""The result of a gradient check: per-block component arrays, the lecture's ratio, a verdict.

Two readings of one check live here. ``difference`` and ``status`` are the lectures' (Ng's norm
ratio and its thresholds). ``conclusion`` is what the per-component error bounds allow one to
say: "bug" when some component disagrees beyond what rounding, truncation and kinks explain
(``BlockResult.kinds`` holds MISMATCH there), "inconclusive" when the difference is high but
every disagreement is explained, or the loss is random, and "correct" otherwise.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GREAT, OK, WORRY = 1e-7, 1e-5, 1e-3
STATUS_WORDS = {
    "great": "great: backprop agrees with the numeric gradient",
    "ok": "ok: probably right, but look at the worst components",
    "worry": "worry: a bug is likely",
    "wrong": "wrong: backprop disagrees with the numeric gradient",
}


CONCLUSIONS = ("correct", "bug", "inconclusive")
CONCLUSION_WORDS = {
    "correct": "backprop agrees with the numeric gradient within the check's error bounds",
    "bug": "backprop disagrees with the numeric gradient beyond rounding, truncation and kinks",
    "inconclusive": "the disagreement is explained by the check's set-up, not shown to be a bug",
}
#: what each component's comparison shows; ``BlockResult.kinds`` holds indices into this tuple
#: ("nonfinite": J was NaN or Inf at θ ± ε, so the component has no numeric gradient)
COMPONENT_KINDS = ("unchecked", "agrees", "noise_floor", "truncation", "kink", "random", "mismatch",
                   "nonfinite")
UNCHECKED, AGREES, NOISE_FLOOR, TRUNCATION, KINK, RANDOM, MISMATCH, NONFINITE = range(len(COMPONENT_KINDS))


def scaled_norm(x: np.ndarray) -> float:
    """‖x‖₂ without underflow or overflow: divided by max |x| before squaring (inf when x holds
    NaN or Inf)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    if not x.size:
        return 0.0
    largest = float(np.max(np.abs(x)))
    if not math.isfinite(largest):
        return math.inf
    if largest == 0:
        return 0.0
    return largest * float(np.linalg.norm(x / largest))


def norm_ratio(numeric: np.ndarray, analytic: np.ndarray) -> float:
    """‖n − a‖₂ / (‖n‖₂ + ‖a‖₂) over the given components; 0 when both are zero, inf when
    either holds NaN or Inf. Gradients of 1e-170 or 1e170 give the same ratio as of 1."""
    numeric = np.asarray(numeric, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    denominator = scaled_norm(numeric) + scaled_norm(analytic)
    if not math.isfinite(denominator):
        return math.inf
    if denominator == 0:
        return 0.0
    scale = max(float(np.max(np.abs(numeric))), float(np.max(np.abs(analytic))))
    return float(scaled_norm(numeric / scale - analytic / scale) / (denominator / scale))


def status_of(difference: float) -> str:
    """great (≤1e-7), ok (≤1e-5), worry (≤1e-3) or wrong (larger, or not a number)."""
    if not math.isfinite(difference):
        return "wrong"
    if difference <= GREAT:
        return "great"
    if difference <= OK:
        return "ok"
    return "worry" if difference <= WORRY else "wrong"


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """|a − n| / max(|a|, |n|), 0 where both are 0 (or the same infinity), 1 where only one is
    infinite, NaN where n is NaN (unchecked)."""
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.asarray(np.abs(analytic - numeric) / scale)  # an array also for 0-D blocks
    rel[scale == 0] = 0.0
    infinite = np.isinf(analytic) | np.isinf(numeric)
    rel[infinite] = np.where(analytic == numeric, 0.0, 1.0)[infinite]
    rel[np.isnan(numeric)] = np.nan
    return rel


@dataclass
class Component:
    """One element of θ, as listed by ``CheckReport.worst``. ``kind``: its COMPONENT_KINDS name;
    ``numeric_second``: its numeric gradient at the second step (NaN when not evaluated again)."""

    block: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    kink: bool
    kind: str = field(default="agrees", compare=False)
    numeric_second: float = field(default=float("nan"), compare=False)


@dataclass
class BlockResult:
    """One parameter block. Arrays have the parameter's shape; unchecked components are NaN.

    numeric_second: the numeric gradient at the check's second step (``settings
    ["second_epsilon"]``) where it was evaluated again, NaN elsewhere. kinds: per component an
    index into COMPONENT_KINDS (int8); the diagnosis sets it, and until then it holds what the
    arrays alone show (unchecked, kink, agrees within 1e-5 relative, else mismatch).
    """

    name: str
    analytic: np.ndarray
    numeric: np.ndarray
    kink: np.ndarray
    diagnosis: Any = None
    numeric_second: np.ndarray | None = None
    kinds: np.ndarray | None = None
    abs_error: np.ndarray = field(init=False, repr=False)
    rel_error: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.analytic = np.asarray(self.analytic, dtype=np.float64)
        self.numeric = np.asarray(self.numeric, dtype=np.float64)
        self.kink = np.asarray(self.kink, dtype=bool) & self.checked
        if self.numeric_second is None:
            self.numeric_second = np.full(self.analytic.shape, np.nan)
        self.numeric_second = np.asarray(self.numeric_second, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # inf − inf (an exploding gradient) is NaN, not an error
            self.abs_error = np.abs(self.analytic - self.numeric)
            self.rel_error = relative_error(self.analytic, self.numeric)
        if self.kinds is None:
            self.kinds = self.plain_kinds()
        self.kinds = np.asarray(self.kinds, dtype=np.int8).reshape(self.analytic.shape)

    @property
    def checked(self) -> np.ndarray:
        """Bool mask of the components that were checked."""
        return ~np.isnan(self.numeric)

    @property
    def n_checked(self) -> int:
        return int(self.checked.sum())

    @property
    def difference(self) -> float:
        """The norm ratio over this block's checked components."""
        c = self.checked
        return norm_ratio(self.numeric[c], self.analytic[c])

    @property
    def cs231n_rel_error(self) -> float:
        """max |a − n| / max(1e-8, |a| + |n|) over the checked components: the number the CS231n
        notebooks print per block (about 1e-7 or less when right); inf where a value is not
        finite, NaN when nothing was checked."""
        a, n = self.analytic[self.checked], self.numeric[self.checked]
        if not a.size:
            return math.nan
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
            return math.inf
        return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))

    @property
    def difference_without_kinks(self) -> float:
        keep = self.checked & ~self.kink
        return norm_ratio(self.numeric[keep], self.analytic[keep])

    @property
    def failing(self) -> bool:
        """Whether some component disagrees beyond every explanation (kind "mismatch")."""
        return bool(np.any(self.kinds == MISMATCH))

    @property
    def explained(self) -> bool:
        """Whether the block has a diagnosis that is not a bug (noise floor, truncation, ...)."""
        return self.diagnosis is not None and not self.diagnosis.is_bug

    def plain_kinds(self) -> np.ndarray:
        """Kinds from the arrays alone: unchecked, kink, agrees (relative error ≤ 1e-5), mismatch."""
        kinds = np.full(self.analytic.shape, AGREES, dtype=np.int8)
        with np.errstate(invalid="ignore"):
            kinds[~(self.rel_error <= OK)] = MISMATCH
        kinds[self.kink] = KINK
        kinds[~self.checked] = UNCHECKED
        return kinds


@dataclass
class CheckReport:
    """Everything a gradient check found. ``settings`` records how it was run.

    random_loss: the loss gave two values at the same θ (dropout masks drawn anew, an unseeded
    random model), so no disagreement is evidence of a bug. conclusion_reason: why the
    conclusion is what it is and what to change, set by the diagnosis.
    """

    blocks: dict[str, BlockResult]
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    loss: float = float("nan")
    engine: str = "reference"
    elapsed: float = 0.0
    random_loss: bool = False
    conclusion_reason: str = ""

    # -- the verdict ---------------------------------------------------------------------------
    @property
    def difference(self) -> float:
        """‖dθ_approx − dθ‖₂ / (‖dθ_approx‖₂ + ‖dθ‖₂) over every checked component."""
        parts = [(b.numeric[b.checked], b.analytic[b.checked]) for b in self.blocks.values()]
        return norm_ratio(
            np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        )

    @property
    def status(self) -> str:
        return status_of(self.difference)

    @property
    def passed(self) -> bool:
        return self.status in ("great", "ok")

    @property
    def n_checked(self) -> int:
        return sum(b.n_checked for b in self.blocks.values())

    @property
    def n_kinks(self) -> int:
        return sum(int(b.kink.sum()) for b in self.blocks.values())

    def failing_blocks(self) -> list[str]:
        """Blocks with a bug diagnosis: some component disagrees beyond rounding, truncation and
        kinks (kind "mismatch")."""
        return [name for name, b in self.blocks.items() if b.failing]

    def explained_blocks(self) -> dict[str, str]:
        """Blocks that disagree for a reason that is not a bug, with that reason."""
        return {name: b.diagnosis.message for name, b in self.blocks.items() if b.explained}

    @property
    def conclusion(self) -> str:
        """The headline, one of CONCLUSIONS: "bug" when some block fails, "inconclusive" when
        the loss is random or the difference is above 1e-5 with every disagreement explained,
        else "correct"."""
        if self.failing_blocks():
            return "bug"
        return "inconclusive" if self.random_loss or not self.passed else "correct"

    def headline(self) -> str:
        """The conclusion in words: "correct: ...", "bug: ..." or "inconclusive: ..."."""
        return f"{self.conclusion}: {self.conclusion_reason or CONCLUSION_WORDS[self.conclusion]}"

    def worst(self, n: int = 5, kinds: tuple[int, ...] | None = None) -> list[Component]:
        """The n checked components with the largest relative error (ties: larger abs error),
        among those of the given COMPONENT_KINDS indices when ``kinds`` is given."""
        names = list(self.blocks)
        flats = [np.flatnonzero(b.checked & (True if kinds is None else np.isin(b.kinds, kinds)))
                 for b in self.blocks.values()]
        if not names or not sum(len(f) for f in flats):
            return []
        which = np.concatenate([np.full(len(f), i) for i, f in enumerate(flats)])
        flat = np.concatenate(flats)
        rel = np.concatenate([b.rel_error.flat[f] for b, f in zip(self.blocks.values(), flats, strict=True)])
        abs_ = np.concatenate([b.abs_error.flat[f] for b, f in zip(self.blocks.values(), flats, strict=True)])
        key = -np.nan_to_num(rel, nan=np.inf)
        keep = np.arange(len(key))
        if 0 < n < len(key):  # sort only the candidates: ties with the n-th largest and above
            keep = np.flatnonzero(key <= np.partition(key, n - 1)[n - 1])
        order = keep[np.lexsort((-abs_[keep], key[keep]))][:n]  # stable: block, then flat order
        return [self.component(names[which[i]], int(flat[i])) for i in order]

    def component(self, block: str, flat_index: int) -> Component:
        b = self.blocks[block]
        pos = tuple(int(i) for i in np.unravel_index(flat_index, b.analytic.shape))
        return Component(
            block, pos, float(b.analytic[pos]), float(b.numeric[pos]),
            float(b.abs_error[pos]), float(b.rel_error[pos]), bool(b.kink[pos]),
            COMPONENT_KINDS[b.kinds[pos]], float(b.numeric_second[pos]),
        )

    def verdict(self) -> str:
        """One line: the difference and what it means."""
        return f"difference {self.difference:.2e}: {STATUS_WORDS[self.status]}"

    def summary(self) -> list[str]:
        """Sentences for the whole report: the conclusion, the lecture's verdict, failing and
        explained blocks, the diagnoses, warnings."""
        lines = [self.headline(), self.verdict()]
        failing, explained = self.failing_blocks(), self.explained_blocks()
        if failing:
            lines.append(f"failing blocks: {', '.join(failing)}")
        if explained:
            lines.append(f"explained blocks (not a bug): {', '.join(explained)}")
        lines += self.diagnosis_sentences()
        lines.extend(self.warnings)
        return lines

    def diagnosis_sentences(self) -> list[str]:
        """Each distinct diagnosis sentence once, in block order (a propagated error is one)."""
        sentences = [getattr(b.diagnosis, "sentence", None) for b in self.blocks.values()
                     if b.diagnosis is not None]
        return list(dict.fromkeys(s for s in sentences if s))

    # -- display -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        from gradviz.core.report.notebook import report_repr

        return report_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: conclusion, difference, per-block table, diagnosis and heatmap."""
        from gradviz.core.report.notebook import report_html

        return report_html(self)

    def _repr_png_(self) -> bytes:
        """The heatmap as PNG bytes (drawn without Qt)."""
        from gradviz.core.report.picture import report_png

        return report_png(self)

    # -- export (gradviz/core/report/serialize.py) ------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data (see ``serialize.report_to_dict``)."""
        from gradviz.core.report.serialize import report_to_dict

        return report_to_dict(self)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckReport:
        """Rebuild a report written by ``to_dict``: arrays, kinds and the conclusion's reason
        (diagnoses are recomputed by the caller)."""
        from gradviz.core.report.serialize import report_from_dict

        return report_from_dict(data, cls)

    def to_csv(self, path: str | None = None) -> str:
        """One row per checked component (see ``serialize.report_to_csv``); writes to ``path``
        when given; returns the text."""
        from gradviz.core.report.serialize import report_to_csv

        return report_to_csv(self, path)
