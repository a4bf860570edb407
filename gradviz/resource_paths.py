"""Where the shipped presets, lessons and icon are, in every kind of install.

They live in the top-level ``resources/`` folder of the source tree, which the build installs as
the package ``gradviz.resources``; ``importlib.resources`` finds it in a wheel, ``pip install
--target``, an editable install and a PyInstaller bundle alike. A source checkout run with
``PYTHONPATH`` (no install) reads the folder beside the package.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

PACKAGE = "gradviz.resources"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """The folder holding presets/, lessons/ and icons/."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "resources" / "__init__.py").is_file():
        return checkout / "resources"  # a source tree: the same folder an editable install maps
    return Path(str(importlib.resources.files(PACKAGE)))


def presets_dir() -> Path:
    return resources_dir() / "presets"


def lessons_dir() -> Path:
    return resources_dir() / "lessons"


def icon_path(size: int | None = None) -> Path:
    """The app icon: the SVG, or the PNG of one of ICON_SIZES pixels."""
    if size is None:
        return resources_dir() / "icons" / "gradviz.svg"
    if size not in ICON_SIZES:
        raise ValueError(f"size must be one of {', '.join(map(str, ICON_SIZES))}; got {size!r}")
    return resources_dir() / "icons" / f"gradviz-{size}.png"
