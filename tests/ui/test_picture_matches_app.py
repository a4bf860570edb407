"""The notebook's and pytest's heatmap PNG draws a report as the app does: pyqtgraph's colour
map, every block in the same cell of the grid with the same tiles in the same order, and each
kind of component (agrees, mismatch, noise floor, kink) in the same colour class."""

import itertools

import numpy as np
import pyqtgraph as pg
import pytest
from test_heatmap_state import ClassifiedBlock

from gradviz.core.report.check_report import AGREES, NOISE_FLOOR, BlockResult, CheckReport
from gradviz.core.report.levels import MARK_GREY, REL_LEVELS, SEQUENTIAL, STRIPE_GREY
from gradviz.core.report.picture import KINK_INK, MARGIN, arrange, block_images, heatmap_rgb, viridis


def test_the_png_colours_match_the_app_within_two_levels_of_255():
    t = np.linspace(0.0, 1.0, 1001)
    app = pg.colormap.get(SEQUENTIAL).map(t, mode="byte")[:, :3].astype(int)
    assert np.abs(viridis(t).astype(int) - app).max() <= 2


SHAPES = {"x": (2, 3, 4, 4), "W1": (3, 2, 2), "b1": (3,), "W2": (4, 3), "b2": (4,),
          "v": (2, 2, 2, 3, 2), "w": (5,), "temperature": ()}
AGREE, WRONG, KINKED = ("x", (0, 0, 0, 0)), ("x", (1, 2, 3, 0)), ("x", (0, 1, 2, 2))
NOISE, ZERO = ("W1", (2, 1, 0)), ("W1", (0, 0, 1))


def any_shape_report() -> CheckReport:
    """Blocks of 0 to 5 axes; in x one mismatch (2×) and one kink-crossed component, in W1 one
    component within the noise floor and one where both gradients are ~1e-17."""
    rng = np.random.default_rng(5)
    blocks = {}
    for name, shape in SHAPES.items():
        a = rng.standard_normal(shape)
        n, kink = a * (1 + 1e-8 * rng.standard_normal(shape)), np.zeros(shape, dtype=bool)
        if name == "x":
            n[AGREE[1]] = a[AGREE[1]]
            n[WRONG[1]] = 2 * a[WRONG[1]]
            n[KINKED[1]] = a[KINKED[1]] * (1 + 1e-3)
            kink[KINKED[1]] = True
        blocks[name] = BlockResult(name, a, n, kink)
    a, n = blocks["W1"].analytic.copy(), blocks["W1"].numeric.copy()
    kinds = np.full(a.shape, AGREES)
    n[NOISE[1]] = a[NOISE[1]] * (1 + 1e-4)
    a[ZERO[1]], n[ZERO[1]] = 1e-17, -2e-17
    kinds[NOISE[1]] = kinds[ZERO[1]] = NOISE_FLOOR
    blocks["W1"] = ClassifiedBlock("W1", a, n, kinds)
    return CheckReport(blocks)


@pytest.fixture
def shown(view):
    report = any_shape_report()
    view.show_report(report)
    return view, report


def test_every_block_sits_in_the_same_grid_cell_with_the_same_tiles(shown):
    view, report = shown
    images = block_images(report)
    assert list(images) == list(report.blocks)
    for name, image in images.items():
        plot = view.block_plot(name)
        cells = view.ci.items[plot.plot]
        p = image.placement
        assert cells == [(p.row, p.col + k) for k in range(p.colspan)], name
        assert plot.tiling == p.tiling, name
        # the same values in the same mosaic cells (NaN: blank, an empty slot or at the noise floor)
        np.testing.assert_array_equal(plot.image.image, image.levels, err_msg=name)
    assert images["v"].levels.shape == (2 * 2 * 3, 2 * 2)  # 5-D: 2·2 rows of 2 tiles of 3×2
    assert not images["W1"].filled[2:, 2:].any()  # 3 tiles of 2×2 wrapped 2 × 2: one slot empty
    assert np.isnan(images["W1"].levels[2:, 2:]).all()


def test_blocks_are_arranged_alike_above_and_beside_each_other(shown):
    view, report = shown
    layout = arrange(block_images(report))
    boxes = {}
    for name, image in block_images(report).items():
        (top, left), (rows, cols) = layout.origins[name], image.levels.shape
        boxes[name] = (top, left, top + rows * layout.cell, left + cols * layout.cell)
    rects = {name: view.block_rect(name) for name in report.blocks}
    for a, b in itertools.permutations(report.blocks, 2):
        app_above = rects[a].bottom() <= rects[b].top()
        assert (boxes[a][2] <= boxes[b][0]) == app_above, (a, b)
        if not app_above and not rects[b].bottom() <= rects[a].top():  # one row
            assert (boxes[a][3] <= boxes[b][1]) == (rects[a].right() <= rects[b].left()), (a, b)


def app_class(view, name: str, index: tuple[int, ...]) -> tuple:
    """(level or NaN, RGB colours of the noise-floor mark, kink square) the app draws at a component."""
    plot = view.block_plot(name)
    row, col = plot.tiling.cell_of(index)
    marks, colours = plot.marks.image, set()
    if marks is not None:
        k = marks.shape[0] // plot.tiling.size[0]
        cell = marks[row * k : (row + 1) * k, col * k : (col + 1) * k].reshape(-1, 4)
        colours = {tuple(int(v) for v in p[:3]) for p in cell if p[3] > 0}
    xs, ys = plot.kinks.getData()
    kink = any(x == col + 0.5 and y == row + 0.5 for x, y in zip(xs, ys, strict=True))
    return float(plot.image.image[row, col]), colours, kink


def picture_colours(report: CheckReport, name: str, index: tuple[int, ...]) -> set[tuple]:
    """The RGB colours inside the picture's pixels of a component (its first row and column,
    where a line between tiles may run, left out)."""
    images = block_images(report)
    layout = arrange(images)
    row, col = images[name].placement.tiling.cell_of(index)
    top, left = (MARGIN + v + k * layout.cell for v, k in zip(layout.origins[name], (row, col), strict=True))
    box = heatmap_rgb(report)[top + 1 : top + layout.cell, left + 1 : left + layout.cell]
    return {tuple(int(v) for v in p) for p in box.reshape(-1, 3)}


def level_colour(level: float) -> tuple:
    lo, hi = REL_LEVELS
    return tuple(int(v) for v in viridis(np.array((level - lo) / (hi - lo))))


def test_known_components_get_the_same_colour_class_in_both(shown):
    view, report = shown
    classes = {c: app_class(view, *c) for c in (AGREE, WRONG, KINKED, NOISE, ZERO)}
    grey, stripe = MARK_GREY[:3], STRIPE_GREY[:3]
    assert classes[AGREE][0] == REL_LEVELS[0]  # an exact match: the low end
    assert classes[WRONG][0] == pytest.approx(np.log10(1 / 2))  # |a − 2a| / max(|a|, |2a|)
    assert classes[KINKED][2]
    assert not any(classes[c][2] for c in (AGREE, WRONG, NOISE, ZERO))
    assert classes[NOISE][1] == {grey}
    assert np.isnan(classes[NOISE][0])  # drawn in the mark's colour, not on the scale
    assert classes[ZERO][1] == {grey, stripe}
    for component, (level, marks, kink) in classes.items():
        colours = picture_colours(report, *component)
        expected = set(marks) if marks else {level_colour(level)}
        assert colours == expected | ({KINK_INK} if kink else set()), component
