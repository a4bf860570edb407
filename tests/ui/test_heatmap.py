"""The heatmap: layout, colour modes, kinks and blanks as drawn, progressive fill, hover and
click, large blocks; blocks of any shape (0-D to 4-D) laid out without overlap, hover giving the
full index tuple."""

import itertools
import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QPalette

from gradviz import check_layer
from gradviz.core.check.gradcheck import CheckProgress
from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.core.report.levels import REL_TICKS
from gradviz.ui.check.heatmap_view import HeatmapView


def make_report(blocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> CheckReport:
    return CheckReport({k: BlockResult(k, *v) for k, v in blocks.items()})


def uniform_report(shape_w=(4, 3), rel=1e-3):
    """W1 and b1 with every relative error equal to ``rel``; W1[1, 2] crossed a kink and
    W1[3, 0] was not checked."""
    a_w, a_b = np.ones(shape_w), np.ones((shape_w[0], 1))
    n_w, n_b = a_w * (1 - rel), a_b * (1 - rel)
    kink = np.zeros(shape_w, dtype=bool)
    kink[1, 2] = True
    n_w[3, 0] = np.nan
    return make_report({"W1": (a_w, n_w, kink), "b1": (a_b, n_b, np.zeros_like(a_b, dtype=bool))})


def cell_colours(view: HeatmapView, image: QImage, name: str, row: int, col: int) -> set:
    """The colours drawn around the centre of a cell (±8 px), in a grab of the view."""
    view_box = view.block_plot(name).view
    centre = view.mapFromScene(view_box.mapViewToScene(QPointF(col + 0.5, row + 0.5)))
    return {image.pixelColor(centre + QPoint(dx, dy)).getRgb()
            for dx in range(-8, 9) for dy in range(-8, 9)}


def cell_point(win, name: str, row: int, col: int) -> QPoint:
    view = win.heatmap
    return view.mapFromScene(view.block_plot(name).view.mapViewToScene(QPointF(col + 0.5, row + 0.5)))


def test_each_W_sits_beside_its_b_with_titles(window):
    view = window.heatmap
    titles = sorted(item.titleLabel.text for item in view.ci.items
                    if isinstance(item, pg.PlotItem) and item is not view._bar)
    assert titles == ["W1 (16×2)", "W2 (3×16)", "b1 (16×1)", "b2 (3×1)"]
    w1, b1, w2 = view.block_rect("W1"), view.block_rect("b1"), view.block_rect("W2")
    assert w1.right() < b1.left()
    assert abs(w1.top() - b1.top()) < 3
    assert w2.top() > w1.bottom()
    ticks = view._bar.axis._tickLevels[0]
    assert [label for _, label in ticks] == [label for _, label in REL_TICKS]


def test_kinks_are_marked_and_unchecked_cells_blank(view):
    view.show_report(uniform_report())
    image = view.grab().toImage()
    plain = cell_colours(view, image, "W1", 0, 0)
    assert len(plain) == 1
    assert cell_colours(view, image, "W1", 0, 1) == plain  # same error, same colour
    assert len(cell_colours(view, image, "W1", 1, 2) - plain) > 0  # the kink's hatching
    blank = view.palette().color(QPalette.ColorRole.Base).getRgb()
    assert cell_colours(view, image, "W1", 3, 0) == {blank}
    assert np.isnan(view.image("W1")[3, 0])


def test_modes_show_errors_gradients_and_ratio(view):
    view.show_report(uniform_report(rel=1e-3))
    assert np.allclose(view.image("W1")[0], -3.0)
    view.set_mode("abs")
    assert np.allclose(view.image("W1")[0], -3.0)
    view.set_mode("analytic")
    assert view.image("W1")[0, 0] == 1.0
    assert np.isnan(view.image("W1")[3, 0])  # unchecked stays blank in every mode
    low, high = view._bar.levels()
    assert low == -high  # a shared symmetric scale
    view.set_mode("ratio")
    assert np.allclose(view.image("W1")[0], 1 / (1 - 1e-3))
    with pytest.raises(ValueError, match="mode must be one of"):
        view.set_mode("colourful")


def test_fills_in_progressively(view):
    analytic = {"W1": np.ones((4, 3)), "b1": np.ones((4, 1))}
    view.begin(analytic)
    assert np.isnan(view.image("W1")).all()
    chunk = CheckProgress(5, 16, "W1", np.arange(5), np.ones(5), np.zeros(5, dtype=bool))
    view.add_progress([chunk])
    shown = np.isfinite(view.image("W1"))
    assert shown.sum() == 5
    assert shown.flat[:5].all()


def test_a_burst_of_progress_is_painted_once(view, qtbot, monkeypatch):
    view.begin({"W1": np.ones((4, 3)), "b1": np.ones((4, 1))})
    plot = view.block_plot("W1")
    paints = []
    monkeypatch.setattr(plot, "paint", lambda shown, *args: paints.append(np.isfinite(shown).sum()))
    for i in range(12):
        chunk = CheckProgress(i + 1, 16, "W1", np.array([i]), np.ones(1), np.zeros(1, dtype=bool))
        view.add_progress([chunk])
    assert paints == []  # nothing is painted per chunk
    qtbot.waitUntil(lambda: paints == [12])


def test_hover_shows_values_and_click_pins_them(user, window, qtbot):
    report = user.run_check()
    viewport = window.heatmap.viewport()

    def hover() -> bool:  # the verdict above may still be settling its height: aim again
        qtbot.mouseMove(viewport, cell_point(window, "W1", 3, 1))
        return "W1[3, 1]" in window.statusBar().currentMessage()

    qtbot.waitUntil(hover)
    point = cell_point(window, "W1", 3, 1)
    assert "rel error" in window.statusBar().currentMessage()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    pinned = window.inspector.component
    assert pinned is not None
    assert (pinned.block, pinned.index) == ("W1", (3, 1))
    assert pinned.numeric == report.blocks["W1"].numeric[3, 1]
    assert f"{pinned.rel_error:.3e}" in window.inspector._formula.text()


def test_large_blocks_are_one_image_each(view):
    rng = np.random.default_rng(0)
    shapes = {"W1": (256, 784), "b1": (256, 1), "W2": (10, 256), "b2": (10, 1)}
    blocks = {}
    for name, shape in shapes.items():
        a = rng.standard_normal(shape)
        blocks[name] = (a, a * (1 + 1e-6 * rng.standard_normal(shape)), rng.random(shape) < 1e-3)
    report = make_report(blocks)
    start = time.perf_counter()
    view.show_report(report)
    view.grab()
    print(f"drew 4 blocks ({sum(np.prod(s) for s in shapes.values())} cells) in "
          f"{time.perf_counter() - start:.3f} s")
    images = [item for item in view.scene().items()
              if isinstance(item, pg.ImageItem) and item.image is not None]
    assert len(images) == len(shapes)  # one value image per block (no marks: nothing at the noise floor)
    assert len(view.scene().items()) < 200  # no item per cell


def test_one_wrong_component_in_a_big_block_still_shows(view):
    a = np.ones((300, 784))
    n = a * (1 - 1e-9)
    n[123, 457] = 0.5  # relative error 0.5 in one component of 235,200
    view.show_report(make_report({"W1": (a, n, np.zeros(a.shape, dtype=bool))}))
    drawn = view.block_plot("W1").image.image
    assert drawn.shape[0] <= 256
    assert drawn.shape[1] <= 256  # fewer pixels than cells: each shows its group's worst cell
    assert np.isclose(np.nanmax(drawn), np.log10(0.5))
    assert np.isclose(np.nanmedian(drawn), -9, atol=0.1)


def conv_net_report(rng) -> CheckReport:
    """A CS231n-like conv net checked with layer_model's names: an input x (N, C, H, W), conv
    weights (F, C, kh, kw), 1-D biases and batchnorm γ/β, an affine W2, a scalar temperature."""
    shapes = {"x": (2, 3, 6, 6), "W1": (4, 3, 3, 3), "b1": (4,), "gamma1": (4,), "beta1": (4,),
              "W2": (36, 5), "b2": (5,), "temperature": ()}
    blocks = {}
    for name, shape in shapes.items():
        a = rng.standard_normal(shape)
        blocks[name] = (a, a * (1 + 1e-8 * rng.standard_normal(shape)), np.zeros(shape, dtype=bool))
    return make_report(blocks)


def test_any_shape_no_overlap_at_three_sizes(qtbot, view):
    report = conv_net_report(np.random.default_rng(1))
    view.show_report(report)
    for width, height in ((420, 360), (800, 600), (1300, 700)):
        view.resize(width, height)
        qtbot.waitUntil(lambda w=width: view.block_rect("beta1").right() <= w
                        and view.block_rect("beta1").right() > 0.6 * w)
        rects = {name: view.block_rect(name) for name in report.blocks}
        for name, rect in rects.items():
            assert min(rect.width(), rect.height()) > 4, (name, width)
            assert view.rect().toRectF().contains(rect), (name, width)
        for (a, ra), (b, rb) in itertools.combinations(rects.items(), 2):
            assert not ra.intersects(rb), (a, b, width, height)
        tops = [rects[n].top() for n in ("W1", "b1", "gamma1", "beta1")]
        assert max(tops) - min(tops) < 1  # one layer, one row
        lefts = [rects[n].left() for n in ("W1", "b1", "gamma1", "beta1")]
        assert lefts == sorted(lefts)  # in parameter order
        assert rects["b2"].left() == pytest.approx(rects["b1"].left())  # vectors line up
        assert rects["x"].bottom() < rects["W1"].top() < rects["W2"].top()  # rows in order
        assert rects["temperature"].top() > rects["W2"].bottom()


def test_titles_name_the_real_shapes_and_images_stay_one_per_block(view):
    report = conv_net_report(np.random.default_rng(2))
    view.show_report(report)
    titles = {item.titleLabel.text for item in view.ci.items
              if isinstance(item, pg.PlotItem) and item is not view._bar}
    assert {"x (2×3×6×6)", "W1 (4×3×3×3)", "b1 (4)", "temperature (scalar)"} <= titles
    assert view.block_plot("W1").image.image.shape == (4 * 3, 3 * 3)  # 4 filters × 3 channels of 3×3
    assert view.image("W1").shape == (4, 3, 3, 3)  # the values keep the real shape


def test_hover_over_a_conv_tile_gives_the_full_index(qtbot, view):
    report = conv_net_report(np.random.default_rng(3))
    view.show_report(report)
    f, c, i, j = 2, 0, 1, 1
    rect = view.block_rect("W1")  # the mosaic: filter rows of channel tiles, each 3×3 cells
    row, col = f * 3 + i, c * 3 + j
    point = QPointF(rect.left() + (col + 0.5) * rect.width() / 9,
                    rect.top() + (row + 0.5) * rect.height() / 12)
    with qtbot.waitSignal(view.hovered, check_params_cb=lambda comp: comp is not None) as blocker:
        qtbot.mouseMove(view.viewport(), point.toPoint())
    comp = blocker.args[0]
    assert (comp.block, comp.index) == ("W1", (f, c, i, j))
    assert comp.analytic == report.blocks["W1"].analytic[f, c, i, j]
    assert comp.tile == "W1[2, 0, :, :]"
    assert "W1[2, 0, 1, 1]" in view.toolTip()
    assert "tile W1[2, 0, :, :]" in view.toolTip()
    # the tooltip's window now takes real mouse moves: move in the scene for the scalar
    with qtbot.waitSignal(view.hovered) as blocker:
        view.scene().sigMouseMoved.emit(view.mapToScene(view.cell_rect("temperature", ()).center().toPoint()))
    assert (blocker.args[0].block, blocker.args[0].index) == ("temperature", ())
    assert "temperature[()]" in view.toolTip()


def test_the_empty_heatmaps_run_button_runs_the_check(qtbot, window):
    button = window.heatmap.run_button
    assert button.isVisible()  # nothing checked yet
    with qtbot.waitSignal(window.check_finished, timeout=20_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isVisible()


def channel_scale_forward(x, gamma, beta):
    """out[n, c, h, w] = gamma[c] x[n, c, h, w] + beta[c], the CS231n layer convention."""
    return x * gamma[None, :, None, None] + beta[None, :, None, None], (x, gamma)


def channel_scale_backward_with_a_bug(dout, cache):
    x, gamma = cache
    dgamma = (dout * x).sum(axis=(0, 2, 3))
    dgamma[1] *= 2  # a planted bug in channel 1
    return dout * gamma[None, :, None, None], dgamma, dout.sum(axis=(0, 2, 3))


def test_a_layer_check_from_the_engine_shows_in_any_shape(qtbot, view):
    rng = np.random.default_rng(4)
    x, gamma, beta = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal(3), rng.standard_normal(3)
    report = check_layer(channel_scale_forward, channel_scale_backward_with_a_bug, x, gamma, beta)
    view.show_report(report)
    rects = {name: view.block_rect(name) for name in ("x", "gamma", "beta")}
    assert rects["x"].bottom() < rects["gamma"].top() < rects["gamma"].bottom() < rects["beta"].top()
    assert view.block_plot("x").image.image.shape == (2 * 4, 3 * 4)  # 2 examples × 3 channels
    shown = view.image("gamma")  # log10 relative error per channel: only channel 1 is wrong
    assert shown[1] > -1
    assert np.all(np.delete(shown, 1) < -6)
    assert view.component("x", (1, 2, 3, 0)).tile == "x[1, 2, :, :]"
