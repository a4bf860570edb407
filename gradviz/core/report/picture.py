"""The heatmap as a PNG, drawn with numpy alone and laid out as the app lays it out: the same grid
of blocks and tiles (core.report.layout), the same relative-error levels, pooling and noise-floor
marks (core.report.levels), on the app's colour map; kink-crossed components are hatched white.

A numpy + zlib PNG encoder rather than pyqtgraph's exporter: a notebook or a test suite gets the
picture without a display and without a QApplication, which would tie the process to an offscreen
platform and break a later ``%gui qt``.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.core.report.layout import Placement, place_blocks
from gradviz.core.report.levels import (
    REL_LEVELS,
    REL_TICKS,
    marked_mosaics,
    marks_rgba,
    mode_values,
    pool,
    pool_any,
    pool_marks,
)

MAX_CELL = 24  # pixels per component at most (tiny blocks stay small)
TARGET = 320  # the largest block's longer side, in pixels, before MAX_CELL caps it
MIN_SIDE = 6  # pixels: a thinner block is stretched across (a bias beside a big W stays visible)
GAP, MARGIN, BAR_WIDTH, BAR_HEIGHT = 8, 8, 12, 160
BACKGROUND, UNCHECKED, INK, KINK_INK = (255, 255, 255), (232, 232, 232), (60, 60, 60), (255, 255, 255)
# viridis, the app's colour map (pyqtgraph's), sampled at 33 evenly spaced points
_VIRIDIS = bytes.fromhex(
    "440154470d6048186a482374472d7b4537814240863e49893b528b375b8d33638d2f6b8e2c728e297a8e26828e23898e"
    "21918c1f978b1f9f8821a68527ad8131b57b3dbc744cc26c5cc8636ece5881d34d95d840aadc32c0df25d5e21aeae51a"
    "fde725"
)


def viridis(t: np.ndarray) -> np.ndarray:
    """Colours (t.shape + (3,), uint8) of values t in [0, 1] (clipped)."""
    points = np.frombuffer(_VIRIDIS, dtype=np.uint8).reshape(-1, 3).astype(np.float64)
    x = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0) * (len(points) - 1)
    channels = [np.interp(x, np.arange(len(points)), points[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


@dataclass(frozen=True)
class BlockImage:
    """What the picture draws for one block, per cell of its mosaic pooled as the app pools it
    (all (rows, cols)): ``levels`` log10 relative error (NaN: no value drawn), ``marks`` the
    noise-floor marks, ``kinks`` crossed a kink, ``filled`` holds a component (not an empty slot
    of a wrapped grid of tiles); ``placement`` is the block's place in the app's grid."""

    placement: Placement
    levels: np.ndarray
    marks: np.ndarray
    kinks: np.ndarray
    filled: np.ndarray


def block_image(block: BlockResult, placement: Placement) -> BlockImage:
    """The block as the app's relative-error mode draws it at ``placement``."""
    tiling = placement.tiling
    shown, marks, checked = marked_mosaics(block, tiling, mode_values(block, "rel", REL_LEVELS))
    filled = tiling.mosaic(np.ones(tiling.shape, dtype=bool), fill=False)
    return BlockImage(placement, pool(shown, "rel"), pool_marks(marks, checked),
                      pool_any(tiling.mosaic(block.kink, fill=False)), pool_any(filled))


def block_images(report: CheckReport) -> dict[str, BlockImage]:
    """Every block of the report, placed as the app places it."""
    placements, _ = place_blocks({name: b.analytic.shape for name, b in report.blocks.items()})
    return {name: block_image(report.blocks[name], p) for name, p in placements.items()}


def _kink_pattern(cell: int) -> np.ndarray:
    """The pixels (cell, cell) of one kink-crossed cell drawn in KINK_INK: as in the app, an
    outlined square of 0.8 cell with "/" hatching; small cells are filled."""
    if cell < 5:
        return np.ones((cell, cell), dtype=bool)
    i, j = np.indices((cell, cell))
    lo, hi = round(cell * 0.1), cell - 1 - round(cell * 0.1)
    square = (i >= lo) & (i <= hi) & (j >= lo) & (j <= hi)
    edge = (i == lo) | (i == hi) | (j == lo) | (j == hi)
    return square & (edge | ((i + j) % 4 == 0))


def block_pixels(image: BlockImage, cell: int) -> tuple[int, int]:
    """(height, width) in pixels of a block drawn at ``cell`` pixels per cell: at least MIN_SIDE."""
    return tuple(n * cell * max(1, -(-MIN_SIDE // (n * cell))) for n in image.levels.shape)


def paint_block(image: BlockImage, cell: int) -> np.ndarray:
    """RGB pixels (block_pixels, 3): colour by level, light grey where unchecked, the noise-floor
    marks in the app's greys, kinks hatched, and lines between tiles."""
    lo, hi = REL_LEVELS
    rgb = viridis((np.nan_to_num(image.levels, nan=lo) - lo) / (hi - lo))
    rgb[np.isnan(image.levels)] = UNCHECKED
    rgb[~image.filled] = BACKGROUND
    big = rgb.repeat(cell, axis=0).repeat(cell, axis=1)
    marks = marks_rgba(image.marks, cell)
    big = np.where(marks[..., 3:] > 0, marks[..., :3], big)
    kinks = image.kinks.repeat(cell, axis=0).repeat(cell, axis=1)
    big[kinks & np.tile(_kink_pattern(cell), image.kinks.shape)] = KINK_INK
    tiling = image.placement.tiling
    (rows, cols), (height, width) = tiling.size, big.shape[:2]
    xs, ys = tiling.separators()
    if width * tiling.tile[1] >= 4 * cols:  # lines only where a tile is at least 4 px across
        big[:, [round(x * width / cols) for x in xs]] = BACKGROUND
    if height * tiling.tile[0] >= 4 * rows:
        big[[round(y * height / rows) for y in ys], :] = BACKGROUND
    (rows_px, cols_px) = block_pixels(image, cell)
    return big.repeat(rows_px // height, axis=0).repeat(cols_px // width, axis=1)


@dataclass(frozen=True)
class Arrangement:
    """Where the blocks go on the canvas: ``cell`` pixels per (pooled) mosaic cell, each block's
    ``origins`` (top, left) in pixels, and the ``size`` (height, width) of the grid of blocks."""

    cell: int
    origins: dict[str, tuple[int, int]]
    size: tuple[int, int]


def arrange(images: dict[str, BlockImage]) -> Arrangement:
    """The app's grid in pixels: blocks side by side in grid columns as wide as their widest block
    (one that has its row to itself spans them all), rows as tall as their tallest block."""
    longest = max((max(im.levels.shape) for im in images.values()), default=1)
    cell = int(np.clip(TARGET // max(longest, 1), 1, MAX_CELL))
    placements = {name: im.placement for name, im in images.items()}
    n_rows = 1 + max((p.row for p in placements.values()), default=0)
    n_cols = 1 + max((p.col for p in placements.values()), default=0)
    heights, widths, spans = [0] * n_rows, [0] * n_cols, [0]
    for im in images.values():
        p, (height, width) = im.placement, block_pixels(im, cell)
        heights[p.row] = max(heights[p.row], height)
        if p.alone:
            spans.append(width)
        else:
            widths[p.col] = max(widths[p.col], width)
    tops = np.cumsum([0] + [h + GAP for h in heights])
    lefts = np.cumsum([0] + [w + GAP for w in widths])
    origins = {name: (int(tops[p.row]), int(lefts[p.col])) for name, p in placements.items()}
    return Arrangement(cell, origins, (int(tops[-1] - GAP), max(int(lefts[-1] - GAP), *spans)))


def colour_bar(height: int) -> np.ndarray:
    """The scale, high errors on top, with dark ticks at the app's ticks: (height, BAR_WIDTH, 3)."""
    t = np.linspace(1.0, 0.0, height)
    bar = np.repeat(viridis(t)[:, None, :], BAR_WIDTH, axis=1)
    lo, hi = REL_LEVELS
    for mark, _ in REL_TICKS:
        row = round((hi - mark) / (hi - lo) * (height - 1))
        bar[row, : BAR_WIDTH // 2] = INK
    return bar


def heatmap_rgb(report: CheckReport) -> np.ndarray:
    """The whole report as one RGB image (H, W, 3), uint8."""
    images = block_images(report)
    layout = arrange(images)
    grid_height, grid_width = layout.size
    height = max(grid_height, BAR_HEIGHT) + 2 * MARGIN
    width = grid_width + GAP * 2 + BAR_WIDTH + 2 * MARGIN
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = BACKGROUND
    for name, image in images.items():
        picture = paint_block(image, layout.cell)
        top, left = (MARGIN + v for v in layout.origins[name])
        canvas[top : top + picture.shape[0], left : left + picture.shape[1]] = picture
    canvas[MARGIN : MARGIN + BAR_HEIGHT, width - MARGIN - BAR_WIDTH : width - MARGIN] = colour_bar(BAR_HEIGHT)
    return canvas


def encode_png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of ``rgb`` (H, W, 3), uint8."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, channels = rgb.shape
    if channels != 3:
        raise ValueError(f"encode_png needs an (H, W, 3) image; got shape {rgb.shape}")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    scanlines = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rgb.reshape(height, -1)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(scanlines.tobytes(), 6)) + chunk(b"IEND", b""))


def report_png(report: CheckReport) -> bytes:
    """The report's heatmap as PNG bytes."""
    return encode_png(heatmap_rgb(report))
