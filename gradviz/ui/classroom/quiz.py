"""The sealed-bug quiz: the teacher seals a bug (or lets the app pick one the check can see on
this network and these settings); the class runs the check, clicks the block where they think
the bug lives and picks its kind from the catalogue's descriptions; the app judges both, keeps
the score over rounds, and exports them as CSV.

The bug is shown nowhere before the answer: the seal dialog forgets it, and it reaches the
network only through the window's ``apply_bug`` callback.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.report.check_report import CheckReport
from gradviz.core.teach.quiz import Quiz, Round, iter_visible_bug
from gradviz.ui.classroom.classroom import NO_NETWORK, SealBugDialog, bug_choices, describe_bug, plain_kind
from gradviz.ui.classroom.explanation_panel import STATUS_COLOURS
from gradviz.ui.classroom.jobs import Job
from gradviz.ui.common.scaled_label import ScaledLabel
from gradviz.ui.common.scrolled import scrolled

KIND_PLACEHOLDER = "— which kind of bug? —"
#: (network, X, y, gradient_check keyword arguments) for trying bugs on a copy
CheckSource = Callable[[], tuple[Any, Any, Any, dict[str, Any]] | None]


class ClassroomPanel(QWidget):
    """Seal, answer, reveal; rounds and score.

    apply_bug(kind, layer) plants the bug in the window's network (ValueError if it cannot);
    clear_bug() removes it; spec() is the current NetworkSpec (None: no network); check_source()
    gives the network and check settings that "Surprise me" tries bugs on (without it, the
    catalogue's rules decide what a default check shows). The window passes each check report to
    ``set_report`` and heatmap clicks to ``select_block`` while ``guessing``.
    Signals: sealed(); revealed(bool full_marks, str message) after an answer or a reveal.
    """

    sealed = Signal()
    revealed = Signal(bool, str)

    def __init__(
        self,
        apply_bug: Callable[[str, int], None],
        spec: Callable[[], NetworkSpec | None],
        clear_bug: Callable[[], None] | None = None,
        *,
        check_source: CheckSource | None = None,
        popups: bool = True,
        seed: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("classroomPanel")
        self._apply_bug, self._spec, self._clear_bug = apply_bug, spec, clear_bug
        self._check_source = check_source
        self._popups = popups
        self._rng = random.Random(seed)
        self._bug: Bug | None = None
        self._layers = 0
        self._report: CheckReport | None = None
        self._revealed = False
        self._block: str | None = None
        self.quiz = Quiz()
        self.dialog: SealBugDialog | None = None
        self.message_box: QMessageBox | None = None
        self.search = Job(self)
        self.search.yielded.connect(self._on_trying)
        self.search.returned.connect(self._on_found)
        self.search.failed.connect(
            lambda message: self._say(f"Could not try the bugs: {html.escape(message)}"))
        self.search.ended.connect(self._update_buttons)
        self._build()
        self._say("Seal a bug (or let the app pick one), then let the class find it.")
        self._update_buttons()

    def _build(self) -> None:
        def button(text: str, name: str, slot, tip: str = "") -> QPushButton:
            b = QPushButton(text, objectName=name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.seal_button = button("Seal a bug…", "sealBugButton", self.open_seal_dialog)
        self.surprise_button = button("Surprise me", "surpriseButton", self.surprise,
                                      "Plant a random bug that the check shows on this network and settings")
        self.reveal_button = button("Reveal", "revealButton", self.reveal, "Give up and show the bug")
        self.clear_button = button("Remove the bug", "clearBugButton", self.clear)
        self.answer_button = button("Answer", "answerButton", lambda: self.answer(),
                                    "Judge the clicked block and the chosen kind")
        self.end_button = button("End quiz", "endQuizButton", self.end_quiz, "Show the summary, start over")
        self.export_button = button("Export CSV…", "exportQuizButton", self._ask_export,
                                    "Save the rounds (bug, answer, points) as CSV for hand-in")
        self.block_label = QLabel("Block: click it on the heatmap", objectName="answerBlockLabel")
        self.kind_combo = QComboBox(objectName="answerKindCombo")
        self.kind_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind_combo.setMinimumContentsLength(16)
        self.kind_combo.addItem(KIND_PLACEHOLDER, None)
        for kind in BUG_KINDS:
            self.kind_combo.addItem(plain_kind(kind), kind)
            self.kind_combo.setItemData(self.kind_combo.count() - 1, plain_kind(kind),
                                        Qt.ItemDataRole.ToolTipRole)
        self.score_label = QLabel(objectName="quizScoreLabel")
        self.message = ScaledLabel(relative=1.25, objectName="classroomMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        seal = QGridLayout()
        buttons = (self.seal_button, self.surprise_button, self.reveal_button, self.clear_button)
        for i, b in enumerate(buttons):
            seal.addWidget(b, i // 2, i % 2)
        answer = QGridLayout()
        answer.addWidget(self.block_label, 0, 0, 1, 2)
        answer.addWidget(self.kind_combo, 1, 0)
        answer.addWidget(self.answer_button, 1, 1)
        answer.setColumnStretch(0, 1)
        rounds = QHBoxLayout()
        rounds.addWidget(self.score_label, 1)
        rounds.addWidget(self.end_button)
        rounds.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(seal)
        layout.addLayout(answer)
        layout.addWidget(scrolled(self.message, sideways=False), 1)
        layout.addLayout(rounds)

    # -- state ---------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """A bug is sealed and not yet revealed."""
        return self._bug is not None and not self._revealed

    @property
    def guessing(self) -> bool:
        """A check has run since the seal: clicks on the heatmap choose the answer's block."""
        return self.active and self._report is not None

    # -- sealing -------------------------------------------------------------------------------
    def open_seal_dialog(self) -> SealBugDialog | None:
        """Open the seal dialog (window-modal, returns at once); None without a network."""
        spec = self._spec()
        if spec is None:
            self._say(NO_NETWORK)
            return None
        if self.dialog is not None:
            self.dialog.close()
        dialog = SealBugDialog(spec, self._seal, self.window())
        dialog.destroyed.connect(lambda _=None, d=dialog: self._forget_dialog(d))
        dialog.finished.connect(lambda _result, d=dialog: self._forget_dialog(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: SealBugDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def surprise(self) -> bool:
        """Seal a random bug the check will show. With a check source the bugs are tried on a copy
        of the network with the current check settings, in a worker (``sealed`` follows); else the
        catalogue's rules pick one at once. False when nothing can be sealed."""
        spec = self._spec()
        source = self._check_source() if self._check_source is not None else None
        if spec is None or (self._check_source is not None and source is None):
            self._say(NO_NETWORK)
            return False
        if source is not None:
            net, X, y, options = source
            self.search.start(iter_visible_bug, net, X, y, options, seed=self._rng.randrange(2**31))
            self._tried = 0
            self._say("Choosing a bug the check can see on this network…")
            self._update_buttons()
            return True
        choices = bug_choices(spec)
        self._rng.shuffle(choices)
        for bug in choices:
            try:
                self._seal(bug.kind, bug.layer)
            except ValueError:
                continue
            return True
        self._say("No catalogue bug would show on this network.")
        return False

    def _on_trying(self, _bug: Bug) -> None:
        self._tried += 1
        self._say(f"Choosing a bug the check can see on this network… (trying bug {self._tried})")

    def _on_found(self, bug: Bug | None) -> None:
        if bug is None:
            self._say("No catalogue bug shows on this network with these check settings "
                      "(try dropout frozen, or regularization on).")
            return
        try:
            self._seal(bug.kind, bug.layer)
        except ValueError as exc:
            self._say(html.escape(str(exc)))

    def _seal(self, kind: str, layer: int) -> None:
        self._apply_bug(kind, layer)  # raises ValueError if the network cannot take it
        spec = self._spec()
        self._layers = len(spec.layers) if spec is not None else layer
        self._bug, self._report, self._revealed = Bug(kind, layer), None, False
        self._block = None
        self.kind_combo.setCurrentIndex(0)
        self._say("<b>A bug is sealed.</b> Run the gradient check, click the block where the bug "
                  "lives (W or b of a layer), choose its kind, and press Answer.")
        self._update_buttons()
        self.sealed.emit()

    # -- answering -----------------------------------------------------------------------------
    def set_report(self, report: CheckReport) -> None:
        """A check finished; after a seal, it is the one the class answers from."""
        if not self.active:
            return
        self._report = report
        self._say("<b>Checked.</b> A block the error only flowed into is not the answer: find where "
                  "it starts. Click that block on the heatmap and choose the kind.")
        self._update_buttons()

    def select_block(self, block: str) -> None:
        """The block the class clicked (the answer's block)."""
        if not self.guessing:
            return
        self._block = block
        self.block_label.setText(f"Block: <b>{html.escape(block)}</b>")
        self._update_buttons()

    def answer(self, kind: str | None = None) -> Round | None:
        """Judge the selected block and ``kind`` (default: the combo's); None (and why) when there
        is nothing to answer yet."""
        if not self.active:
            return None
        if self._report is None:
            self._say("Run the check first, then click the block you suspect.")
            return None
        kind = kind if kind is not None else self.kind_combo.currentData()
        if self._block is None or kind is None:
            self._say("Click a block on the heatmap and choose the kind of bug, then answer.")
            return None
        return self._finish(self._block, kind)

    def guess(self, block: str, kind: str | None = None) -> Round | None:
        """Select ``block`` and answer with ``kind`` (what a click, a choice and Answer do)."""
        self.select_block(block)
        return self.answer(kind)

    def reveal(self) -> None:
        """Show the sealed bug without an answer (a round with no points)."""
        if self.active:
            self._finish(None, None)

    def _finish(self, block: str | None, kind: str | None) -> Round:
        bug = self._bug
        round_ = self.quiz.answer(bug, self._layers, block, kind)
        failing = self._report.failing_blocks() if self._report is not None else []
        lives = " or ".join(sorted(round_.home))
        flagged = (f"The check flagged {', '.join(failing)}; the bug lives in {lives}." if failing
                   else f"The bug lives in {lives}.")
        if block is None:
            head = "Revealed."
        else:
            head = (f"Block {block}: {'right' if round_.block_right else 'wrong'}; kind: "
                    f"{'right' if round_.kind_right else 'wrong'} ({round_.points} of 2 points).")
        plain = f"{head} The bug was {bug.kind} at layer {bug.layer}: {describe_bug(bug)}. {flagged}"
        self._revealed = True
        full = round_.points == 2
        colour = STATUS_COLOURS["great" if full else "ok" if round_.points else "wrong"]
        self._say(f"<span style='background-color:{colour}; color:#ffffff'>&nbsp;{html.escape(head)}&nbsp;"
                  f"</span><br>The bug was <b>{bug.kind}</b> at layer {bug.layer}: "
                  f"{html.escape(describe_bug(bug))}.<br>{html.escape(flagged)}")
        self._update_buttons()
        self.revealed.emit(full, plain)
        self._popup("Right!" if full else "The answer", plain, full)
        return round_

    def clear(self) -> None:
        """Remove the sealed bug from the network (the rounds stay)."""
        self.search.cancel(wait=True)
        if self._bug is not None and self._clear_bug is not None:
            self._clear_bug()
        self._bug, self._report, self._revealed, self._block = None, None, False, None
        self._say("No bug sealed.")
        self._update_buttons()

    # -- rounds --------------------------------------------------------------------------------
    def end_quiz(self) -> str:
        """Show the summary of the rounds and start a new quiz; returns the summary."""
        summary = self.quiz.summary()
        lines = [f"Round {r.number}: {r.bug.kind} at layer {r.bug.layer}, {r.points} of 2"
                 for r in self.quiz.rounds]
        self._say(f"<b>{html.escape(summary)}</b><br>" + "<br>".join(html.escape(x) for x in lines))
        self._popup("Quiz summary", "\n".join([summary, *lines]), True)
        self.quiz = Quiz()
        self._update_buttons()
        return summary

    def export_csv(self, path: str | Path) -> bool:
        """Write the rounds as CSV; False (and why) when the file cannot be written."""
        try:
            self.quiz.to_csv(path)
        except OSError as exc:
            self._say(html.escape(f"Cannot write {path}: {exc.strerror or exc}"))
            return False
        self._say(html.escape(f"Saved {len(self.quiz.rounds)} rounds to {Path(path).name}."))
        return True

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the quiz", "quiz.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    # -- display -------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.message.setText(text)

    def _popup(self, title: str, text: str, good: bool) -> None:
        if not self._popups:
            return
        box = QMessageBox(QMessageBox.Icon.Information if good else QMessageBox.Icon.Warning, title, text,
                          QMessageBox.StandardButton.Ok, self.window())
        box.setObjectName("classroomReveal")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.finished.connect(lambda _r: setattr(self, "message_box", None))
        box.open()

    def _update_buttons(self) -> None:
        searching = self.search.is_running()
        self.seal_button.setEnabled(not searching)
        self.surprise_button.setEnabled(not searching)
        self.reveal_button.setEnabled(self.active)
        self.clear_button.setEnabled(self._bug is not None or searching)
        self.answer_button.setEnabled(self.guessing and self._block is not None)
        self.kind_combo.setEnabled(self.guessing)
        if not self.guessing:
            self.block_label.setText("Block: click it on the heatmap after the check")
        rounds = self.quiz.rounds
        self.score_label.setText(f"{len(rounds)} round{'s' if len(rounds) != 1 else ''} · "
                                 f"{self.quiz.score} of {self.quiz.max_score} points")
        self.end_button.setEnabled(bool(rounds))
        self.export_button.setEnabled(bool(rounds))
