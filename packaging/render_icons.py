"""Render resources/icons/gradviz.svg to the PNG sizes the app, the bundle and the desktop file use.

Run after editing the SVG: ``QT_QPA_PLATFORM=offscreen python packaging/render_icons.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradviz.resource_paths import ICON_SIZES, icon_path  # noqa: E402


def render(svg: Path, size: int, out: Path) -> None:
    """Draw the SVG into a transparent size×size image and save it as PNG."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out), "PNG"):
        raise OSError(f"could not write {out}")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(["render_icons"])  # QImage text/SVG need one
    for size in ICON_SIZES:
        render(icon_path(), size, icon_path(size))
        print(icon_path(size).relative_to(ROOT))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
