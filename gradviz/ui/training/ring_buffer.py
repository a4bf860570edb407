"""A fixed-size numpy ring buffer of rows: live plots append to it and redraw from it."""

from __future__ import annotations

import numpy as np


class RingBuffer:
    """The last ``capacity`` rows of ``width`` float64 values; older rows are overwritten.

    ``data()`` returns the rows oldest first, shape (n, width) with n <= capacity.
    """

    def __init__(self, capacity: int, width: int = 1) -> None:
        if capacity < 1 or width < 1:
            raise ValueError(f"capacity and width must be >= 1; got {capacity}, {width}")
        self._rows = np.full((capacity, width), np.nan)
        self._next = 0  # where the next row goes
        self._count = 0

    @property
    def capacity(self) -> int:
        return self._rows.shape[0]

    @property
    def width(self) -> int:
        return self._rows.shape[1]

    def __len__(self) -> int:
        return self._count

    def extend(self, rows: np.ndarray) -> None:
        """Append rows (k, width) (or a single row (width,)), oldest first."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, self.width)
        cap = self.capacity
        if rows.shape[0] >= cap:
            self._rows[:] = rows[-cap:]
            self._next, self._count = 0, cap
            return
        k = rows.shape[0]
        end = self._next + k
        if end <= cap:
            self._rows[self._next:end] = rows
        else:
            split = cap - self._next
            self._rows[self._next:] = rows[:split]
            self._rows[: k - split] = rows[split:]
        self._next = end % cap
        self._count = min(self._count + k, cap)

    def data(self) -> np.ndarray:
        """The stored rows (n, width), oldest first (a view when they do not wrap, else a copy)."""
        if self._count < self.capacity:
            return self._rows[: self._count]
        if self._next == 0:
            return self._rows
        return np.concatenate((self._rows[self._next:], self._rows[: self._next]))

    def last(self) -> np.ndarray | None:
        """The newest row (width,), or None when empty."""
        return None if self._count == 0 else self._rows[(self._next - 1) % self.capacity]

    def clear(self) -> None:
        self._next = self._count = 0
