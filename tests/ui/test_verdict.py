"""VerdictArea: as tall as its text (no scroll bar when the text fits), scrolling past max_lines,
and held at its height while a check runs so that the heatmap below does not move."""

from __future__ import annotations

import pytest

from gradviz.ui.check.verdict import VerdictArea, VerdictLabel

TWO_LINES = "Checked: " + "backprop agrees with the numeric gradient " * 3
LONG = "<br>".join(f"sentence {i}" for i in range(20))


@pytest.fixture
def area(qtbot):
    area = VerdictArea(VerdictLabel(), max_lines=5)
    qtbot.addWidget(area)
    area.resize(500, area.height())
    area.show()
    qtbot.waitExposed(area)
    return area


def settle(qtbot, area, height=None):
    """Wait until the area fits its label's text (or reaches ``height``)."""
    def fitted():
        want = height if height is not None else area.label.heightForWidth(area.viewport().width())
        return area.height() == want and area.label.height() <= area.viewport().height()
    qtbot.waitUntil(fitted, timeout=2000)


def test_a_text_that_fits_shows_no_scroll_bar(qtbot, area):
    area.label.setText(TWO_LINES)
    settle(qtbot, area)
    assert area.label.heightForWidth(area.viewport().width()) > 2 * area.label.fontMetrics().lineSpacing()
    assert not area.verticalScrollBar().isVisible()


def test_a_long_text_scrolls_after_max_lines(qtbot, area):
    area.label.setText(LONG)
    most = 5 * area.label.fontMetrics().lineSpacing() + 2 * area.label.margin()
    qtbot.waitUntil(lambda: area.height() == most, timeout=2000)
    assert area.verticalScrollBar().isVisible()


def test_held_it_grows_but_never_shrinks_until_released(qtbot, area):
    area.label.setText(TWO_LINES)
    settle(qtbot, area)
    tall = area.height()
    area.hold(True)
    area.label.show_message("Checking…")
    qtbot.waitUntil(lambda: area.label.heightForWidth(area.viewport().width()) < tall)
    qtbot.wait(50)  # give a relayout the chance to happen: it must not
    assert area.height() == tall
    area.hold(False)
    settle(qtbot, area)
    assert area.height() < tall
