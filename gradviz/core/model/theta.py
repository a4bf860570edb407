"""Flatten W1, b1, ..., WL, bL into one vector θ and back (the lectures' θ / dθ)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BlockSlice:
    """Where one parameter block lives in θ."""

    name: str
    shape: tuple[int, ...]
    start: int
    stop: int


class ThetaIndex:
    """Maps every element of θ back to (block name, position in the block)."""

    def __init__(self, slices: list[BlockSlice]) -> None:
        self.slices = slices
        self._starts = np.array([s.start for s in slices])

    def __len__(self) -> int:
        return self.slices[-1].stop if self.slices else 0

    def __iter__(self) -> Iterator[tuple[str, tuple[int, ...]]]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, i: int) -> tuple[str, tuple[int, ...]]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"θ has {len(self)} elements; index {i} is out of range")
        i %= len(self)
        block = self.slices[int(np.searchsorted(self._starts, i, side="right")) - 1]
        position = np.unravel_index(i - block.start, block.shape)
        return block.name, tuple(int(p) for p in position)

    def block(self, name: str) -> BlockSlice:
        for s in self.slices:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.slices]


def params_to_vector(params: dict[str, np.ndarray]) -> tuple[np.ndarray, ThetaIndex]:
    """Concatenate the blocks (in dict order, row-major) into θ (n,) and its index."""
    slices, start = [], 0
    for name, value in params.items():
        value = np.asarray(value)
        slices.append(BlockSlice(name, value.shape, start, start + value.size))
        start += value.size
    if not slices:
        raise ValueError("params is empty")
    theta = np.concatenate([np.asarray(v).reshape(-1) for v in params.values()])
    return theta, ThetaIndex(slices)


def vector_to_params(theta: np.ndarray, index: ThetaIndex) -> dict[str, np.ndarray]:
    """Split θ back into blocks shaped as recorded in ``index`` (copies)."""
    theta = np.asarray(theta)
    if theta.shape != (len(index),):
        raise ValueError(f"theta must have shape ({len(index)},); got {theta.shape}")
    return {s.name: theta[s.start : s.stop].reshape(s.shape).copy() for s in index.slices}
