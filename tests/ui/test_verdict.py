"""The verdict and the inspector. VerdictArea: as tall as its text (no scroll bar when the text
fits), scrolling past max_lines, held at its height while a check runs so that the heatmap below
does not move. The verdict: the conclusion as the badge, failing (bug) blocks apart from explained
ones, nothing that points at a sealed bug. The inspector: full index, kind, the second step."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QTextDocumentFragment

from gradviz.core.diagnosis.diagnosis import Diagnosis
from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.ui.check.component_detail import KIND_WORDS
from gradviz.ui.check.heatmap_view import HeatmapView
from gradviz.ui.check.inspector import InspectorPanel
from gradviz.ui.check.verdict import CONCLUSION_BADGES, Verdict, VerdictArea, VerdictLabel

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


# -- what the verdict says ---------------------------------------------------------------------
def bug_and_noise_report() -> CheckReport:
    """W2 is 2× wrong (a bug diagnosis); b1's gradients are ~1e-17 (explained: noise floor)."""
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((3, 2))
    w2 = rng.standard_normal((2, 3))
    b1 = np.full((3, 1), 1e-17)
    blocks = {"W1": BlockResult("W1", w1, w1 * (1 + 1e-10), np.zeros(w1.shape, bool)),
              "b1": BlockResult("b1", b1, -b1, np.zeros(b1.shape, bool)),
              "W2": BlockResult("W2", 2 * w2, w2, np.zeros(w2.shape, bool))}
    blocks["W2"].diagnosis = Diagnosis("W2", "scale", "dW2 is 2× the numeric gradient", factor=2.0)
    blocks["b1"].diagnosis = Diagnosis("b1", "noise", "b1 is at the noise floor (both gradients ~1e-17)")
    return CheckReport(blocks, elapsed=0.01)


def shown(report, verdict=None) -> str:
    label = VerdictLabel()
    label.show_report(report, verdict)
    return plain(label.text())


def plain(html: str) -> str:
    return QTextDocumentFragment.fromHtml(html).toPlainText().replace("\xa0", " ").strip()


def test_the_badge_shows_the_conclusion_and_explained_blocks_stay_apart(qtbot):
    report = bug_and_noise_report()
    assert report.conclusion == "bug"
    text = shown(report)
    assert text.startswith("✗ BUG  backprop disagrees with the numeric gradient in W2")
    assert "failing blocks: W2\n" in text  # b1 is not failing: its disagreement is explained
    assert "b1 — explained, not a bug: b1 is at the noise floor" in text
    assert "dW2 is 2× the numeric gradient" in text
    assert f"difference {report.difference:.2e} (Ng's scale: {report.status})" in text
    assert "worst components: W2[" in text


def test_a_sealed_bug_hides_everything_that_points_at_it(qtbot):
    report = bug_and_noise_report()
    text = shown(report, Verdict.of(report).without_diagnoses(report))
    assert "W2" not in text
    assert "find where on the heatmap" in text
    assert "b1 — explained, not a bug" in text


class ReasonedReport(CheckReport):
    """A report whose engine gives the conclusion (and, as a field, the reason for it)."""

    @property
    def conclusion(self) -> str:
        return "inconclusive"


def test_the_reports_own_reason_and_the_cs231n_number_are_shown(qtbot):
    base = bug_and_noise_report()
    report = ReasonedReport(base.blocks, elapsed=0.01, conclusion_reason=(
        "the loss gives two values at the same θ: fix the random seed"))
    expected = max(float(np.max(np.abs(b.analytic - b.numeric)
                                / np.maximum(1e-8, np.abs(b.analytic) + np.abs(b.numeric))))
                   for b in report.blocks.values())
    label = VerdictLabel()
    label.show_report(report)
    assert CONCLUSION_BADGES["inconclusive"][1] in label.text()
    text = plain(label.text())
    assert text.startswith("? INCONCLUSIVE  the loss gives two values at the same θ: fix the random seed")
    assert f"CS231n rel error {expected:.1e}" in text
    assert label.status == "inconclusive"


# -- the inspector -----------------------------------------------------------------------------
def test_the_inspector_shows_the_full_index_the_kind_and_the_second_step(qtbot):
    eps, eps2 = 1e-4, 2.5e-5
    a = np.linspace(1, 2, 24).reshape(2, 3, 2, 2)
    truncation = 0.3  # error c·ε² of a centered difference
    n, n2 = a + truncation * eps**2, a + truncation * eps2**2
    n[1, 2, 0, 1], n2[1, 2, 0, 1] = 2 * a[1, 2, 0, 1], 2 * a[1, 2, 0, 1]  # a bug does not move
    block = BlockResult("w", a, n, np.zeros(a.shape, bool))
    block.numeric_second = n2
    heatmap = HeatmapView()
    qtbot.addWidget(heatmap)
    heatmap.show_report(CheckReport({"w": block}, settings={"epsilon": eps, "second_epsilon": eps2}))
    inspector = InspectorPanel()
    qtbot.addWidget(inspector)
    inspector.pin(heatmap.component("w", (1, 2, 0, 1)))
    assert inspector._values["component"].text() == "w[1, 2, 0, 1]\nin tile w[1, 2, :, :]"
    assert inspector._values["kind"].text() == KIND_WORDS["mismatch"]
    cs231n = abs(a[1, 2, 0, 1] - n[1, 2, 0, 1]) / (abs(a[1, 2, 0, 1]) + abs(n[1, 2, 0, 1]))
    assert inspector._values["CS231n rel error"].text().startswith(f"{cs231n:.3e}")
    steps = inspector.second_step_text()
    assert "ε = 1.0e-04" in steps
    assert "ε₂ = 2.5e-05" in steps
    assert "does not move with ε" in steps
    inspector.pin(heatmap.component("w", (0, 0, 1, 1)))
    assert "error ∝ ε^2.0: falls as ε²" in inspector.second_step_text()
    heatmap.show_report(CheckReport({"w": BlockResult("w", a, n, np.zeros(a.shape, bool))}))
    inspector.pin(heatmap.component("w", (0, 0, 1, 1)))
    assert inspector.second_step_text() == ""  # no second step taken
