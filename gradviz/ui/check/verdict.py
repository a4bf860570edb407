"""The verdict: the check's conclusion (correct, bug, inconclusive) as a badge and a sentence,
Ng's difference and status as the number under it, the failing blocks (bugs only), the explained
blocks apart with their reasons, then the diagnoses, the worst components and the warnings."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget

from gradviz.core.check.quickcheck import QuickCheckReport
from gradviz.core.report.check_report import CheckReport
from gradviz.ui.check.component_detail import index_text

#: badge per conclusion: its words (a symbol, so colour is never the only cue) and background;
#: bluish green, grey-blue and vermillion stay apart for colour-blind readers, white text reads
#: on each in light and dark windows
CONCLUSION_BADGES = {
    "correct": ("✓ correct", "#00775a"),
    "inconclusive": ("? inconclusive", "#4a6685"),
    "bug": ("✗ bug", "#c0392b"),
}
STATUS_COLOURS = {"pass": "#00775a", "fail": "#c0392b", "error": "#c0392b"}
N_WORST = 3
SEALED_BUG = "backprop disagrees with the numeric gradient somewhere: find where on the heatmap"


def _badge(word: str, colour: str) -> str:
    return (f'<span style="background-color:{colour}; color:#ffffff; font-weight:bold">'
            f"&nbsp;{html.escape(word.upper())}&nbsp;</span>")


def _bullets(lines: list[str]) -> str:
    return "".join(f"<br>• {html.escape(line)}" for line in lines)


def _headline(report: CheckReport, failing: list[str], explained: dict[str, str]) -> str:
    """The sentence beside the badge: the report's own reason when it gives one."""
    reason = getattr(report, "conclusion_reason", None)
    if reason:
        return reason
    conclusion = report.conclusion
    if conclusion == "bug":
        where = f" in {', '.join(failing)}" if failing else " beyond what noise, truncation and kinks explain"
        return f"backprop disagrees with the numeric gradient{where}"
    if conclusion == "inconclusive":
        if explained:
            return ("the difference is high, but every disagreement has a cause that is not a bug "
                    "(below): change the set-up and check again")
        return "the difference is high, but no block shows a bug: see the warnings"
    if explained:
        return (f"backprop agrees with the numeric gradient; {', '.join(explained)} differ only "
                "for reasons that are not bugs")
    return "backprop agrees with the numeric gradient"


def _number(report: CheckReport) -> str:
    """Ng's difference and status, the CS231n number when the blocks have it, and the cost."""
    parts = [f"difference {report.difference:.2e} (Ng's scale: {report.status})"]
    cs231n = [b.cs231n_rel_error for b in report.blocks.values() if b.n_checked]
    if cs231n:
        parts.append(f"CS231n rel error {max(cs231n):.1e}")
    parts.append(f"{report.n_checked} components in {report.elapsed:.2f} s")
    return " · ".join(parts)


@dataclass
class Verdict:
    """What the verdict says about a report (no Qt: a worker can work it out). ``conclusion``:
    correct, bug or inconclusive; ``status``: Ng's word for the difference; ``failing``: blocks
    with a bug diagnosis; ``explained``: block -> why its disagreement is not a bug."""

    conclusion: str
    status: str
    headline: str
    number: str
    failing: list[str] = field(default_factory=list)
    explained: dict[str, str] = field(default_factory=dict)
    diagnoses: list[str] = field(default_factory=list)
    worst: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, report: CheckReport) -> Verdict:
        explained = report.explained_blocks()
        failing = [name for name in report.failing_blocks() if name not in explained]
        bugs = [getattr(b.diagnosis, "sentence", None) for name, b in report.blocks.items()
                if name in failing and b.diagnosis is not None]
        # the worst components of the blocks with a bug (explained blocks hold larger, harmless ones)
        suspects = CheckReport({name: report.blocks[name] for name in failing})
        worst = [c for c in suspects.worst(N_WORST) if c.rel_error > 0]
        return cls(
            report.conclusion, report.status, _headline(report, failing, explained), _number(report),
            failing, explained, list(dict.fromkeys(s for s in bugs if s)),
            [f"{index_text(c.block, c.index)} (rel {c.rel_error:.1e}{', kink' if c.kink else ''})"
             for c in worst],
            list(report.warnings))

    def lines(self) -> list[str]:
        """The bullet lines under the headline and the number."""
        out = [f"failing blocks: {', '.join(self.failing)}"] if self.failing else []
        by_reason: dict[str, list[str]] = {}
        for block, reason in self.explained.items():
            by_reason.setdefault(reason, []).append(block)
        out += [f"{', '.join(blocks)} — explained, not a bug: {reason}"
                for reason, blocks in by_reason.items()]
        out += self.diagnoses
        if self.worst:
            out.append("worst components: " + ", ".join(self.worst))
        return out + self.warnings

    @property
    def sentences(self) -> list[str]:
        """Everything the verdict says, as plain sentences."""
        return [f"{self.conclusion}: {self.headline}", self.number, *self.lines()]

    def without_diagnoses(self, report: CheckReport) -> Verdict:
        """The same verdict without what points at the bug (failing blocks, diagnoses, worst
        components, a reason naming blocks): while a bug is sealed the class must find it."""
        headline = SEALED_BUG if self.conclusion == "bug" else self.headline
        return replace(self, headline=headline, failing=[], diagnoses=[], worst=[])


class VerdictLabel(QLabel):
    """Rich-text verdict. ``status``: the last report's conclusion, "pass" / "fail" after a quick
    check, "error", or None."""

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
        """Badge and sentence for the conclusion, the number (Ng's difference and status), then
        failing and explained blocks, diagnoses, worst components and warnings; ``verdict``: the
        same, worked out beforehand (``Verdict.of`` takes a while on big reports)."""
        verdict = verdict or Verdict.of(report)
        self.status = verdict.conclusion
        word, colour = CONCLUSION_BADGES[verdict.conclusion]
        self.setText(f"{_badge(word, colour)} {html.escape(verdict.headline)}"
                     f"<br>{html.escape(verdict.number)}" + _bullets(verdict.lines()))

    def show_quick(self, report: QuickCheckReport) -> None:
        """The quick check's verdict and sentences."""
        self.status = "pass" if report.passed else "fail"
        word = "quick: pass" if report.passed else "quick: fail"
        lines = report.summary()
        cost = f" ({report.evaluations} loss evaluations in {report.elapsed:.2f} s)"
        self.setText(f"{_badge(word, STATUS_COLOURS[self.status])} {html.escape(lines[0] + cost)}"
                     + _bullets(lines[1:]))

    def show_error(self, message: str, prefix: str = "The check failed: ") -> None:
        """The badge and ``prefix + message``'s first line; further lines (a traceback of the
        user's code) as preformatted text under it."""
        self.status = "error"
        first, _, rest = message.partition("\n")
        details = f"<pre style='margin:0'>{html.escape(rest.strip())}</pre>" if rest.strip() else ""
        self.setText(f"{_badge('error', STATUS_COLOURS['error'])} {html.escape(prefix + first)}{details}")


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
