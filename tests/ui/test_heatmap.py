"""The heatmap: layout, colour modes, kinks and blanks as drawn, progressive fill, hover and
click, large blocks."""

import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QPalette

from gradviz.core.check.gradcheck import CheckProgress
from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.ui.check.heatmap_view import REL_TICKS, HeatmapView


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


@pytest.fixture
def view(qtbot):
    widget = HeatmapView()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def cell_colours(view: HeatmapView, image: QImage, name: str, row: int, col: int) -> set:
    """The colours drawn around the centre of a cell (±8 px), in a grab of the view."""
    plot = view._plots[name][0]
    centre = view.mapFromScene(plot.getViewBox().mapViewToScene(QPointF(col + 0.5, row + 0.5)))
    return {image.pixelColor(centre + QPoint(dx, dy)).getRgb()
            for dx in range(-8, 9) for dy in range(-8, 9)}


def cell_point(win, name: str, row: int, col: int) -> QPoint:
    view = win.heatmap
    plot = view._plots[name][0]
    return view.mapFromScene(plot.getViewBox().mapViewToScene(QPointF(col + 0.5, row + 0.5)))


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


def test_hover_shows_values_and_click_pins_them(user, window, qtbot):
    report = user.run_check()
    viewport = window.heatmap.viewport()
    point = cell_point(window, "W1", 3, 1)
    qtbot.mouseMove(viewport, point)
    qtbot.waitUntil(lambda: "W1[3, 1]" in window.statusBar().currentMessage())
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
    images = [item for item in view.scene().items() if isinstance(item, pg.ImageItem)]
    assert len(images) == len(shapes)
    assert len(view.scene().items()) < 200  # no item per cell


def test_one_wrong_component_in_a_big_block_still_shows(view):
    a = np.ones((300, 784))
    n = a * (1 - 1e-9)
    n[123, 457] = 0.5  # relative error 0.5 in one component of 235,200
    view.show_report(make_report({"W1": (a, n, np.zeros(a.shape, dtype=bool))}))
    drawn = view._plots["W1"][1].image
    assert drawn.shape[0] <= 256
    assert drawn.shape[1] <= 256  # fewer pixels than cells: each shows its group's worst cell
    assert np.isclose(np.nanmax(drawn), np.log10(0.5))
    assert np.isclose(np.nanmedian(drawn), -9, atol=0.1)
