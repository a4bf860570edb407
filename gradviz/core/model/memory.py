"""How much memory a network, its data and a check need, against what the machine has free.

Estimates are made from sizes alone, before anything is allocated, so that a 20000×20000 layer or
10^8 examples are refused in one line ("this network needs 12.3 GB; 7.1 GB is available")
instead of freezing the machine.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradviz.core.model.spec import NetworkSpec

#: what a check keeps per parameter besides the parameter: the objective's copy, backprop's
#: gradient and its float64 copy, the numeric gradient (float64), the kink flags, the per-component
#: kinds and the report's error arrays (float64)
CHECK_BYTES_PER_PARAM = 6 * 8 + 2
#: what training keeps per parameter: the gradient, the step, Adam's two moments, the initial and
#: the best parameters (float64)
TRAIN_BYTES_PER_PARAM = 6 * 8
#: arrays alive per unit and example in a forward and backward pass: z, a, the input copy, dA, dZ
ARRAYS_PER_ACTIVATION = 5
#: copies of the examples alive while a data set is made, split and normalized (float64)
DATA_COPIES = 4
#: the fast engine's largest chunk and its working arrays (see fastcheck.CHUNK_ELEMENTS)
FAST_ENGINE_BYTES = 64 * 2**20
#: memory left to the rest of the machine: a plan may use at most this share of what is free
USABLE_SHARE = 0.8


@dataclass
class MemoryEstimate:
    """Bytes by part (parameters, data, activations, check, training) and their total."""

    parts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.parts.values())


def network_estimate(
    spec: NetworkSpec, m: int = 0, *, check_examples: int = 0, batch: int | None = None
) -> MemoryEstimate:
    """The memory a session of ``spec`` needs: its parameters, m examples of data, a check on
    check_examples examples, and training on minibatches of ``batch`` (default: all m)."""
    itemsize = np.dtype(spec.dtype).itemsize
    sizes = spec.sizes
    n_params = spec.n_params
    units = sum(sizes)
    batch = m if batch is None else min(batch, m)
    parts = {
        "parameters": n_params * itemsize,
        "data": m * (sizes[0] + 1) * 8 * DATA_COPIES,
        "activations": max(batch, check_examples) * units * 8 * ARRAYS_PER_ACTIVATION,
        "check": n_params * CHECK_BYTES_PER_PARAM + (FAST_ENGINE_BYTES if check_examples else 0),
        "training": n_params * TRAIN_BYTES_PER_PARAM if m else 0,
    }
    return MemoryEstimate(parts)


def available_memory() -> int | None:
    """Bytes the machine can still give this process: MemAvailable, capped by a cgroup limit;
    None when neither can be read."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    limit = _cgroup_room()
    if limit is not None:
        found.append(limit)
    return min(found) if found else None


def _cgroup_room() -> int | None:
    """memory.max − memory.current of this process's cgroup (v2), or None without a limit."""
    root = Path("/sys/fs/cgroup")
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((root / "memory.current").read_text().strip()), 0)
    except (OSError, ValueError):
        return None


def format_bytes(n: float) -> str:
    """1.5 KB, 12.3 MB, 7.1 GB (powers of 1000, like file managers)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def memory_problem(needed: int, what: str = "this network", available: int | None = None) -> str | None:
    """The sentence refusing ``needed`` bytes, or None when they fit in the usable share of
    ``available`` (default: what the machine has free; unknown means no refusal)."""
    available = available_memory() if available is None else available
    if available is None or needed <= USABLE_SHARE * available:
        return None
    return f"{what} needs {format_bytes(needed)}; {format_bytes(available)} is available"


def require_memory(needed: int, what: str = "this network") -> None:
    """Raise ValueError with the estimate and the limit when ``needed`` bytes do not fit."""
    problem = memory_problem(needed, what)
    if problem:
        raise ValueError(problem)
