"""No silent edits, app-wide: the mouse wheel over a combo box, spin box or slider that does not
have the keyboard focus scrolls the panel under it instead of changing the value, and Undo/Redo
pressed in a number field reach the window's undo stack instead of the field's own text undo
(with uncommitted typing in the field, Undo first drops that typing).

``install_input_guard()`` installs one event filter on the QApplication (once).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QKeySequence, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QSlider,
    QWidget,
)

from gradviz.ui.common.fields import RangeField

#: widgets whose value the wheel would change
VALUE_WIDGETS = (QComboBox, QAbstractSpinBox, QSlider)
_EVENTS = (QEvent.Type.Wheel, QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.Polish)
_UNDO_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)


def _number_field(widget: QObject) -> QObject | None:
    """The spin box or RangeField ``widget`` belongs to (a spin box's line edit counts), or None."""
    if isinstance(widget, QAbstractSpinBox | RangeField):
        return widget
    if isinstance(widget, QLineEdit) and isinstance(widget.parent(), QAbstractSpinBox):
        return widget.parent()
    return None


def _scroll_ancestors(widget: QWidget, event: QWheelEvent) -> None:
    """Hand the wheel event to the nearest scroll area around ``widget`` that can scroll (a table
    at its end passes it on to the panel around it)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            viewport = parent.viewport()
            pos = QPointF(viewport.mapFromGlobal(event.globalPosition().toPoint()))
            moved = QWheelEvent(pos, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                                event.buttons(), event.modifiers(), event.phase(), event.inverted())
            moved.ignore()
            QApplication.sendEvent(viewport, moved)
            if moved.isAccepted():
                return
        parent = parent.parentWidget()


class InputGuard(QObject):
    """The app-wide event filter (see the module docstring)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in _EVENTS:
            return False
        if kind == QEvent.Type.Polish:
            if isinstance(watched, VALUE_WIDGETS):
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # never focused by the wheel
            return False
        if kind == QEvent.Type.Wheel:
            if isinstance(watched, VALUE_WIDGETS) and not watched.hasFocus():
                _scroll_ancestors(watched, event)
                return True
            return False
        field = _number_field(watched)
        if field is None or not any(event.matches(k) for k in _UNDO_KEYS):
            return False
        if kind == QEvent.Type.KeyPress:
            return True  # never the field's own text undo
        if isinstance(field, RangeField) and field.has_pending_text():
            field.revert()
            event.accept()  # the key stays with the field (and is swallowed above)
        else:
            event.ignore()  # not overridden: the window's Undo/Redo shortcut fires
        return True


_installed: list[InputGuard] = []


def install_input_guard() -> None:
    """Install the guard on the running QApplication (once) and give the value widgets that
    already exist a strong focus policy."""
    app = QApplication.instance()
    if app is None or any(shiboken6.isValid(g) and g.parent() is app for g in _installed):
        return
    guard = InputGuard(app)
    _installed[:] = [guard]
    app.installEventFilter(guard)
    for widget in QApplication.allWidgets():
        if isinstance(widget, VALUE_WIDGETS):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
