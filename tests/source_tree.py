"""A copy of the files a build reads (pyproject.toml, README.md, gradviz/, resources/, packaging/),
so that install and bundle tests leave nothing in the working tree."""

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def source_copy(folder: Path) -> Path:
    """The files a build reads, copied so that the build leaves nothing in the working tree."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("gradviz", "resources", "packaging"):
        shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, folder / name)
    return folder
