"""What the heatmap says about its state: noise-floor components in their own colour, the pinned
cell outlined, a stale result faded under a note, the empty heatmap's Run button, the PNG export
at print resolution with the colour bar, and text that grows with the presenter font."""

import itertools
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetrics, QImage

from gradviz.core.report.check_report import AGREES, MISMATCH, NOISE_FLOOR, BlockResult, CheckReport
from gradviz.core.report.levels import MARK_GREY, REL_TICKS, STRIPE_GREY
from gradviz.ui.check.heatmap_view import HeatmapView


def ClassifiedBlock(name, analytic, numeric, kinds) -> BlockResult:
    """A BlockResult with the per-component kinds an engine gave it (chosen by the test)."""
    return BlockResult(name, analytic, numeric, np.zeros(np.shape(analytic), dtype=bool), kinds=kinds)


NOISE, ZERO, WRONG = (2, 2), (3, 0), (1, 1)  # cells of W1 below


def noisy_report() -> CheckReport:
    """W1 (4×3): agreeing, with one mismatch (2×), one component within the noise floor
    (relative error 1e-4) and one where both gradients are ~1e-17 (at the noise floor too)."""
    a = np.linspace(0.5, 1.5, 12).reshape(4, 3)
    n = a * (1 + 1e-9)
    kinds = np.full(a.shape, AGREES)
    n[WRONG] = 2 * a[WRONG]
    kinds[WRONG] = MISMATCH
    n[NOISE] = a[NOISE] * (1 + 1e-4)
    kinds[NOISE] = NOISE_FLOOR
    a[ZERO], n[ZERO] = 1e-17, -2e-17
    kinds[ZERO] = NOISE_FLOOR
    b = np.ones((4, 1))
    return CheckReport({"W1": ClassifiedBlock("W1", a, n, kinds),
                        "b1": ClassifiedBlock("b1", b, b, np.full(b.shape, AGREES))})


def colour_at(view: HeatmapView, name: str, index, image: QImage | None = None) -> tuple:
    image = image or view.grab().toImage()
    return image.pixelColor(view.cell_rect(name, index).center().toPoint()).getRgb()[:3]


def test_noise_floor_cells_have_their_own_colour_not_the_error_scale(view):
    view.show_report(noisy_report())
    marks = view.block_plot("W1").marks.image  # RGBA, k pixels per cell
    k = marks.shape[0] // 4
    cell = lambda r, c: marks[r * k : (r + 1) * k, c * k : (c + 1) * k].reshape(-1, 4)  # noqa: E731
    assert {tuple(p) for p in cell(*NOISE)} == {MARK_GREY}
    assert {tuple(p) for p in cell(*ZERO)} == {MARK_GREY, STRIPE_GREY}  # hatched: both ≈ 0
    assert (cell(*WRONG)[:, 3] == 0).all()  # a mismatch shows its error colour
    image = view.grab().toImage()
    noise, wrong, agree = (colour_at(view, "W1", i, image) for i in (NOISE, WRONG, (0, 0)))
    assert noise == MARK_GREY[:3]
    assert len(set(wrong)) > 1  # a colour of the map, not grey
    assert len({noise, wrong, agree}) == 3
    view.set_mode("analytic")  # the gradients themselves: no marks
    assert view.block_plot("W1").marks.image is None


def test_a_click_pins_the_cell_with_an_outline(qtbot, view):
    view.show_report(noisy_report())
    rect = view.cell_rect("W1", (1, 2))
    edge = QPoint(round(rect.left()), round(rect.center().y()))
    before = view.grab().toImage().pixelColor(edge).getRgb()[:3]
    with qtbot.waitSignal(view.clicked) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert (blocker.args[0].block, blocker.args[0].index) == ("W1", (1, 2))
    assert view.pinned() == ("W1", (1, 2))
    after = view.grab().toImage().pixelColor(edge).getRgb()[:3]
    assert after in {(0, 0, 0), (255, 255, 255)}  # the black and white outline
    assert after != before
    view.show_report(noisy_report())  # a new report keeps a pin it still has
    assert view.pinned() == ("W1", (1, 2))
    view.set_shapes({"W1": (2, 2)})
    assert view.pinned() is None


def test_stale_results_fade_under_a_note_until_the_next_report(view):
    view.show_report(noisy_report())
    fresh = colour_at(view, "W1", WRONG)
    view.set_stale("settings changed: run again")
    assert view.stale_note() == "settings changed: run again"
    note = view.findChild(type(view._note), "heatmapStaleNote")
    assert note.isVisible()
    assert note.text() == "settings changed: run again"
    faded = colour_at(view, "W1", WRONG)
    background = view.palette().color(view.backgroundRole().Base).getRgb()[:3]
    distance = lambda c: sum(abs(x - y) for x, y in zip(c, background, strict=True))  # noqa: E731
    assert distance(faded) < distance(fresh) / 2  # much closer to the empty background
    view.set_stale(None)
    assert not note.isVisible()
    assert colour_at(view, "W1", WRONG) == fresh
    view.set_stale("network changed: run again")
    view.show_report(noisy_report())
    assert view.stale_note() is None
    assert not note.isVisible()


def test_the_empty_heatmap_offers_its_own_run_button(qtbot, view):
    view.set_shapes({"W1": (3, 2), "b1": (3,)})
    assert view.run_button.isVisible()
    view.set_stale("settings changed")  # nothing shown: nothing to fade
    assert view.stale_note() is None
    with qtbot.waitSignal(view.run_requested):
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    view.begin({"W1": np.ones((3, 2)), "b1": np.ones(3)})
    assert not view.run_button.isVisible()


def test_png_export_is_print_resolution_and_holds_the_colour_bar(view, tmp_path):
    view.show_report(noisy_report())
    path = tmp_path / "heatmap.png"
    assert view.export_png(path)
    image = QImage(str(path))
    assert image.width() >= 3 * view.width()  # 300 dpi against the screen's 96
    pixels = image.convertToFormat(QImage.Format.Format_RGB888)
    raw = np.frombuffer(pixels.constBits(), np.uint8).reshape(image.height(), pixels.bytesPerLine())
    rgb = raw[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    yellow = (rgb[..., 0] > 220) & (rgb[..., 1] > 200) & (rgb[..., 2] < 90)  # viridis' top colour
    bar = yellow[:, int(0.85 * image.width()) :]  # the colour bar, at the right
    assert bar.any(axis=1).sum() > 0.02 * image.height()
    shutil.copy(path, Path(os.environ.get("GRADVIZ_SCREENSHOTS", tmp_path)) / "heatmap-export.png")
    assert not view.export_png(tmp_path / "missing-folder" / "heatmap.png")


def test_text_grows_with_the_font_scale_and_tick_labels_keep_room(qtbot, view):
    view.show_report(noisy_report())
    bar_axis = view._bar.axis
    small_font = bar_axis.style["tickFont"]
    view.set_font_scale(1.6)
    font = bar_axis.style["tickFont"]
    assert font.pointSizeF() == pytest.approx(1.6 * small_font.pointSizeF())
    qtbot.waitUntil(lambda: bar_axis.width() >= QFontMetrics(font).horizontalAdvance("1e-7") + 4)
    assert [label for _, label in bar_axis._tickLevels[0]] == [label for _, label in REL_TICKS]
    w1 = view.block_plot("W1")
    assert w1.plot.getAxis("left").style["tickFont"].pointSizeF() == pytest.approx(font.pointSizeF())
    assert "W1 (4×3)" in w1.plot.titleLabel.text
    for width, height in ((900, 600), (420, 300)):
        view.resize(width, height)
        qtbot.waitUntil(lambda w=width, h=height: view.width() == w and view.block_rect("W1").bottom() < h)
        rects = [view.block_rect(name) for name in ("W1", "b1")]
        assert not rects[0].intersects(rects[1])
        assert all(view.rect().toRectF().contains(r) for r in rects)
    bar_length = view._bar.getViewBox().geometry().height()  # the short view: text still fits
    shown = [value for value, _ in bar_axis._tickLevels[0]]
    gaps = np.diff(sorted(shown)) / 10 * bar_length  # levels −10 … 0
    assert (gaps >= QFontMetrics(font).height()).all()
    label = view._bar.getAxis("left").label.toPlainText()
    assert QFontMetrics(font).horizontalAdvance(label) <= bar_length
    with pytest.raises(ValueError, match="font scale"):
        view.set_font_scale(0)


def test_blocks_never_overlap_after_reshaping(qtbot, view):
    view.show_report(noisy_report())
    shapes = {"w": (3, 2, 4, 4), "x": (2, 3, 5, 5), "b": (3,), "s": (), "v": (2, 2, 3, 2, 2), "t": (5, 2, 3)}
    view.set_shapes(shapes)
    rects = {name: view.block_rect(name) for name in shapes}
    for (a, ra), (b, rb) in itertools.combinations(rects.items(), 2):
        assert not ra.intersects(rb), (a, b)
    assert view.block_plot("v").tiling.grid == (4, 3)  # the leading axes folded into the rows
    assert view.component("v", (1, 0, 2, 1, 1)).tile == "v[1, 0, 2, :, :]"
    assert view.component("t", (4, 1, 2)).tile == "t[4, :, :]"
