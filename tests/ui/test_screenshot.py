"""Render the window off screen to PNG, in light and dark, and check the heatmap is drawn.

Set GRADVIZ_SCREENSHOTS to a folder to keep the images for a look."""

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from gradviz.ui.common.theme import apply_theme


def pixels(image: QImage) -> np.ndarray:
    """(h, w, 3) uint8 RGB."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return raw[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def background(cells: np.ndarray) -> np.ndarray:
    """The most common colour."""
    colours, counts = np.unique(cells.reshape(-1, 3), axis=0, return_counts=True)
    return colours[np.argmax(counts)]


def filled_fraction(cells: np.ndarray, empty: np.ndarray) -> float:
    """The share of pixels that differ from the empty block's colour."""
    return float(np.any(cells.reshape(-1, 3) != empty, axis=1).mean())


def block_pixels(window, image: QImage, name: str) -> np.ndarray:
    """The pixels of one block's cells in a grab of the window."""
    rect = window.heatmap.block_rect(name)
    corner = window.heatmap.mapTo(window, rect.topLeft())
    r = image.devicePixelRatio()
    x, y, w, h = (int(v * r) for v in (corner.x(), corner.y(), rect.width(), rect.height()))
    return pixels(image)[y + 6 : y + h - 6, x + 6 : x + w - 6]  # inside the axes


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_window_renders_a_filled_heatmap(user, window, tmp_path, theme):
    apply_theme(theme)
    window.resize(1280, 800)
    user.choose("bugCombo", "dW_x2")
    user.type_into("bugLayerSpin", "2")
    blank = window.grab().toImage()
    empty = background(block_pixels(window, blank, "W1"))
    assert filled_fraction(block_pixels(window, blank, "W2"), empty) < 0.01
    user.run_check()
    verdict = window.verdict
    user.qtbot.waitUntil(lambda: verdict.height() >= verdict.heightForWidth(verdict.width()))
    image = window.grab().toImage()
    folder = Path(os.environ.get("GRADVIZ_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    assert image.save(str(folder / f"window-{theme}.png"))
    for name in ("W1", "b1", "W2", "b2"):
        cells = block_pixels(window, image, name)
        assert filled_fraction(cells, empty) > 0.9, name  # coloured cells, not an empty box
    # the planted bug makes W2 bright (large error) and leaves W1 dark (tiny error)
    assert block_pixels(window, image, "W2").mean() > block_pixels(window, image, "W1").mean() + 60
    apply_theme("light")
