"""What the check panel edits, as one immutable value, and the undo command for an edit.

A PanelState holds the check settings plus the spec fields the panel owns (precision and
regularization); every edit replaces the whole state, so undo and redo simply restore one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtGui import QUndoCommand

from gradviz.core.data.session import CheckSettings
from gradviz.core.model.spec import NetworkSpec

#: command ids: consecutive edits with the same id merge into one undo step (a slider drag)
SLIDE_EPSILON = 1


@dataclass(frozen=True)
class PanelState:
    """One version of what the check panel shows. ``regularization``: none, l2 or l1."""

    check: CheckSettings
    dtype: str = "float64"
    regularization: str = "none"
    lam: float = 0.0

    @classmethod
    def of(cls, check: CheckSettings, spec: NetworkSpec) -> PanelState:
        kind = "l2" if spec.l2 else "l1" if spec.l1 else "none"
        return cls(replace(check), spec.dtype, kind, float(spec.l2 or spec.l1))

    def network_options(self) -> dict[str, object]:
        """The spec fields this state owns: dtype, l2, l1."""
        return {"dtype": self.dtype, "l2": self.lam if self.regularization == "l2" else 0.0,
                "l1": self.lam if self.regularization == "l1" else 0.0}

    def network_differs(self, other: PanelState) -> bool:
        return self.network_options() != other.network_options()


class SettingsCommand(QUndoCommand):
    """One check-panel edit: redo shows ``after``, undo shows ``before`` (through ``show``)."""

    def __init__(self, show: Callable[[PanelState], None], before: PanelState, after: PanelState,
                 text: str, merge_id: int = -1) -> None:
        super().__init__(text)
        self._show, self.before, self.after, self._id = show, before, after, merge_id

    def id(self) -> int:
        return self._id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SettingsCommand) or other.id() != self._id:
            return False
        self.after = other.after
        self.setText(other.text())
        return True

    def redo(self) -> None:
        self._show(self.after)

    def undo(self) -> None:
        self._show(self.before)
