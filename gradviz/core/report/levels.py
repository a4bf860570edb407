"""What the heatmap's colours mean, in the app and in the notebook's picture alike: the value each
mode shows per component, the shared colour scale (levels, ticks, label, colour maps by name), the
marks drawn over the scale for components at the noise floor, and the max-pooling that keeps big
blocks cheap to draw."""

from __future__ import annotations

import math

import numpy as np

from gradviz.core.report.check_report import NOISE_FLOOR, BlockResult
from gradviz.core.report.layout import Tiling

#: mode -> what the combo box says
MODES = {
    "rel": "relative error",
    "abs": "absolute error",
    "analytic": "dθ (backprop)",
    "numeric": "dθ_approx (numeric)",
    "ratio": "ratio dθ / dθ_approx",
}
ERROR_MODES = ("rel", "abs", "ratio")  # modes where a comparison is shown (and marks apply)
REL_LEVELS = (-10.0, 0.0)
REL_TICKS = [(-7.0, "1e-7"), (-5.0, "1e-5"), (-3.0, "1e-3"), (-2.0, "1e-2")]
RATIO_LEVELS = (0.0, 2.0)
RATIO_TICKS = [(0.0, "≤ 0"), (0.5, "0.5"), (1.0, "1"), (1.5, "1.5"), (2.0, "≥ 2")]
SEQUENTIAL, DIVERGING = "viridis", "CET-D1A"  # pyqtgraph's names of the colour maps
MAX_PIXELS = 256  # image pixels per axis at most: bigger blocks show the worst cell of each group

#: marks drawn over the colour scale: none, |a − n| within the noise floor, both a and n below it
NO_MARK, AT_NOISE_FLOOR, BOTH_BELOW_FLOOR = 0, 1, 2
MARK_GREY = (128, 128, 128, 255)  # neutral: on no colour map's path, and the same in both themes
STRIPE_GREY = (176, 176, 176, 255)  # the hatching of "both below the floor"
HATCH_PIXELS = 768  # the marks image is upsampled (≤ 8×) for hatching up to this many pixels


def mode_values(block: BlockResult, mode: str, levels: tuple[float, float]) -> np.ndarray:
    """The values ``mode`` shows for each component (the block's shape; NaN: not checked);
    log-scale and ratio values are clipped to ``levels`` (an exact match shows at the low end)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "rel":
            values = np.log10(block.rel_error)
        elif mode == "abs":
            values = np.log10(block.abs_error)
        elif mode == "analytic":
            values = np.where(block.checked, block.analytic, np.nan)
        elif mode == "numeric":
            values = block.numeric.copy()
        else:
            values = block.analytic / block.numeric
            values[(block.analytic == 0) & (block.numeric == 0)] = 1.0
    values = np.asarray(values, dtype=np.float64)
    values[~block.checked] = np.nan
    if mode in ERROR_MODES:
        values = np.clip(values, *levels)
    return values


def decade_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    step = max(1, math.ceil((hi - lo) / 6))
    return [(float(k), f"1e{k}") for k in range(math.ceil(lo), math.floor(hi) + 1, step)]


def scale_for(mode: str, blocks: list[BlockResult]) -> tuple[tuple[float, float], list | None, str]:
    """(low, high), fixed ticks or None, and the colour bar's label for ``mode`` over ``blocks``."""
    if mode == "rel":
        return REL_LEVELS, REL_TICKS, "relative error (log scale)"
    if mode == "ratio":
        return RATIO_LEVELS, RATIO_TICKS, "dθ / dθ_approx (1 = agree)"
    checked = [b for b in blocks if b.n_checked]
    if mode == "abs":
        errors = np.concatenate([b.abs_error[b.checked] for b in checked]) if checked else np.zeros(0)
        positive = errors[errors > 0]
        if positive.size == 0:
            return (-16.0, 0.0), decade_ticks(-16, 0), "absolute error (log scale)"
        lo, hi = math.floor(np.log10(positive.min())), math.ceil(np.log10(positive.max()))
        hi = max(hi, lo + 1)
        return (float(lo), float(hi)), decade_ticks(lo, hi), "absolute error (log scale)"
    top = max((max(np.abs(b.analytic[b.checked]).max(), np.abs(b.numeric[b.checked]).max())
               for b in checked), default=0.0)
    top = top if top > 0 else 1.0
    label = "dθ (backprop)" if mode == "analytic" else "dθ_approx (numeric)"
    return (-top, top), None, label


def component_marks(block: BlockResult) -> np.ndarray:
    """Per component NO_MARK, AT_NOISE_FLOOR or BOTH_BELOW_FLOOR (int8, the block's shape).

    A component at the noise floor whose relative error is at least 1/2 has both gradients
    below the floor: |a − n| ≤ floor and |a − n| ≥ max(|a|, |n|) / 2 give max(|a|, |n|) ≤ 2·floor
    (a zero true gradient, a bias before batch normalization)."""
    marks = np.zeros(block.analytic.shape, dtype=np.int8)
    noise = block.kinds == NOISE_FLOOR
    marks[noise] = AT_NOISE_FLOOR
    with np.errstate(invalid="ignore"):
        marks[noise & (block.rel_error >= 0.5)] = BOTH_BELOW_FLOOR
    return marks


def marked_mosaics(block: BlockResult, tiling: Tiling, values: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mosaics an error mode draws: ``values`` (the block's shape) with the components at the
    noise floor blanked (NaN), their marks (component_marks) and ``block.checked``."""
    marks = tiling.mosaic(component_marks(block), fill=NO_MARK)
    shown = np.where(marks != NO_MARK, np.nan, tiling.mosaic(values))
    return shown, marks, tiling.mosaic(block.checked, fill=False)


def _groups(values: np.ndarray, fill) -> tuple[np.ndarray, int, int] | None:
    """``values`` (rows, cols) cut into groups of fr × fc cells so that at most MAX_PIXELS
    groups lie along each axis: (R, C, fr·fc) padded with ``fill``; None when it already fits."""
    rows, cols = values.shape
    fr, fc = -(-rows // MAX_PIXELS), -(-cols // MAX_PIXELS)
    if fr == fc == 1:
        return None
    R, C = -(-rows // fr), -(-cols // fc)
    padded = np.full((R * fr, C * fc), fill, dtype=values.dtype)
    padded[:rows, :cols] = values
    return padded.reshape(R, fr, C, fc).transpose(0, 2, 1, 3).reshape(R, C, fr * fc), fr, fc


def pool(values: np.ndarray, mode: str) -> np.ndarray:
    """Shrink a mosaic to at most MAX_PIXELS per axis, keeping from each group of cells the one
    farthest from agreement (largest error, largest |dθ|, ratio farthest from 1), so a single
    wrong component in a big block still shows."""
    cut = _groups(values, np.nan)
    if cut is None:
        return values
    groups = cut[0]
    centre = 1.0 if mode == "ratio" else 0.0  # agreement, for the modes that are not errors
    badness = groups.copy() if mode in ("rel", "abs") else np.abs(groups - centre)
    badness[np.isnan(groups)] = -np.inf
    pick = badness.argmax(axis=2)[..., None]
    return np.take_along_axis(groups, pick, axis=2)[..., 0]


def pool_marks(marks: np.ndarray, checked: np.ndarray) -> np.ndarray:
    """Marks of a pooled mosaic: a group is marked only when every checked cell in it is (so a
    group with one real error shows the error); its mark is the largest there."""
    cut = _groups(marks, NO_MARK)
    if cut is None:
        return marks
    groups = cut[0]
    checked_groups = _groups(checked, False)[0]
    unmarked = (checked_groups & (groups == NO_MARK)).any(axis=2)
    return np.where(unmarked, NO_MARK, groups.max(axis=2)).astype(np.int8)


def pool_any(mask: np.ndarray) -> np.ndarray:
    """Shrink a boolean mosaic as ``pool`` does: a group is True when any of its cells is."""
    cut = _groups(mask, False)
    return mask if cut is None else cut[0].any(axis=2)


def marks_rgba(marks: np.ndarray, k: int | None = None) -> np.ndarray:
    """An RGBA image (rows·k, cols·k, 4) of the marks: flat grey at the noise floor, grey with
    light diagonal stripes where both gradients are below it, transparent elsewhere; k pixels per
    cell (by default up to 8, room for the stripes)."""
    rows, cols = marks.shape
    if k is None:
        k = int(min(8, max(1, HATCH_PIXELS // max(rows, cols, 1))))
    big = np.repeat(np.repeat(marks, k, axis=0), k, axis=1)
    rgba = np.zeros((*big.shape, 4), dtype=np.uint8)
    rgba[big != NO_MARK] = MARK_GREY
    i, j = np.indices(big.shape)
    stripes = (i + j) % 4 == 0 if k > 1 else np.ones(big.shape, dtype=bool)
    rgba[(big == BOTH_BELOW_FLOOR) & stripes] = STRIPE_GREY
    return rgba
