"""The desktop bundle: packaging/build.sh builds a one-folder app that starts offscreen, finds its
presets, lessons and icon, and runs the CLI; and the desktop entry and MIME type agree."""

import os
import subprocess
import xml.etree.ElementTree as ET
from configparser import ConfigParser

import pytest
from source_tree import ROOT, source_copy

from gradviz.resource_paths import lessons_dir, presets_dir

PACKAGING = ROOT / "packaging"


def test_the_desktop_entry_opens_gradviz_sessions_with_the_file_clicked():
    entry = ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "gradviz.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "gradviz %f"
    assert desktop["Icon"] == "gradviz"
    mime = ET.parse(PACKAGING / "gradviz-mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    (kind,) = mime.findall("m:mime-type", ns)
    assert desktop["MimeType"] == f"{kind.get('type')};"
    assert [g.get("pattern") for g in kind.findall("m:glob", ns)] == ["*.gradviz.json"]


@pytest.mark.slow
def test_the_bundle_starts_offscreen_and_finds_its_presets_lessons_and_icon(tmp_path):
    source = source_copy(tmp_path / "source")
    dist, build = tmp_path / "dist", tmp_path / "build"
    env = {**os.environ, "GRADVIZ_DIST": str(dist), "GRADVIZ_BUILD_DIR": str(build)}
    env.pop("PYTHONPATH", None)
    built = subprocess.run(["bash", str(source / "packaging" / "build.sh")], env=env, capture_output=True,
                           text=True, timeout=1800, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    app = dist / "gradviz" / "gradviz"
    run_env = {**env, "QT_QPA_PLATFORM": "offscreen"}
    smoke = subprocess.run([str(app), "--smoke-test"], env=run_env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=300, check=False)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    presets = len(list(presets_dir().glob("*.gradviz.json")))
    lessons = len(list(lessons_dir().glob("*.gradviz.json")))
    assert f"{presets} presets, {lessons} lessons, icon ok" in smoke.stdout
    check = subprocess.run([str(app), "check"], env=run_env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=300, check=False)
    assert check.returncode == 0, check.stderr
    assert "great" in check.stdout
    desktop = (dist / "gradviz" / "gradviz.desktop").read_text(encoding="utf-8")
    assert f"Exec={app} %f" in desktop
