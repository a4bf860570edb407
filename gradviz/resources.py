"""Where the shipped presets and lessons are: beside the package in a checkout or editable
install, or under <prefix>/share/gradviz (or the user base's) after a regular install."""

from __future__ import annotations

import site
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding presets/ and lessons/: beside the package, else where pip put the
    data files (the environment's prefix, or the user base for ``pip install --user``)."""
    candidates = [Path(__file__).resolve().parent.parent / "resources",
                  Path(sys.prefix) / "share" / "gradviz",
                  Path(site.getuserbase()) / "share" / "gradviz"]
    return next((c for c in candidates if (c / "presets").is_dir()), candidates[0])


def presets_dir() -> Path:
    return resources_dir() / "presets"


def lessons_dir() -> Path:
    return resources_dir() / "lessons"
