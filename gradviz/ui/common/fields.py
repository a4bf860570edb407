"""Number fields that show the value they use.

A value typed outside a field's range is never silently replaced: Enter leaves it in the field,
red, with a tooltip naming the allowed range, and the field keeps using its last accepted value;
leaving the field puts that value back and says so. ``RangeField`` gives this behaviour to a
QLineEdit (``NumberInput``) and to spin boxes (``IntField``, ``FloatField``) alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPalette, QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QLineEdit, QSpinBox, QToolTip, QWidget

#: Okabe–Ito vermillion, mixed into the field's background while its text is refused
REFUSED_COLOUR = QColor("#D55E00")
NOTICE_MS = 6000
_NUMBER_CHARS = frozenset("0123456789.eE+-")


@dataclass(frozen=True)
class NumberRange:
    """The values a field accepts: a number in [low, high] (whole if ``integer``); ``special``
    is the text shown for ``low`` (e.g. "all" for 0)."""

    label: str
    low: float
    high: float
    integer: bool = False
    special: str | None = None

    def parse(self, text: str) -> float | None:
        """The accepted value ``text`` stands for, or None."""
        text = text.strip()
        if self.special is not None and text.lower() == self.special.lower():
            return self.low
        try:
            value = float(text)
        except ValueError:
            return None
        if not math.isfinite(value) or not self.low <= value <= self.high:
            return None
        if self.integer:
            return int(value) if value.is_integer() else None
        return value

    def state(self, text: str) -> QValidator.State:
        """Acceptable; Intermediate for anything that looks like a number (it stays in the field,
        to be refused visibly); Invalid for characters no number has."""
        if self.parse(text) is not None:
            return QValidator.State.Acceptable
        stripped = text.strip()
        if set(stripped) <= _NUMBER_CHARS or (
                self.special is not None and self.special.lower().startswith(stripped.lower())):
            return QValidator.State.Intermediate
        return QValidator.State.Invalid

    def describe(self) -> str:
        """The rule in words: "ε must be a number from 1e-10 to 0.1"."""
        kind = "a whole number" if self.integer else "a number"
        low = f"{self.low:,.0f}" if self.integer else f"{self.low:g}"
        high = f"{self.high:,.0f}" if self.integer else f"{self.high:g}"
        special = f" ({low}: {self.special})" if self.special else ""
        return f"{self.label} must be {kind} from {low} to {high}{special}"


def _refused_palette(palette: QPalette) -> QPalette:
    base = palette.color(QPalette.ColorRole.Base)
    mixed = QColor.fromRgbF(*(0.6 * a + 0.4 * b for a, b in zip(
        base.getRgbF()[:3], REFUSED_COLOUR.getRgbF()[:3], strict=True)))
    palette.setColor(QPalette.ColorRole.Base, mixed)
    return palette


class RangeField:
    """Mixin for a QLineEdit or QAbstractSpinBox subclass that holds a number in a NumberRange.

    The subclass provides ``_text()`` (the number as typed), ``_shown()`` (the text of the value in
    use) and ``_revert()`` (show that value again). ``is_refused()`` tells whether the field is red.
    """

    def _init_range(self, rule: NumberRange) -> None:
        self.range_rule = rule
        self._refused = False
        self._help = self.toolTip()

    def set_range_rule(self, rule: NumberRange) -> None:
        """Accept values in ``rule`` from now on (the tooltip follows)."""
        self.range_rule = rule
        self._clear_refusal()

    def is_refused(self) -> bool:
        return self._refused

    def setToolTip(self, text: str) -> None:
        self._help = text
        super().setToolTip(self._tooltip())

    def _tooltip(self) -> str:
        rule = self.range_rule.describe() + "."
        return f"{self._help}\n{rule}" if self._help and rule not in self._help else (self._help or rule)

    def has_pending_text(self) -> bool:
        """Whether the field shows typed text that is not (yet) its value."""
        return self._text().strip() != self._shown()

    def revert(self) -> None:
        """Drop what was typed and not committed: show the value in use again."""
        if self.has_pending_text():
            self._revert()
        self._clear_refusal()

    # -- Qt events -----------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                self.range_rule.parse(self._text()) is None:
            self._refuse()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        typed = self._text().strip()
        if self.range_rule.parse(typed) is None:
            self._revert()
            self._clear_refusal()
            if typed:
                self._notice(f"{typed} refused: {self.range_rule.describe()}. "
                             f"Kept {self._shown()}.")
        super().focusOutEvent(event)

    # -- feedback ------------------------------------------------------------------------------
    def _on_edited(self, _text: str = "") -> None:
        if self._refused and self.range_rule.parse(self._text()) is not None:
            self._clear_refusal()

    def _refuse(self) -> None:
        typed = self._text().strip() or "an empty field"
        if not self._refused:
            self._refused = True
            self.setPalette(_refused_palette(self.palette()))
        message = (f"{typed} refused: {self.range_rule.describe()}. "
                   f"{self._shown()} is still used; leaving the field puts it back.")
        super().setToolTip(message)
        self._notice(message)

    def _clear_refusal(self) -> None:
        if self._refused:
            self._refused = False
            self.setPalette(QPalette())  # back to the inherited (theme's) palette
        super().setToolTip(self._tooltip())

    def _notice(self, message: str) -> None:
        if self.isVisible():
            QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), message, self, QRect(),
                              NOTICE_MS)


class _Validator(QValidator):
    def __init__(self, rule_of, parent) -> None:
        super().__init__(parent)
        self._rule_of = rule_of

    def validate(self, text: str, pos: int):
        return self._rule_of().state(text), text, pos


class NumberInput(RangeField, QLineEdit):
    """A validated number field: ``value_changed(float)`` when an accepted value is committed
    (Enter or leaving the field)."""

    value_changed = Signal(float)

    def __init__(self, value: float, rule: NumberRange, object_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName=object_name)
        self._init_range(rule)
        self.setValidator(_Validator(lambda: self.range_rule, self))
        self._value = float(value)
        self.setText(self._shown())
        self.editingFinished.connect(self._commit)
        self.textEdited.connect(self._on_edited)
        super().setToolTip(self._tooltip())

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        """Show ``value`` without emitting value_changed."""
        self._value = float(value)
        self.setText(self._shown())
        self._clear_refusal()

    def _text(self) -> str:
        return self.text()

    def _shown(self) -> str:
        return f"{self._value:g}"

    def _revert(self) -> None:
        self.setText(self._shown())

    def _commit(self) -> None:
        value = self.range_rule.parse(self.text())
        if value is None:
            return
        self._clear_refusal()
        changed = value != self._value
        self._value = float(value)
        self.setText(self._shown())  # 0.00001 reads 1e-05: the text is the value's own
        if changed:
            self.value_changed.emit(self._value)


class _SpinField(RangeField):
    """What the two spin boxes share: the range rule is their validator; typing commits on Enter
    or on leaving the field (keyboard tracking off), so one edit is one change."""

    def _init_spin(self, rule: NumberRange) -> None:
        self._init_range(rule)
        self.setKeyboardTracking(False)
        self._set_bounds(rule)
        if rule.special:
            self.setSpecialValueText(rule.special)
        self.lineEdit().textEdited.connect(self._on_edited)
        super().setToolTip(self._tooltip())

    def set_range_rule(self, rule: NumberRange) -> None:
        self._set_bounds(rule)
        super().set_range_rule(rule)

    def _set_bounds(self, rule: NumberRange) -> None:
        kind = int if rule.integer else float
        self.setRange(kind(rule.low), kind(rule.high))

    def validate(self, text: str, pos: int):
        return self.range_rule.state(self._strip(text)), text, pos

    def valueFromText(self, text: str):
        value = self.range_rule.parse(self._strip(text))
        return self.value() if value is None else value

    def _strip(self, text: str) -> str:
        if self.prefix() and text.startswith(self.prefix()):
            text = text[len(self.prefix()):]
        if self.suffix() and text.endswith(self.suffix()):
            text = text[: -len(self.suffix())]
        return text

    def _text(self) -> str:
        return self._strip(self.lineEdit().text())

    def _shown(self) -> str:
        if self.specialValueText() and self.value() == self.minimum():
            return self.specialValueText()
        return self.textFromValue(self.value())

    def _revert(self) -> None:
        self.setValue(self.value())  # rewrites the text of the value in use


class IntField(_SpinField, QSpinBox):
    """A QSpinBox whose typed values outside its range are refused visibly."""

    def __init__(self, rule: NumberRange, object_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if object_name:
            self.setObjectName(object_name)
        self._init_spin(rule)

    def textFromValue(self, value: int) -> str:
        return str(value)


class FloatField(_SpinField, QDoubleSpinBox):
    """A QDoubleSpinBox shown in the shortest form (0.003, 1e-05) whose typed values outside its
    range are refused visibly."""

    def __init__(self, rule: NumberRange, object_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if object_name:
            self.setObjectName(object_name)
        self._init_spin(rule)
        self.setDecimals(12)
        self._set_bounds(rule)  # again: the range was rounded to the default 2 decimals

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"
