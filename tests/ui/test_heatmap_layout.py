"""Where the heatmap puts blocks and cells (no Qt window): rows by layer, tiles for N-D blocks,
the way from a mosaic cell back to the full index tuple (checked against loops written here), and
how many labels an axis shows."""

import itertools

import numpy as np
import pytest

from gradviz.core.report.layout import NARROW, WIDE, block_rows, layer_key, place_blocks, tiling
from gradviz.core.report.levels import REL_TICKS
from gradviz.ui.check.heatmap_block import index_ticks
from gradviz.ui.check.heatmap_colourbar import spaced_ticks


def test_layer_keys_follow_trailing_numbers_and_modules():
    assert [layer_key(n) for n in ("W1", "b1", "gamma1", "beta1", "W12")] == ["1", "1", "1", "1", "12"]
    assert layer_key("fc1.weight") == layer_key("fc1.bias") == "fc1"
    assert [layer_key(n) for n in ("x", "w", "b", "dout")] == [None] * 4


def test_blocks_of_a_layer_share_a_row_in_parameter_order():
    names = ["W1", "b1", "W2", "b2", "gamma1", "beta1", "x", "dout"]
    assert block_rows(names) == [["W1", "b1", "gamma1", "beta1"], ["W2", "b2"], ["x"], ["dout"]]


def test_placement_spans_lone_blocks_and_narrows_vector_columns():
    shapes = {"W1": (16, 2), "b1": (16,), "gamma1": (16,), "beta1": (16,), "W2": (3, 16), "b2": (3,),
              "b": (5,)}
    placed, stretch = place_blocks(shapes)
    layer_1 = [(placed[n].row, placed[n].col) for n in ("W1", "b1", "gamma1", "beta1")]
    assert layer_1 == [(0, c) for c in range(4)]
    assert (placed["W2"].row, placed["b2"].col) == (1, 1)
    assert placed["b"].colspan == 4
    assert placed["b"].alone
    assert placed["b"].tiling.size == (1, 5)  # a vector alone on its row is a strip
    assert placed["b1"].tiling.size == (16, 1)  # beside its W, a column
    assert stretch == [WIDE, NARROW, NARROW, NARROW]


def mosaic_by_loops(values: np.ndarray, tile_rows: int, tile_cols: int, grid_cols: int) -> np.ndarray:
    """The tile mosaic of an N-D array written out with loops: tile t (row-major over the leading
    axes) at grid position divmod(t, grid_cols)."""
    lead, (h, w) = values.shape[:-2], values.shape[-2:]
    n_tiles = int(np.prod(lead))
    grid_rows = -(-n_tiles // grid_cols)
    out = np.full((grid_rows * h, grid_cols * w), np.nan)
    for t, idx in enumerate(itertools.product(*map(range, lead))):
        r, c = divmod(t, grid_cols)
        for i in range(h):
            for j in range(w):
                out[r * h + i, c * w + j] = values[(*idx, i, j)]
    return out


@pytest.mark.parametrize("shape", [(4, 3, 2, 5), (3, 2, 4), (2, 3, 2, 2, 3), (7, 2, 3)])
def test_tiles_match_loops_and_every_cell_maps_back_to_its_index(shape):
    values = np.arange(np.prod(shape), dtype=float).reshape(shape)
    layout = tiling(shape)
    grid_cols = layout.grid[1]
    if len(shape) >= 4:
        assert layout.grid == (int(np.prod(shape[:-3])), shape[-3])  # filters × channels
    expected = mosaic_by_loops(values, *shape[-2:], grid_cols)
    mosaic = layout.mosaic(values)
    assert np.array_equal(mosaic, expected, equal_nan=True)
    seen = set()
    for r, c in itertools.product(*map(range, mosaic.shape)):
        index = layout.index_at(r, c)
        if index is None:
            assert np.isnan(expected[r, c])  # an empty slot of a wrapped grid
            continue
        assert values[index] == mosaic[r, c]
        assert layout.cell_of(index) == (r, c)
        assert layout.tile_at(r, c) == index[:-2]
        seen.add(index)
    assert len(seen) == values.size


def test_low_dimensional_blocks():
    scalar, column, strip, matrix = tiling(()), tiling((5,)), tiling((5,), strip=True), tiling((3, 4))
    cases = [(scalar, (1, 1), (0, 0), ()), (column, (5, 1), (3, 0), (3,)), (strip, (1, 5), (0, 3), (3,)),
             (matrix, (3, 4), (2, 1), (2, 1))]
    for layout, size, cell, index in cases:
        assert layout.size == size
        assert layout.index_at(*cell) == index
        assert layout.cell_of(index) == cell
        assert not layout.tiled
        assert layout.separators() == ([], [])
    assert matrix.index_at(3, 0) is None
    with pytest.raises(IndexError, match="outside a block of shape"):
        matrix.cell_of((3, 0))


def test_separators_lie_between_tiles():
    xs, ys = tiling((4, 3, 2, 5)).separators()
    assert xs == [5.0, 10.0]
    assert ys == [2.0, 4.0, 6.0]


def test_index_labels_thin_out_to_the_room_there_is():
    assert index_ticks(8) == [[(i + 0.5, str(i)) for i in range(8)]]
    assert [label for _, label in index_ticks(100, room=5)[0]] == ["0", "20", "40", "60", "80"]
    tiles = index_ticks(4, unit=3.0, labels=["a", "b", "c", "d"], room=2)[0]
    assert tiles == [(1.5, "a"), (7.5, "c")]  # every 2nd tile, at tile centres


def test_colour_bar_ticks_keep_a_line_apart():
    # on a 100 px bar over 1e-10 … 1: 1e-3 and 1e-2 are 10 px apart
    assert spaced_ticks(REL_TICKS, (-10.0, 0.0), 100, 20) == REL_TICKS[:3]
    assert spaced_ticks(REL_TICKS, (-10.0, 0.0), 1000, 20) == REL_TICKS
