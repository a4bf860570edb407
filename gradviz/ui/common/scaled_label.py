"""A label whose text is a set size relative to the application's font, and grows with presenter
view's font scale."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QLabel, QWidget


class ScaledLabel(QLabel):
    """A QLabel at ``relative`` × the font size (e.g. 1.25 for a message that stands out);
    ``set_font_scale(factor)`` multiplies that by ``factor`` (presenter view)."""

    def __init__(self, text: str = "", relative: float = 1.0, parent: QWidget | None = None,
                 **properties) -> None:
        super().__init__(text, parent, **properties)
        self._relative = relative
        self._base_pt = QFontInfo(self.font()).pointSizeF()
        self.set_font_scale(1.0)

    def set_font_scale(self, factor: float) -> None:
        if not factor > 0:
            raise ValueError(f"font scale must be a positive number; got {factor!r}")
        font = QFont(self.font())
        font.setPointSizeF(self._base_pt * self._relative * factor)
        self.setFont(font)
