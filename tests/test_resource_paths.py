"""Presets, lessons and the icon are found in a source checkout and in an installed copy, and the
build ships every package and every resource file."""

import os
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from source_tree import ROOT, source_copy

from gradviz.resource_paths import ICON_SIZES, icon_path, lessons_dir, presets_dir, resources_dir

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LISTING = (
    "from gradviz.resource_paths import presets_dir, lessons_dir, icon_path\n"
    "print(presets_dir().parent)\n"
    "print(len(list(presets_dir().glob('*.gradviz.json'))), len(list(lessons_dir().glob('*.md'))),"
    " icon_path(48).is_file())\n"
)


def test_a_checkout_reads_the_top_level_resources_folder():
    assert resources_dir() == ROOT / "resources"
    assert (presets_dir() / "spiral-tanh.gradviz.json").is_file()
    assert len(list(lessons_dir().glob("*.gradviz.json"))) == len(list(lessons_dir().glob("*.md"))) >= 10
    assert icon_path().suffix == ".svg"
    assert icon_path().is_file()
    assert all(icon_path(size).is_file() for size in ICON_SIZES)


def test_an_unknown_icon_size_is_named():
    with pytest.raises(ValueError, match="size must be one of 16, 24"):
        icon_path(20)


def test_the_build_lists_every_package():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "gradviz").rglob("__init__.py")}
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert listed == found | {"gradviz.resources"}
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"gradviz.resources": "resources"}


def test_the_build_ships_every_resource_file():
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["gradviz.resources"]
    files = [p.relative_to(ROOT / "resources").as_posix() for p in (ROOT / "resources").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.name != "__init__.py"]
    assert files
    assert [f for f in files if not any(fnmatch(f, g) for g in globs)] == []


def test_pip_install_target_finds_them_through_importlib_resources(tmp_path):
    """A --target install has no prefix of its own: the files must come from inside the package."""
    target = tmp_path / "site"
    source = source_copy(tmp_path / "source")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
                    "--disable-pip-version-check", "--target", str(target), str(source)],
                   check=True, capture_output=True, timeout=300)
    assert (target / "gradviz" / "resources" / "presets" / "spiral-tanh.gradviz.json").is_file()
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", LISTING], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert Path(out[0]) == target / "gradviz" / "resources"
    presets = len(list(presets_dir().glob("*.gradviz.json")))
    lessons = len(list(lessons_dir().glob("*.md")))
    assert out[1] == f"{presets} {lessons} True"


def venv_python(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    return folder / "bin" / "python"


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
                   check=True, capture_output=True, timeout=900)


def listing(python: Path, cwd: Path) -> list[str]:
    return subprocess.run([str(python), "-c", LISTING], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": ""}).stdout.splitlines()


@pytest.mark.slow
def test_a_wheel_in_a_venv_and_an_editable_install_find_them(tmp_path):
    source = source_copy(tmp_path / "source")
    python = venv_python(tmp_path / "venv")
    subprocess.run([str(python), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheels"),
                    str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "wheels").glob("gradviz-*.whl")
    pip(python, str(wheel))
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    presets, lessons = len(list(presets_dir().glob("*.gradviz.json"))), len(list(lessons_dir().glob("*.md")))
    expected_counts = f"{presets} {lessons} True"
    assert listing(python, tmp_path) == [str(site / "gradviz" / "resources"), expected_counts]
    check = subprocess.run([str(tmp_path / "venv" / "bin" / "gradviz"), "check"], capture_output=True,
                           text=True, timeout=300, check=False)
    assert check.returncode == 0, check.stderr
    plugin = subprocess.run([str(python), "-c", "import importlib.metadata as m; "
                             "print([e.value for e in m.entry_points(group='pytest11', name='gradviz')])"],
                            check=True, capture_output=True, text=True).stdout.strip()
    assert plugin == "['gradviz.pytest_plugin']"

    pip(python, "--no-deps", "-e", str(source))
    assert listing(python, tmp_path) == [str(source / "resources"), expected_counts]
