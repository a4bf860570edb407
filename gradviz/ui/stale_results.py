"""Results that no longer match the settings are greyed with a note until the next run: the
heatmap and verdict after any change to the network, data, check settings or parameters; the
classroom's results after the changes they depend on (CLASSROOM_CHANGES). The data view and the
bias/variance readout are never stale: they redraw from the network and its trainer."""

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
#: the changes (keys of NOTES) that leave each classroom result stale, by the classroom's view:
#: the timeline trains a copy from the initial θ, so training the window's network leaves it
#: current; the sanity checks read the network, its init and its data, not the check settings;
#: the cost of a check does not depend on θ
_ALL = frozenset(NOTES)
CLASSROOM_CHANGES = {
    "sweep": _ALL,
    "timeline": _ALL - {"training"},
    "explanation": _ALL,
    "layer_gradients": _ALL,
    "sanity": _ALL - {"check", "training"},
    "cost": _ALL - {"training"},
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
        self.classroom(what)

    def classroom(self, what: str) -> None:
        """Grey the classroom's results that ``what`` (a key of NOTES) leaves behind."""
        c = getattr(self.window, "classroom", None)
        if c is None:
            return
        for view, shown in self._classroom_results(c).items():
            if shown and what in CLASSROOM_CHANGES[view]:
                mark_stale(getattr(c, view), NOTES[what])

    def _classroom_results(self, c) -> dict[str, bool]:
        """Whether each classroom view (a key of CLASSROOM_CHANGES) shows a result now."""
        return {"sweep": c.sweep.result() is not None,
                "timeline": bool(c.timeline.checkpoints()),
                "explanation": self.window.checks.report is not None,
                "layer_gradients": c.layer_gradients.differences.size > 0,
                "sanity": bool(c.sanity.results()),
                "cost": c.cost.cost is not None}

    def connect_classroom(self) -> None:
        """A new run of a classroom view makes it current; so does a new check the explanation
        and the signals by layer (which take the check's report)."""
        c = self.window.classroom
        for widget, done, button in ((c.sweep, c.sweep.finished, c.sweep.run_button),
                                     (c.timeline, c.timeline.finished, c.timeline.run_button),
                                     (c.sanity, c.sanity.finished, c.sanity.run_button),
                                     (c.cost, c.cost.measured, c.cost.button)):
            done.connect(lambda *_, w=widget: mark_stale(w, None))
            button.clicked.connect(lambda *_, w=widget: mark_stale(w, None))
        self.window.check_finished.connect(lambda _report: mark_stale(c.explanation, None))
