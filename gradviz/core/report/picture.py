"""The heatmap as a PNG, drawn with numpy alone: one image per block, laid out as the app lays them
out (each layer a row, W beside its b), on the app's colour scale of the relative error.

A numpy + zlib PNG encoder rather than pyqtgraph's exporter: a notebook or a test suite gets the
picture without a display and without a QApplication, which would tie the process to an offscreen
platform and break a later ``%gui qt``.
"""

from __future__ import annotations

import re
import struct
import zlib

import numpy as np

from gradviz.core.report.check_report import BlockResult, CheckReport

REL_LEVELS = (-10.0, 0.0)  # log10 of the relative error at the two ends of the colour scale
REL_MARKS = (-7.0, -5.0, -3.0, -2.0)  # the lectures' thresholds, marked on the colour bar
MAX_PIXELS = 256  # bigger blocks show the worst component of each group of cells
MAX_CELL = 24  # pixels per component at most (tiny blocks stay small)
TARGET = 320  # the largest block's longer side, in pixels, before MAX_CELL caps it
GAP, MARGIN, BAR_WIDTH, BAR_HEIGHT = 8, 8, 12, 160
BACKGROUND, UNCHECKED, INK = (255, 255, 255), (232, 232, 232), (60, 60, 60)
# viridis, the app's colour map (pyqtgraph's), sampled at 33 evenly spaced points
_VIRIDIS = bytes.fromhex(
    "440154470d6048186a482374472d7b4537814240863e49893b528b375b8d33638d2f6b8e2c728e297a8e26828e23898e"
    "21918c1f978b1f9f8821a68527ad8131b57b3dbc744cc26c5cc8636ece5881d34d95d840aadc32c0df25d5e21aeae51a"
    "fde725"
)
_LAYERED = re.compile(r"^[A-Za-z]+(\d+)$")


def viridis(t: np.ndarray) -> np.ndarray:
    """Colours (t.shape + (3,), uint8) of values t in [0, 1] (clipped)."""
    points = np.frombuffer(_VIRIDIS, dtype=np.uint8).reshape(-1, 3).astype(np.float64)
    x = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0) * (len(points) - 1)
    channels = [np.interp(x, np.arange(len(points)), points[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def as_grid(values: np.ndarray) -> np.ndarray:
    """Any block as a 2-D image: a vector is a column (a bias beside its W), a scalar one cell, and
    an N-D block a grid of tiles, its even axes down and its odd axes across ((N, C, H, W) gives N
    rows of C tiles of H×W)."""
    values = np.asarray(values)
    if values.ndim < 2:
        return values.reshape(-1, 1)
    down, across = values.shape[0::2], values.shape[1::2]
    order = [*range(0, values.ndim, 2), *range(1, values.ndim, 2)]
    return values.transpose(order).reshape(int(np.prod(down)), int(np.prod(across)))


def pool_worst(values: np.ndarray, limit: int = MAX_PIXELS) -> np.ndarray:
    """Shrink a 2-D image to at most ``limit`` pixels per axis, keeping the largest value of each
    group of cells (NaN only where the whole group is NaN), so one bad component still shows."""
    rows, cols = values.shape
    fr, fc = -(-rows // limit), -(-cols // limit)
    if fr == fc == 1:
        return values
    with np.errstate(invalid="ignore"):
        pooled = np.fmax.reduceat(values, np.arange(0, rows, fr), axis=0)
        return np.fmax.reduceat(pooled, np.arange(0, cols, fc), axis=1)


def block_levels(block: BlockResult) -> tuple[np.ndarray, np.ndarray]:
    """log10 relative error clipped to REL_LEVELS (NaN: unchecked) and the kink mask, as 2-D
    images of at most MAX_PIXELS per axis."""
    with np.errstate(divide="ignore"):
        levels = np.clip(np.log10(block.rel_error), *REL_LEVELS)
    levels[~block.checked] = np.nan
    kinks = np.where(block.kink, 1.0, np.nan)
    return pool_worst(as_grid(levels)), pool_worst(as_grid(kinks)) == 1.0


def paint_block(levels: np.ndarray, kinks: np.ndarray, cell: int) -> np.ndarray:
    """RGB pixels (rows·cell, cols·cell, 3): colour by level, grey where unchecked, white stripes
    across components that crossed a kink."""
    span = REL_LEVELS[1] - REL_LEVELS[0]
    rgb = viridis((np.nan_to_num(levels, nan=REL_LEVELS[0]) - REL_LEVELS[0]) / span)
    rgb[np.isnan(levels)] = UNCHECKED
    big = rgb.repeat(cell, axis=0).repeat(cell, axis=1)
    if kinks.any():
        y, x = np.indices(big.shape[:2])
        stripes = ((x + y) % 4 == 0) if cell >= 3 else np.ones(big.shape[:2], dtype=bool)
        big[kinks.repeat(cell, axis=0).repeat(cell, axis=1) & stripes] = (255, 255, 255)
    return big


def layout_rows(names: list[str]) -> list[list[str]]:
    """Blocks in rows as the app shows them: one row per layer number (W2 beside b2), in report
    order; names without a layer number (x, w, gamma) share the first row."""
    rows: dict[int, list[str]] = {}
    for name in names:
        match = _LAYERED.match(name)
        rows.setdefault(int(match.group(1)) if match else 0, []).append(name)
    return [rows[k] for k in sorted(rows)]


def colour_bar(height: int) -> np.ndarray:
    """The scale, high errors on top, with dark ticks at REL_MARKS: (height, BAR_WIDTH, 3)."""
    t = np.linspace(1.0, 0.0, height)
    bar = np.repeat(viridis(t)[:, None, :], BAR_WIDTH, axis=1)
    lo, hi = REL_LEVELS
    for mark in REL_MARKS:
        row = round((hi - mark) / (hi - lo) * (height - 1))
        bar[row, : BAR_WIDTH // 2] = INK
    return bar


def heatmap_rgb(report: CheckReport) -> np.ndarray:
    """The whole report as one RGB image (H, W, 3), uint8."""
    images = {name: block_levels(b) for name, b in report.blocks.items()}
    longest = max((max(levels.shape) for levels, _ in images.values()), default=1)
    cell = int(np.clip(TARGET // longest, 1, MAX_CELL))
    rows = [[paint_block(*images[n], cell) for n in row] for row in layout_rows(list(images))]
    heights = [max(p.shape[0] for p in row) for row in rows]
    widths = [sum(p.shape[1] for p in row) + GAP * (len(row) - 1) for row in rows]
    bar = colour_bar(BAR_HEIGHT)
    height = max(sum(heights) + GAP * (len(rows) - 1), BAR_HEIGHT) + 2 * MARGIN
    width = max(widths, default=0) + GAP * 2 + BAR_WIDTH + 2 * MARGIN
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = BACKGROUND
    top = MARGIN
    for row, row_height in zip(rows, heights, strict=True):
        left = MARGIN
        for picture in row:
            canvas[top : top + picture.shape[0], left : left + picture.shape[1]] = picture
            left += picture.shape[1] + GAP
        top += row_height + GAP
    canvas[MARGIN : MARGIN + BAR_HEIGHT, width - MARGIN - BAR_WIDTH : width - MARGIN] = bar
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
