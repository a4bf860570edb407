"""Where the shipped presets and lessons are: beside the package in a checkout or editable
install, or under <prefix>/share/gradviz after a regular install."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding presets/ and lessons/."""
    beside = Path(__file__).resolve().parent.parent / "resources"
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "gradviz"


def presets_dir() -> Path:
    return resources_dir() / "presets"


def lessons_dir() -> Path:
    return resources_dir() / "lessons"
