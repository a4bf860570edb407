"""The notebook's and pytest's heatmap PNG uses the app's colour map (pyqtgraph's viridis)."""

import numpy as np
import pyqtgraph as pg

from gradviz.core.report import picture
from gradviz.core.report.levels import REL_LEVELS, SEQUENTIAL
from gradviz.core.report.picture import viridis


def test_the_png_colours_match_the_app_within_two_levels_of_255():
    t = np.linspace(0.0, 1.0, 1001)
    app = pg.colormap.get(SEQUENTIAL).map(t, mode="byte")[:, :3].astype(int)
    assert np.abs(viridis(t).astype(int) - app).max() <= 2


def test_the_png_scale_is_the_app_scale():
    assert picture.REL_LEVELS == REL_LEVELS
