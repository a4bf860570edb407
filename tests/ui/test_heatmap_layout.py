"""How many labels an axis of the heatmap shows and which ticks its colour bar keeps (no Qt window)."""

from gradviz.core.report.levels import REL_TICKS
from gradviz.ui.check.heatmap_block import index_ticks
from gradviz.ui.check.heatmap_colourbar import spaced_ticks


def test_index_labels_thin_out_to_the_room_there_is():
    assert index_ticks(8) == [[(i + 0.5, str(i)) for i in range(8)]]
    assert [label for _, label in index_ticks(100, room=5)[0]] == ["0", "20", "40", "60", "80"]
    tiles = index_ticks(4, unit=3.0, labels=["a", "b", "c", "d"], room=2)[0]
    assert tiles == [(1.5, "a"), (7.5, "c")]  # every 2nd tile, at tile centres


def test_colour_bar_ticks_keep_a_line_apart():
    # on a 100 px bar over 1e-10 … 1: 1e-3 and 1e-2 are 10 px apart
    assert spaced_ticks(REL_TICKS, (-10.0, 0.0), 100, 20) == REL_TICKS[:3]
    assert spaced_ticks(REL_TICKS, (-10.0, 0.0), 1000, 20) == REL_TICKS
