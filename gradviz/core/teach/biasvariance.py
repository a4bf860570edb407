"""Bias and variance from train and dev error (Ng): which of the two to work on next."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from numbers import Real


class BiasVariance(StrEnum):
    """The diagnosis; compares equal to its plain text, e.g. ``"high variance"``."""

    HIGH_VARIANCE = "high variance"
    HIGH_BIAS = "high bias"
    BOTH = "both"
    NEITHER = "neither"

    @property
    def high_bias(self) -> bool:
        return self in (BiasVariance.HIGH_BIAS, BiasVariance.BOTH)

    @property
    def high_variance(self) -> bool:
        return self in (BiasVariance.HIGH_VARIANCE, BiasVariance.BOTH)

    @property
    def advice(self) -> str:
        """What the lectures suggest doing next, in one sentence."""
        return _ADVICE[self]


_ADVICE = {
    BiasVariance.HIGH_VARIANCE: "High variance: get more training data or add regularization "
                                "(L2, dropout).",
    BiasVariance.HIGH_BIAS: "High bias: try a bigger network or train longer.",
    BiasVariance.BOTH: "High bias and high variance: first reduce the bias (bigger network, train "
                       "longer), then the variance (more data, regularization).",
    BiasVariance.NEITHER: "Low bias and low variance: the model fits the training set and "
                          "generalizes to the dev set.",
}


def diagnose(
    train_error: float,
    dev_error: float,
    bayes_error: float = 0.0,
    threshold: float = 0.05,
    *,
    percent: bool | None = None,
) -> BiasVariance:
    """High bias when train − bayes > threshold; high variance when dev − train > threshold.

    Errors are fractions in [0, 1] or percentages in [0, 100]. ``percent=None`` decides: the
    errors are read as percentages when any of them is >= 1 (a 100 % error is not a useful input),
    so ``diagnose(1, 11)`` and ``diagnose(0.01, 0.11)`` agree; pass ``percent`` to say which.
    ``threshold`` is always a fraction (0.05 = 5 percentage points).
    """
    errors = {"train_error": train_error, "dev_error": dev_error, "bayes_error": bayes_error}
    for name, value in errors.items():
        if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
            raise ValueError(f"{name} must be a number; got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0 (an error rate); got {value!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not (0 < threshold < 1):
        raise ValueError(f"threshold must be a fraction in (0, 1); got {threshold!r}")
    if percent is None:
        percent = any(value >= 1 for value in errors.values())
    top = 100.0 if percent else 1.0
    for name, value in errors.items():
        if value > top:
            kind = "a percentage" if percent else "a fraction"
            raise ValueError(f"{name} must be at most {top:g} ({kind}); got {value!r}")
    train, dev, bayes = (float(v) / top for v in errors.values())
    high_bias = train - bayes > threshold
    high_variance = dev - train > threshold
    if high_bias and high_variance:
        return BiasVariance.BOTH
    if high_bias:
        return BiasVariance.HIGH_BIAS
    if high_variance:
        return BiasVariance.HIGH_VARIANCE
    return BiasVariance.NEITHER


#: Ng's four cases as (train error %, dev error %) with Bayes error ≈ 0 %, and their readings
LECTURE_CASES = (
    (1.0, 11.0, BiasVariance.HIGH_VARIANCE),
    (15.0, 16.0, BiasVariance.HIGH_BIAS),
    (15.0, 30.0, BiasVariance.BOTH),
    (0.5, 1.0, BiasVariance.NEITHER),
)
Z_95 = 1.96


def error_margin(error: float, n: int) -> float:
    """Half the width of the 95 % (Wilson) interval of an error rate measured on n examples,
    as a fraction: how far the true error may be from ``error`` (a fraction) by chance alone."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a whole number of examples >= 1; got {n!r}")
    if not 0 <= error <= 1:
        raise ValueError(f"error must be a fraction in [0, 1]; got {error!r}")
    z2 = Z_95 * Z_95
    spread = error * (1 - error) / n + z2 / (4 * n * n)
    return Z_95 * math.sqrt(spread) / (1 + z2 / n)


@dataclass(frozen=True)
class Reading:
    """Train and dev error (fractions) on n_train and n_dev examples, read as bias and variance."""

    train_error: float
    dev_error: float
    n_train: int
    n_dev: int
    bayes_error: float = 0.0

    @property
    def diagnosis(self) -> BiasVariance:
        return diagnose(self.train_error, self.dev_error, self.bayes_error, percent=False)

    @property
    def dev_margin(self) -> float:
        """± on the dev error from the size of the dev set alone (95 %)."""
        return error_margin(self.dev_error, self.n_dev)

    def figures(self) -> str:
        """E.g. "train error 1.0 %, dev error 11.0 % ± 3.2 % (300 dev examples), Bayes error 2 %"."""
        bayes = f", Bayes error {100 * self.bayes_error:.3g} %" if self.bayes_error else ""
        return (f"train error {100 * self.train_error:.1f} %, dev error {100 * self.dev_error:.1f} % "
                f"± {100 * self.dev_margin:.1f} % ({self.n_dev:,} dev examples){bayes}")

    def sentence(self) -> str:
        """The figures, the reading and the advice, e.g. "train error 1.0 %, ... (60 dev
        examples): high variance. High variance: get more training data or ..."."""
        return f"{self.figures()}: {self.diagnosis.value}. {self.diagnosis.advice}"
