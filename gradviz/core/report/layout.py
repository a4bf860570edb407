"""Where the heatmap draws each block, in the app and in the notebook's picture alike: which
blocks share a row of the grid, and how a block of any shape becomes one 2-D image, a mosaic of
2-D tiles, with the way back from a cell of the mosaic to the block's index tuple.

- 0-D: one cell; 1-D (n,): a column (n, 1) beside its W, or a strip (1, n) on a row of its own;
- 2-D (r, c): itself;
- 3-D (A, h, w): A tiles of h × w wrapped into a near-square grid;
- 4-D (F, C, h, w): F rows of C tiles (a conv layer's filters × channels); more axes: the leading
  axes folded into the rows of tiles.
The report keeps the real shape: mosaics are for display only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

WIDE, NARROW = 5, 1  # column stretch of the grid: a column of W matrices, a column of vectors
_TRAILING_NUMBER = re.compile(r"(\d+)$")


def layer_key(name: str) -> str | None:
    """The layer a block belongs to: "fc1.weight" → "fc1" (its module), "W1", "b1", "gamma1"
    → "1" (its trailing number); None for "x", "w", "dout"."""
    if "." in name:
        return name.rsplit(".", 1)[0]
    match = _TRAILING_NUMBER.search(name)
    return match.group(1) if match else None


def block_rows(names: list[str]) -> list[list[str]]:
    """Rows of the grid in order of first appearance: blocks of one layer share a row in
    parameter order; a block without a layer gets a row of its own."""
    rows: dict[object, list[str]] = {}
    for name in names:
        key = layer_key(name)
        rows.setdefault(("block", name) if key is None else ("layer", key), []).append(name)
    return list(rows.values())


@dataclass(frozen=True)
class Tiling:
    """How a block of ``shape`` is drawn: ``grid`` (rows, cols) of tiles of ``tile`` (h, w) cells.
    ``strip``: a 1-D block drawn as one row (1, n) instead of one column (n, 1)."""

    shape: tuple[int, ...]
    tile: tuple[int, int]
    grid: tuple[int, int] = (1, 1)
    strip: bool = False

    @property
    def size(self) -> tuple[int, int]:
        """(rows, cols) of cells in the mosaic."""
        return self.grid[0] * self.tile[0], self.grid[1] * self.tile[1]

    @property
    def tiled(self) -> bool:
        """Whether the block has more than two axes (a grid of tiles)."""
        return len(self.shape) > 2

    @property
    def n_tiles(self) -> int:
        return math.prod(self.shape[:-2]) if self.tiled else 1

    def mosaic(self, values: np.ndarray, fill: float | bool = np.nan) -> np.ndarray:
        """``values`` (the block's shape) laid out as the 2-D mosaic (a view of ``values`` when the
        block is not tiled); empty grid slots get ``fill``."""
        values = np.asarray(values)
        if not self.tiled:
            return values.reshape(self.tile)
        (rows, cols), (h, w) = self.grid, self.tile
        slots = np.full((rows * cols, h, w), fill, dtype=np.result_type(values, np.asarray(fill)))
        slots[: self.n_tiles] = values.reshape(self.n_tiles, h, w)
        return slots.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)

    def index_at(self, row: int, col: int) -> tuple[int, ...] | None:
        """The block index drawn at mosaic cell (row, col); None outside or on an empty slot."""
        rows, cols = self.size
        if not (0 <= row < rows and 0 <= col < cols):
            return None
        if not self.tiled:
            return {0: (), 1: (col,) if self.strip else (row,), 2: (row, col)}[len(self.shape)]
        tile = self.tile_at(row, col)
        if tile is None:
            return None
        return (*tile, row % self.tile[0], col % self.tile[1])

    def tile_at(self, row: int, col: int) -> tuple[int, ...] | None:
        """The leading index (all axes but the last two) of the tile holding mosaic cell (row,
        col); None for blocks that are not tiled and for empty slots."""
        if not self.tiled:
            return None
        number = (row // self.tile[0]) * self.grid[1] + col // self.tile[1]
        if number >= self.n_tiles:
            return None
        return tuple(int(i) for i in np.unravel_index(number, self.shape[:-2]))

    def cell_of(self, index: tuple[int, ...]) -> tuple[int, int]:
        """The mosaic cell (row, col) where the component ``index`` is drawn."""
        index = tuple(int(i) for i in index)
        inside = len(index) == len(self.shape) and all(
            0 <= i < n for i, n in zip(index, self.shape, strict=True))
        if not inside:
            raise IndexError(f"index {index} is outside a block of shape {self.shape}")
        if not self.tiled:
            if len(index) == 0:
                return 0, 0
            if len(index) == 1:
                return (0, index[0]) if self.strip else (index[0], 0)
            return index[0], index[1]
        number = int(np.ravel_multi_index(index[:-2], self.shape[:-2]))
        tile_row, tile_col = divmod(number, self.grid[1])
        return tile_row * self.tile[0] + index[-2], tile_col * self.tile[1] + index[-1]

    def separators(self) -> tuple[list[float], list[float]]:
        """Mosaic coordinates of the lines between tiles: (x of vertical lines, y of horizontal)."""
        if not self.tiled:
            return [], []
        (rows, cols), (h, w) = self.grid, self.tile
        return [float(k * w) for k in range(1, cols)], [float(k * h) for k in range(1, rows)]


def tiling(shape: tuple[int, ...], strip: bool = False) -> Tiling:
    """The Tiling of a block of ``shape``; ``strip``: a 1-D block as a row rather than a column."""
    shape = tuple(int(n) for n in shape)
    if len(shape) == 0:
        return Tiling(shape, (1, 1))
    if len(shape) == 1:
        return Tiling(shape, (1, shape[0]) if strip else (shape[0], 1), strip=strip)
    if len(shape) == 2:
        return Tiling(shape, shape)
    h, w = shape[-2:]
    if len(shape) == 3:  # wrap the tiles into a grid about as tall as it is wide
        n = shape[0]
        grid_rows = max(1, min(n, round(math.sqrt(n * w / max(h, 1)))))
        return Tiling(shape, (h, w), (grid_rows, math.ceil(n / grid_rows)))
    return Tiling(shape, (h, w), (math.prod(shape[:-3]), shape[-3]))


@dataclass(frozen=True)
class Placement:
    """A block's cell in the grid of plots: row, column, how many columns it spans, how it is
    tiled, and whether it has its row to itself."""

    row: int
    col: int
    colspan: int
    tiling: Tiling
    alone: bool


def place_blocks(shapes: dict[str, tuple[int, ...]]) -> tuple[dict[str, Placement], list[int]]:
    """Each block's Placement and the stretch of each column of the grid (WIDE or NARROW).

    Blocks of a layer sit side by side in parameter order (1-D ones as columns); a block with a
    row of its own spans every column (a 1-D one as a strip).
    """
    rows = block_rows(list(shapes))
    n_cols = max((len(row) for row in rows), default=1)
    placements: dict[str, Placement] = {}
    stretch = [NARROW] * n_cols
    for r, row in enumerate(rows):
        for c, name in enumerate(row):
            alone = len(row) == 1
            layout = tiling(shapes[name], strip=alone)
            placements[name] = Placement(r, c, n_cols if alone else 1, layout, alone)
            if not alone and layout.size[1] > 1:
                stretch[c] = WIDE
    if all(s == NARROW for s in stretch):
        stretch[0] = WIDE
    return placements, stretch
