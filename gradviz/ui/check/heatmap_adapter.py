"""The one place where the window reaches the heatmap's newer API (set_stale, run_requested,
export_png, set_font_scale), so it works both with a heatmap that has it and one that does not
yet: each call falls back to what the window can do from outside (a veil, a grab)."""

from __future__ import annotations

from pathlib import Path

from gradviz.ui.common.stale import mark_stale


class HeatmapAdapter:
    """Wraps the HeatmapView ``view``."""

    def __init__(self, view) -> None:
        self.view = view

    def set_stale(self, note: str | None) -> None:
        """Grey the shown result with ``note`` (None clears)."""
        mark_stale(self.view, note)

    def connect_run(self, slot) -> None:
        """Call ``slot()`` when the empty heatmap's own Run button is pressed."""
        signal = getattr(self.view, "run_requested", None)
        if signal is not None:
            signal.connect(lambda *_: slot())

    def export_png(self, path: str | Path) -> bool:
        export = getattr(self.view, "export_png", None)
        return export(path) if export is not None else self.view.grab().save(str(path))

    def set_font_scale(self, factor: float) -> None:
        scale = getattr(self.view, "set_font_scale", None)
        if scale is not None:
            scale(factor)
