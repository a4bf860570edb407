"""Kinks seen from J alone, for models that do not report them (any user model).

The centered check evaluates J(θ ± h), and J(θ) is known, so each component has two one-sided
slopes s₊(h) = (J(θ+h) − J(θ))/h and s₋(h) = (J(θ) − J(θ−h))/h. Where J is smooth,
s±(h) = g ± h·J''/2 + h²·J'''/6 + ...: they straddle the derivative g. When a step crosses a
kink (a ReLU switching, a hinge, |x|), the slope on the side that did not cross stays near
backprop's a while the other jumps.

A component that fails (|a − n| beyond its floor and 1e-5 relative) is *anchored* at step h when
its slopes disagree beyond rounding (|s₊ − s₋| > twice a slope's rounding bound) and a sits on
one side: min |a − s±| ≤ ANCHOR·|s₊ − s₋| (for smooth J a sits midway, at half of it).

First step (h = ε): anchored → flagged as a kink for now.
Second step (h₂ = ε/4 or 4ε), for every failing or flagged component, it crossed a kink when
- it is anchored at both steps (a wrong backprop in a smooth J could sit on a side only where its
  error equals ±h·J''/2 within ANCHOR, which cannot hold at two steps four apart), or
- it is anchored at ε and agrees at h₂ (the kink lies between the steps), or
- each side's slope, extrapolated to h → 0 from its two steps, g± = (h₁·s±(h₂) − h₂·s±(h₁)) /
  (h₁ − h₂), gives one-sided derivatives that differ beyond rounding by at least SHARE of the
  first step's error |a − n(ε)|. For smooth J the h and h² terms cancel between the sides and
  g₊ − g₋ is O(h³); across a kink they differ by the jump (this catches kinks whose curvature
  hides the anchor).
Anything else is decided by the second step's other tests, never called a kink.
"""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.bounds import NOISE_FACTOR, ErrorBounds, acceptable

ANCHOR = 0.1
SHARE = 0.5


class KinkTest:
    """Called per component with its numeric gradient and J(θ ± h): whether it crossed a kink.
    At the check's ε it also records the slopes of failing components for the second step."""

    def __init__(self, objective, epsilon: float, dtype: str, method: str) -> None:
        self.objective, self.epsilon, self.dtype, self.method = objective, epsilon, dtype, method
        self.analytic, self.J0 = objective.analytic, objective.J0
        self.slopes: dict[tuple[str, int], tuple[float, float, float]] = {}
        self.use_loss_rounding(0.0)

    def use_loss_rounding(self, loss_rounding: float) -> None:
        """Bounds with δJ at least ``loss_rounding`` (measured by the check's probe)."""
        o = self.objective
        self.bounds = ErrorBounds(loss=o.J0, dtype=self.dtype, method=self.method,
                                  loss_scale=getattr(o, "loss_scale", 1.0), params=o.params,
                                  loss_rounding=loss_rounding)
        self._floors: dict[tuple[str, float], np.ndarray] = {}

    def _floor(self, name: str, h: float) -> np.ndarray:
        if (name, h) not in self._floors:
            self._floors[name, h] = self.bounds.floor(name, self.analytic[name], h)
        return self._floors[name, h]

    def _slope_noise(self, name: str, flat: int, h: float) -> float:
        """How far rounding can move one one-sided slope at step h: (2δJ + step rounding)/h."""
        a = abs(float(self.analytic[name].flat[flat]))
        theta = abs(float(self.objective.params[name].flat[flat]))
        return NOISE_FACTOR * (2 * self.bounds.evaluation() + self.bounds.u * (theta + h) * a) / h

    def _anchored(self, name: str, flat: int, h: float, s_plus: float, s_minus: float) -> bool:
        a = float(self.analytic[name].flat[flat])
        jump = abs(s_plus - s_minus)
        return bool(jump > 2 * self._slope_noise(name, flat, h)
                    and min(abs(a - s_plus), abs(a - s_minus)) <= ANCHOR * jump)

    def __call__(self, name: str, flat: int, numeric: float, J_plus: float, J_minus: float,
                 h: float) -> bool:
        s_plus, s_minus = (J_plus - self.J0) / h, (self.J0 - J_minus) / h
        if h != self.epsilon:
            return self._second(name, flat, h, numeric, s_plus, s_minus)
        a = float(self.analytic[name].flat[flat])
        floor = self._floor(name, h).flat[flat]
        if not np.isfinite(numeric) or abs(a - numeric) <= acceptable(a, numeric, floor):
            return False
        anchored = self._anchored(name, flat, h, s_plus, s_minus)
        self.slopes[name, flat] = (s_plus, s_minus, numeric, anchored)
        return anchored

    def _second(self, name: str, flat: int, h2: float, numeric: float, s_plus: float,
                s_minus: float) -> bool:
        first = self.slopes.get((name, flat))
        if first is None:
            return False
        h1, a = self.epsilon, float(self.analytic[name].flat[flat])
        if first[3]:
            if self._anchored(name, flat, h2, s_plus, s_minus):
                return True
            if abs(a - numeric) <= acceptable(a, numeric, self._floor(name, h2).flat[flat]):
                return True
        g_plus = (h1 * s_plus - h2 * first[0]) / (h1 - h2)
        g_minus = (h1 * s_minus - h2 * first[1]) / (h1 - h2)
        noise = 2 * (h1 * self._slope_noise(name, flat, h2) + h2 * self._slope_noise(name, flat, h1)) \
            / abs(h1 - h2)
        jump = abs(g_plus - g_minus)
        return bool(jump > noise and jump >= SHARE * abs(a - first[2]))
