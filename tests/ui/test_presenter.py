"""Presenter view: one toggle scales the font, switches the heatmap to the high-contrast map and
goes full screen; toggling back restores all three."""

import numpy as np
import pytest
from PySide6.QtGui import QFontInfo, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow

from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.ui.check.heatmap_view import HeatmapView
from gradviz.ui.classroom.presenter import (
    NORMAL_MAP,
    PRESENTER_MAP,
    PRESENTER_SCALE,
    apply_presenter,
    heatmap_colormap,
    presenter_action,
    presenter_active,
)


@pytest.fixture
def shown(qtbot):
    window = QMainWindow()
    heatmap = HeatmapView()
    window.setCentralWidget(heatmap)
    a = np.arange(6.0).reshape(2, 3) + 1
    heatmap.show_report(CheckReport({"W1": BlockResult("W1", a, a * (1 + 1e-6), np.zeros((2, 3), bool))}))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window, heatmap
    apply_presenter(window, False)


def bar_map(heatmap: HeatmapView) -> str:
    bars = [i for i in heatmap.scene().items() if type(i).__name__ == "ColorBarItem"]
    return bars[0].colorMap().name


def test_presenter_scales_the_font_recolours_and_goes_full_screen(qtbot, shown):
    window, heatmap = shown
    app = QApplication.instance()
    size = app.font().pointSizeF()
    assert bar_map(heatmap) == NORMAL_MAP
    apply_presenter(window, True)
    assert presenter_active()
    assert app.font().pointSizeF() == pytest.approx(size * PRESENTER_SCALE)
    qtbot.waitUntil(lambda: heatmap.font().pointSizeF() == pytest.approx(size * PRESENTER_SCALE))
    assert bar_map(heatmap) == PRESENTER_MAP
    assert heatmap_colormap(NORMAL_MAP).name == PRESENTER_MAP
    qtbot.waitUntil(window.isFullScreen)
    apply_presenter(window, False)
    assert not presenter_active()
    assert app.font().pointSizeF() == pytest.approx(size)
    assert bar_map(heatmap) == NORMAL_MAP
    assert heatmap_colormap(NORMAL_MAP) == NORMAL_MAP
    qtbot.waitUntil(lambda: not window.isFullScreen())


def test_one_checkable_action_with_F11_toggles_it(qtbot, shown):
    window, heatmap = shown
    action = presenter_action(window)
    assert action.isCheckable()
    assert action in window.actions()
    assert QKeySequence("F11") in action.shortcuts()
    size = QApplication.instance().font().pointSizeF()
    action.trigger()
    assert presenter_active()
    assert bar_map(heatmap) == PRESENTER_MAP
    apply_presenter(window, True)  # a second "on" changes nothing
    assert QApplication.instance().font().pointSizeF() == pytest.approx(size * PRESENTER_SCALE)
    action.trigger()
    assert not presenter_active()
    assert QApplication.instance().font().pointSizeF() == pytest.approx(size)


def test_the_presenter_map_survives_a_new_check(qtbot, user, window):
    bar = window.heatmap._bar
    apply_presenter(window, True)
    try:
        assert bar.colorMap().name == "inferno"
        user.run_check()
        assert bar.colorMap().name == "inferno"  # redrawing the report keeps presenter colours
    finally:
        apply_presenter(window, False)
    user.run_check()
    assert bar.colorMap().name == "viridis"


def text_sizes(window) -> dict[str, float]:
    """Point sizes of the live plots' title, legend, axis label and tick labels, and of the
    quiz's message and the explanation's text."""
    item = window.training_panel.lossPlot.getPlotItem()
    axis = item.getAxis("left")
    legend_label = item.legend.items[0][1]
    tick_font = axis.style["tickFont"] or window.training_panel.lossPlot.font()
    return {"title": float(item.titleLabel.opts["size"].removesuffix("pt")),
            "legend": float(legend_label.opts["size"].removesuffix("pt")),
            "axis label": axis.label.font().pointSizeF(),
            "ticks": QFontInfo(tick_font).pointSizeF(),
            "axis width": axis.width(),
            "quiz": QFontInfo(window.classroom.classroom.message.font()).pointSizeF(),
            "explanation": QFontInfo(window.classroom.explanation.check_text.font()).pointSizeF()}


def test_plot_quiz_and_explanation_text_grow_in_presenter_view(qtbot, window):
    before = text_sizes(window)
    apply_presenter(window, True)
    try:
        qtbot.waitUntil(lambda: text_sizes(window)["explanation"] > before["explanation"])
        during = text_sizes(window)
        for what, size in before.items():
            assert during[what] >= 1.4 * size, what
        rate = window.check_panel.rate_label  # one line of the larger font: "13,941" not "13.941"
        qtbot.waitUntil(lambda: rate.height() >= rate.fontMetrics().lineSpacing())
    finally:
        apply_presenter(window, False)
    qtbot.waitUntil(lambda: text_sizes(window) == before)
