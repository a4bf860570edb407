"""The window stays inside real screens (1024×768 projector, 1366×768 laptop) with the classroom's
docks open: tests/ui/on_screen.py runs in a fresh process on a simulated screen of each size."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1024, 768), (1366, 768)]


def run_on_screen(tmp_path: Path, width: int, height: int, test: str) -> subprocess.CompletedProcess:
    """Run one test of tests/ui/on_screen.py with a single screen of ``width`` × ``height``."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"tests/ui/on_screen.py::{test}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_classroom_docks_keep_the_window_on_screen(tmp_path, width, height):
    done = run_on_screen(tmp_path, width, height, "test_classroom_docks_keep_the_window_inside_the_screen")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
