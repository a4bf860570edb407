"""Results that no longer match the settings are greyed with a note until the next run: the
heatmap and verdict after any change to the network, data, check settings or parameters; the ε
sweep, checkpoint timeline and explanation too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from gradviz.ui.common.stale import mark_stale

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow

NOTES = {
    "check": "check settings changed: run again",
    "network": "the network changed: run again",
    "training": "the parameters changed (training): run again",
    "session": "another session is open: run again",
    "unbuilt": "the network and its data do not fit: this result is of the previous network",
    "model error": "your code raised an exception: this result is of its previous version",
    "model changed": "your model file changed: checking it again",
}


class StaleResults(QObject):
    """Keeps the greying of ``window``'s results (verdict_area, check_panel, checks,
    classroom) in step with its changes."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.note: str | None = None

    def set(self, note: str | None, *, verdict: bool = True) -> None:
        """Grey the check result (heatmap, verdict, the panel's progress) with ``note``; None:
        it is current. ``verdict`` False leaves the verdict clear: it says something current (the
        error of a model file that did not load)."""
        if note == self.note:
            return
        self.note = note
        w = self.window
        w.heatmap.set_stale(note)
        mark_stale(w.verdict_area, note if verdict else None, band=False)  # the heatmap's band says why
        w.check_panel.set_stale(note)

    def changed(self, what: str) -> None:
        """Something the results depend on changed (a key of NOTES): stale until the next run."""
        note = NOTES[what]
        w = self.window
        w.checks.settings_changed(note)
        if w.checks.report is not None or what != "training":
            self.set(note)
        self.classroom(note, timeline=what != "training")

    def classroom(self, note: str, timeline: bool = True) -> None:
        """Grey the ε sweep, checkpoint timeline and explanation that show a result (the
        timeline trains a copy: training the window's network leaves it current)."""
        c = getattr(self.window, "classroom", None)
        if c is None:
            return
        for widget, shown in ((c.sweep, c.sweep.result() is not None),
                              (c.timeline, bool(c.timeline.checkpoints()) and timeline),
                              (c.explanation, self.window.checks.report is not None)):
            if shown:
                mark_stale(widget, note)

    def connect_classroom(self) -> None:
        """A new sweep or timeline run is current; so is the explanation of a new check."""
        c = self.window.classroom
        for widget, done in ((c.sweep, c.sweep.finished), (c.timeline, c.timeline.finished)):
            done.connect(lambda *_, w=widget: mark_stale(w, None))
            widget.run_button.clicked.connect(lambda *_, w=widget: mark_stale(w, None))
        self.window.check_finished.connect(lambda _report: mark_stale(c.explanation, None))
