"""What a gradient check costs next to a training step (Ng: "don't use it in training, only to
debug"): one backprop, the lectures' reference loop (two loss evaluations per component) and
gradviz's fast engine, measured side by side on the same network.

The reference loop is timed on a sample of components and the time per component scaled to
all of them (it says so); the fast engine and backprop are timed in full.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.model.network import Network

#: components per block the reference loop is timed on
REFERENCE_SAMPLE = 40
BACKPROP_REPEATS = 5


@dataclass(frozen=True)
class CheckCost:
    """Seconds for one backprop (forward + backward on the check's examples), for the reference
    loop (measured on ``reference_components``, scaled to ``n_params``) and for the fast engine
    on every component (None when it cannot serve this check)."""

    n_params: int
    backprop: float
    reference_components: int
    reference_measured: float
    fast: float | None

    @property
    def reference(self) -> float:
        """The reference loop's time for every component, from its measured time per component."""
        return self.reference_measured / self.reference_components * self.n_params

    def lines(self) -> list[str]:
        """The three figures, in words, with how each was measured."""
        backprop = (f"one backprop on the same examples (what a training step costs): "
                    f"{_seconds(self.backprop)} (measured)")
        reference = (f"the reference loop, 2 losses per component × {self.n_params:,} components: "
                     f"{_seconds(self.reference)} = {self.reference / self.backprop:,.0f} training steps "
                     f"(timed on {self.reference_components:,} components: "
                     f"{_seconds(self.reference_measured)}, scaled to all)")
        if self.fast is None:
            fast = "the fast engine cannot serve this check"
        else:
            fast = (f"gradviz's fast engine, every component: {_seconds(self.fast)} = "
                    f"{self.fast / self.backprop:,.0f} training steps (measured)")
        return [backprop, reference, fast]


def _seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    if s < 120:
        return f"{s:.1f} s"
    return f"{s / 60:.1f} min"


def iter_check_cost(net: Network, X, y, **check_options) -> Iterator[str]:
    """Measure ``CheckCost`` for ``gradient_check(net, X, y, **check_options)``; yield a word
    for each stage (for progress and cancelling) and return the CheckCost."""
    yield "backprop"
    net.loss(X, y)  # the first call pays for warming caches and thread pools
    times = []
    for _ in range(BACKPROP_REPEATS):
        start = time.perf_counter()
        net.loss(X, y)
        times.append(time.perf_counter() - start)
    backprop = min(times)  # the least disturbed by other work on the machine
    yield "reference loop"
    options = {k: v for k, v in check_options.items() if k not in ("engine", "sample", "blocks")}
    sampled = gradient_check(net, X, y, engine="reference", sample=REFERENCE_SAMPLE, **options)
    yield "fast engine"
    fast = None
    try:
        full = gradient_check(net, X, y, engine="fast", **options)
    except ValueError:  # the fast engine cannot serve this model or these options
        pass
    else:
        fast = full.elapsed
    n_params = sum(int(np.size(v)) for v in net.params.values())
    return CheckCost(n_params, backprop, sampled.n_checked, sampled.elapsed, fast)


def check_cost(net: Network, X, y, **check_options) -> CheckCost:
    """``iter_check_cost`` run to the end."""
    run = iter_check_cost(net, X, y, **check_options)
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return stop.value
