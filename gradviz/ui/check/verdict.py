"""The verdict line: the check's difference and status in words and colour, then the failing
blocks, the worst components, diagnoses and warnings in plain sentences."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget

from gradviz.core.check.quickcheck import QuickCheckReport
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.check.inspector import component_name

#: badge background per status (white text on each reads on light and dark windows)
STATUS_COLOURS = {
    "great": "#1b7f3b",
    "ok": "#3d8b3d",
    "worry": "#b35c00",
    "wrong": "#c0262d",
    "error": "#c0262d",
}
N_WORST = 3


def _badge(word: str, colour: str) -> str:
    return (f'<span style="background-color:{colour}; color:#ffffff; font-weight:bold">'
            f"&nbsp;{html.escape(word.upper())}&nbsp;</span>")


def _bullets(lines: list[str]) -> str:
    return "".join(f"<br>• {html.escape(line)}" for line in lines)


@dataclass
class Verdict:
    """What the verdict line says about a report: its status and sentences (no Qt: a worker can
    work it out)."""

    status: str
    sentences: list[str]

    @classmethod
    def of(cls, report: CheckReport) -> Verdict:
        status = report.status
        sentences = report.summary()
        sentences[0] += f" ({report.n_checked} components in {report.elapsed:.2f} s)"
        worst = [c for c in report.worst(N_WORST) if c.rel_error > 0]
        if worst and status != "great":
            parts = [f"{component_name(c)} (rel {c.rel_error:.1e}{', kink' if c.kink else ''})"
                     for c in worst]
            # after the failing blocks and their diagnoses, before the warnings
            sentences.insert(len(sentences) - len(report.warnings), "worst components: " + ", ".join(parts))
        return cls(status, sentences)

    def without_diagnoses(self, report: CheckReport) -> Verdict:
        """The headline and the warnings only: while a bug is sealed the class must find its
        block and kind, so no failing blocks, worst components or diagnoses."""
        warnings = [s for s in self.sentences[1:] if s in report.warnings]
        return Verdict(self.status, [self.sentences[0], *warnings])


class VerdictLabel(QLabel):
    """Rich-text verdict. ``status`` is the last report's status, "error", or None."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictLabel")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setMargin(4)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status: str | None = None
        self.show_message("Press Run check to compare backprop's dθ with the numeric dθ_approx.")

    def sizeHint(self) -> QSize:
        """As tall as the text needs at the current width (QLabel guesses a width of its own)."""
        hint = super().sizeHint()
        if self.width() > 1:
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def show_message(self, text: str) -> None:
        self.status = None
        self.setText(html.escape(text))

    def show_report(self, report: CheckReport, verdict: Verdict | None = None) -> None:
        """Headline (status and difference), then summary sentences and the worst components;
        ``verdict``: the same, worked out beforehand (``Verdict.of`` takes a while on big reports)."""
        verdict = verdict or Verdict.of(report)
        self.status = verdict.status
        first, *rest = verdict.sentences
        self.setText(f"{_badge(verdict.status, STATUS_COLOURS[verdict.status])} {html.escape(first)}"
                     + _bullets(rest))

    def show_quick(self, report: QuickCheckReport) -> None:
        """The quick check's verdict and sentences."""
        self.status = "great" if report.passed else "wrong"
        word = "quick: pass" if report.passed else "quick: fail"
        lines = report.summary()
        cost = f" ({report.evaluations} loss evaluations in {report.elapsed:.2f} s)"
        self.setText(f"{_badge(word, STATUS_COLOURS[self.status])} {html.escape(lines[0] + cost)}"
                     + _bullets(lines[1:]))

    def show_error(self, message: str, prefix: str = "The check failed: ") -> None:
        self.status = "error"
        self.setText(f"{_badge('error', STATUS_COLOURS['error'])} {html.escape(prefix + message)}")


class VerdictArea(QScrollArea):
    """Holds the verdict label: as tall as its text up to ``max_lines`` lines, then it scrolls,
    so a long list of diagnoses never squeezes the heatmap away. While ``hold(True)`` (a check
    runs) it grows but never shrinks: a one-line "Checking…" does not relayout the heatmap."""

    def __init__(self, label: VerdictLabel, max_lines: int = 7, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.max_lines = max_lines
        self.setWidget(label)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._held = False
        label.installEventFilter(self)
        self._fit()

    def hold(self, on: bool) -> None:
        """Keep at least the current height while ``on``; fit the text again when released."""
        self._held = on
        if not on:
            self._fit()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.label and event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.FontChange):
            self._fit()
        return False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        # wrap as if the scroll bar were showing: the text then fits whether or not it shows
        width = max(self.width() - self.verticalScrollBar().sizeHint().width(), 1)
        most = self.max_lines * self.label.fontMetrics().lineSpacing() + 2 * self.label.margin()
        height = min(self.label.heightForWidth(width), most)
        if self._held:
            height = max(height, self.height())
        if height > 0 and height != self.height():
            self.setFixedHeight(height)
