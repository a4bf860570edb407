"""The training panel's number fields: the learning rate (stepping along 1, 2, 5 × 10^k), the
batch size (up to the training examples, 0 for the full batch) and Train N's iterations. Values
typed outside their range are refused visibly (gradviz.ui.common.fields)."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QWidget

from gradviz.ui.common.fields import FloatField, NumberRange

LR_RANGE = (1e-8, 1e6)
MAX_BATCH = 1_000_000
MAX_ITERATIONS = 1_000_000
#: the iterations Train N runs at first (lesson 7's "about 100 iterations")
DEFAULT_ITERATIONS = 100
ITERATIONS_RULE = NumberRange("The iterations", 1, MAX_ITERATIONS, integer=True)


def batch_rule(examples: int = MAX_BATCH) -> NumberRange:
    """Batch sizes 1..the training examples, 0 for the full batch."""
    return NumberRange("The batch size", 0, examples, integer=True, special="full batch")


class LearningRateBox(FloatField):
    """A learning rate > 0: type any value (0.003 or 3e-3); the arrows step along 1, 2, 5 × 10^k."""

    def __init__(self, parent: QWidget | None = None) -> None:
        # absurd rates stay typeable: watching divergence teaches
        super().__init__(NumberRange("The learning rate", LR_RANGE[0], LR_RANGE[1]), parent=parent)
        self.setAccelerated(True)

    def stepBy(self, steps: int) -> None:
        value = self.value()
        for _ in range(abs(steps)):
            value = _ladder_step(value, up=steps > 0)
        self.setValue(min(max(value, self.minimum()), self.maximum()))


def _ladder_step(value: float, up: bool) -> float:
    """The next (or previous) value of the 1, 2, 5 × 10^k ladder."""
    k = math.floor(math.log10(value))
    ladder = [float(f"{m * 10.0**e:.6g}") for e in (k - 1, k, k + 1) for m in (1, 2, 5)]
    if up:
        return min(v for v in ladder if v > value * (1 + 1e-9))
    return max(v for v in ladder if v < value * (1 - 1e-9))
