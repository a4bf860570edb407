"""What the heatmap's colours mean, pinned: the value each mode shows, the colour scale and its
ticks, the noise-floor marks and their image, and max-pooling of big mosaics (worst cell kept).
Blocks are stand-ins with the attributes the functions read, so the numbers are written here."""

from types import SimpleNamespace

import numpy as np
import pytest

from gradviz.core.report import levels
from gradviz.core.report.check_report import AGREES, MISMATCH, NOISE_FLOOR
from gradviz.core.report.layout import tiling

NAN = np.nan


def block(analytic, numeric, checked=None, kinds=None):
    a, n = (np.asarray(x) if isinstance(x, np.ndarray) else np.asarray(x, dtype=float)
            for x in (analytic, numeric))
    checked = np.ones(a.shape, dtype=bool) if checked is None else np.asarray(checked)
    with np.errstate(divide="ignore", invalid="ignore"):
        abs_error = np.abs(a - n)
        rel_error = abs_error / (np.abs(a) + np.abs(n))
    rel_error[(a == 0) & (n == 0)] = 0.0
    kinds = np.full(a.shape, AGREES, dtype=np.int8) if kinds is None else np.asarray(kinds, dtype=np.int8)
    return SimpleNamespace(analytic=a, numeric=n, checked=checked, abs_error=abs_error, rel_error=rel_error,
                           kinds=kinds, n_checked=int(checked.sum()))


B = block([[1.0, 0.0, 1.0, 4.0, -3.0, 0.0, 2.0]], [[1.0, 0.0, 4.0, 8.0, 3.0, 2.0, 0.0]],
          [[True, True, True, False, True, True, True]])
REL = np.log10([0.6, 1.0])


@pytest.mark.parametrize(("mode", "limits", "expected"), [
    ("rel", (-10.0, 0.0), [[-10.0, -10.0, REL[0], NAN, 0.0, 0.0, 0.0]]),
    ("rel", (-10.0, -1.0), [[-10.0, -10.0, -1.0, NAN, -1.0, -1.0, -1.0]]),
    ("abs", (-16.0, 0.4), [[-16.0, -16.0, 0.4, NAN, 0.4, np.log10(2.0), np.log10(2.0)]]),
    ("analytic", (-1.0, 1.0), [[1.0, 0.0, 1.0, NAN, -3.0, 0.0, 2.0]]),
    ("numeric", (-1.0, 1.0), [[1.0, 0.0, 4.0, NAN, 3.0, 2.0, 0.0]]),
    ("ratio", (0.0, 2.0), [[1.0, 1.0, 0.25, NAN, 0.0, 0.0, 2.0]]),
    ("ratio", (0.5, 1.5), [[1.0, 1.0, 0.5, NAN, 0.5, 0.5, 1.5]]),
])
def test_each_mode_shows_its_value_clipped_to_the_levels_only_for_comparisons(mode, limits, expected):
    """dθ / dθ_approx is 1 where both are 0, 0 where only dθ is, and +inf (clipped) where only
    dθ_approx is 0."""
    numeric_before = B.numeric.copy()
    values = levels.mode_values(B, mode, limits)
    np.testing.assert_allclose(values, expected, rtol=1e-15)
    assert values.dtype == np.float64
    np.testing.assert_array_equal(B.numeric, numeric_before)
    single = block(B.analytic.astype(np.float32), B.numeric.astype(np.float32), B.checked)
    assert levels.mode_values(single, mode, limits).dtype == np.float64


@pytest.mark.parametrize(("lo", "hi", "ticks"), [
    (-3, -1, [-3, -2, -1]),
    (-2.5, 1.5, [-2, -1, 0, 1]),
    (-16, 0, [-16, -13, -10, -7, -4, -1]),
    (-12, 0, [-12, -10, -8, -6, -4, -2, 0]),
    (-7, 0, [-7, -5, -3, -1]),
])
def test_decade_ticks_are_whole_decades_at_most_seven_apart(lo, hi, ticks):
    assert levels.decade_ticks(lo, hi) == [(float(k), f"1e{k}") for k in ticks]


def test_fixed_scales_for_relative_error_and_ratio():
    assert levels.scale_for("rel", []) == ((-10.0, 0.0), levels.REL_TICKS, "relative error (log scale)")
    assert levels.scale_for("ratio", []) == ((0.0, 2.0), levels.RATIO_TICKS, "dθ / dθ_approx (1 = agree)")


def test_the_absolute_scale_spans_the_decades_of_the_checked_errors():
    unchecked = block([[1e9]], [[0.0]], [[False]])
    errors = block([[1.0, 1.0, 5.0]], [[1.0 + 3e-9, 1.0 + 2e-5, 0.0]], [[True, True, False]])
    assert levels.scale_for("abs", [errors, unchecked]) == (
        (-9.0, -4.0), levels.decade_ticks(-9, -4), "absolute error (log scale)")
    one = block([[0.0]], [[0.001]])  # log10 of the only error is exactly −3
    assert levels.scale_for("abs", [one])[0] == (-3.0, -2.0)  # one decade at least
    exact = block([[1.0, 2.0]], [[1.0, 2.0]])
    assert levels.scale_for("abs", [exact, unchecked]) == (
        (-16.0, 0.0), levels.decade_ticks(-16, 0), "absolute error (log scale)")
    assert levels.scale_for("abs", [])[0] == (-16.0, 0.0)


def test_gradient_scales_are_symmetric_around_the_largest_checked_magnitude():
    first = block([[0.5, -2.0]], [[0.25, -1.0]])
    second = block([[1.0, 100.0]], [[-3.0, 100.0]], [[True, False]])
    assert levels.scale_for("analytic", [first, second]) == ((-3.0, 3.0), None, "dθ (backprop)")
    assert levels.scale_for("numeric", [first]) == ((-2.0, 2.0), None, "dθ_approx (numeric)")
    small = block([[0.5]], [[-0.25]])
    assert levels.scale_for("analytic", [small])[0] == (-0.5, 0.5)
    zeros = block([[0.0]], [[0.0]])
    assert levels.scale_for("analytic", [zeros]) == ((-1.0, 1.0), None, "dθ (backprop)")
    assert levels.scale_for("numeric", []) == ((-1.0, 1.0), None, "dθ_approx (numeric)")


def test_marks_at_the_noise_floor_and_both_below_it():
    b = block([[1.0, 1e-9, 1e-9, 2e-9, 1.0]], [[1.0, 1e-9, 0.0, 1e-9, 1.0]],
              kinds=[[AGREES, NOISE_FLOOR, NOISE_FLOOR, NOISE_FLOOR, MISMATCH]])
    b.rel_error[0, 3] = 0.5  # exactly one half: both gradients are below the floor
    b.rel_error[0, 1] = NAN
    marks = levels.component_marks(b)
    assert marks.dtype == np.int8
    assert marks.tolist() == [[0, levels.AT_NOISE_FLOOR, levels.BOTH_BELOW_FLOOR, levels.BOTH_BELOW_FLOOR, 0]]


def test_marked_mosaics_blank_the_marked_cells_and_fill_empty_slots():
    kinds = np.full((3, 1, 2), AGREES)
    kinds[1, 0, 1] = NOISE_FLOOR
    b = block(np.ones((3, 1, 2)), np.ones((3, 1, 2)), kinds=kinds)
    layout = tiling((3, 1, 2))
    assert layout.size == (2, 4)  # a 2 × 2 grid of 1 × 2 tiles, one slot empty
    values = np.arange(6.0).reshape(3, 1, 2)
    shown, marks, checked = levels.marked_mosaics(b, layout, values)
    np.testing.assert_array_equal(shown, [[0.0, 1.0, 2.0, NAN], [4.0, 5.0, NAN, NAN]])
    assert marks.tolist() == [[0, 0, 0, 1], [0, 0, 0, 0]]
    assert checked.tolist() == [[True, True, True, True], [True, True, False, False]]
    assert (checked.dtype, marks.dtype.kind, shown.dtype) == (np.dtype(bool), "i", np.dtype(np.float64))


def tall(column: list[float]) -> np.ndarray:
    """A (len, 1) mosaic; 300 rows pool by 2 into 150."""
    return np.array(column, dtype=float)[:, None]


@pytest.mark.parametrize(("mode", "pair", "kept"), [
    ("rel", [-3.0, -7.0], -3.0),
    ("rel", [NAN, -7.0], -7.0),
    ("abs", [-7.0, -3.0], -3.0),
    ("analytic", [0.5, -2.0], -2.0),
    ("numeric", [3.0, -2.0], 3.0),
    ("ratio", [1.2, 0.5], 0.5),
    ("ratio", [1.6, 0.5], 1.6),
    ("ratio", [NAN, NAN], NAN),
])
def test_pooling_keeps_the_cell_farthest_from_agreement(mode, pair, kept):
    column = [0.0] * 300
    column[10:12] = pair
    pooled = levels.pool(tall(column), mode)
    assert pooled.shape == (150, 1)
    np.testing.assert_array_equal(pooled[5, 0], kept)


def test_pooling_pads_a_ragged_last_group_and_leaves_small_mosaics_alone():
    values = np.arange(301.0)[:, None]
    pooled = levels.pool(values, "rel")
    assert pooled.shape == (151, 1)
    assert pooled[-1, 0] == 300.0  # a group of one cell and one padding cell
    assert pooled[0, 0] == 1.0
    small = np.ones((256, 256))
    assert levels.pool(small, "rel") is small
    assert levels.pool(np.ones((300, 1), dtype=np.float32), "rel").dtype == np.float32
    wide = np.arange(600.0).reshape(1, 600)
    assert levels.pool(wide, "abs").tolist() == [[float(k) for k in range(2, 600, 3)]]


def test_a_pooled_group_is_marked_only_when_every_checked_cell_is():
    marks = np.zeros((300, 1), dtype=np.int8)
    checked = np.ones((300, 1), dtype=bool)
    marks[0:2, 0] = [levels.AT_NOISE_FLOOR, levels.BOTH_BELOW_FLOOR]  # both marked: the larger mark
    marks[2, 0] = levels.BOTH_BELOW_FLOOR  # beside an unmarked checked cell: no mark
    marks[4, 0] = levels.AT_NOISE_FLOOR
    checked[5, 0] = False  # beside an unchecked cell only: marked
    pooled = levels.pool_marks(marks, checked)
    assert pooled.dtype == np.int8
    assert pooled[:4, 0].tolist() == [levels.BOTH_BELOW_FLOOR, 0, levels.AT_NOISE_FLOOR, 0]
    ragged = np.zeros((301, 1), dtype=np.int8)
    ragged[300, 0] = levels.AT_NOISE_FLOOR  # alone in its group with a padding cell
    assert levels.pool_marks(ragged, np.ones((301, 1), dtype=bool))[-1, 0] == levels.AT_NOISE_FLOOR
    small = np.zeros((3, 3), dtype=np.int8)
    assert levels.pool_marks(small, np.ones((3, 3), dtype=bool)) is small
    mask = np.zeros((300, 1), dtype=bool)
    mask[3, 0] = True
    assert np.flatnonzero(levels.pool_any(mask)).tolist() == [1]
    fits = small.astype(bool)
    assert levels.pool_any(fits) is fits


def test_mark_images_are_grey_striped_where_both_are_below_and_clear_elsewhere():
    marks = np.array([[levels.NO_MARK, levels.AT_NOISE_FLOOR, levels.BOTH_BELOW_FLOOR]], dtype=np.int8)
    rgba = levels.marks_rgba(marks)
    assert rgba.shape == (8, 24, 4)  # up to 8 pixels a cell
    assert rgba.dtype == np.uint8
    assert (rgba[:, :8] == 0).all()
    assert (rgba[:, 8:16] == levels.MARK_GREY).all()
    i, j = np.indices((8, 8))
    stripes = (i + (j + 16)) % 4 == 0
    np.testing.assert_array_equal(rgba[:, 16:][stripes], np.tile(levels.STRIPE_GREY, (stripes.sum(), 1)))
    np.testing.assert_array_equal(rgba[:, 16:][~stripes], np.tile(levels.MARK_GREY, ((~stripes).sum(), 1)))
    flat = levels.marks_rgba(marks, k=1)
    assert flat.shape == (1, 3, 4)
    assert flat[0].tolist() == [[0, 0, 0, 0], list(levels.MARK_GREY), list(levels.STRIPE_GREY)]
    assert levels.marks_rgba(np.zeros((200, 100), dtype=np.int8)).shape == (600, 300, 4)  # 768 // 200
    assert levels.marks_rgba(np.zeros((100, 200), dtype=np.int8)).shape == (300, 600, 4)
    assert levels.marks_rgba(np.zeros((1000, 10), dtype=np.int8)).shape == (1000, 10, 4)
    assert levels.marks_rgba(np.zeros((0, 0), dtype=np.int8)).shape == (0, 0, 4)
    two = levels.marks_rgba(np.full((1, 1), levels.BOTH_BELOW_FLOOR, dtype=np.int8), k=2)
    assert two[:, :, 0].tolist() == [[levels.STRIPE_GREY[0], levels.MARK_GREY[0]],
                                      [levels.MARK_GREY[0], levels.MARK_GREY[0]]]
