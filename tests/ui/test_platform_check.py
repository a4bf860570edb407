"""On a bare Linux machine the app says in one line what to install or set, and exits 2, instead
of Qt's abort."""

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradviz.ui.platform_check import (
    debian_package,
    missing_libraries,
    platform_name,
    start_problem,
    xcb_plugin,
)

ROOT = Path(__file__).resolve().parents[2]
XCB_LIBRARIES = ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0")


def loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def test_the_platform_is_the_one_qt_will_choose():
    assert platform_name({}) == "xcb"
    assert platform_name({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert platform_name({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert platform_name({"QT_QPA_PLATFORM": "vnc:size=800x600"}) == "vnc"
    assert platform_name({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}) == "wayland"
    assert platform_name({"XDG_SESSION_TYPE": "wayland"}) == "xcb"
    assert platform_name({"QT_QPA_PLATFORM": "xcb"}, ["-platform", "offscreen"]) == "offscreen"


def test_library_packages_follow_debian_naming():
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"
    assert debian_package("libEGL.so.1") == "libegl1"


def test_each_problem_is_one_line_naming_the_fix():
    assert start_problem({"QT_QPA_PLATFORM": "offscreen"}, system="linux") is None
    assert start_problem({}, system="darwin") is None
    no_display = start_problem({}, system="linux")
    assert "DISPLAY is not set" in no_display
    assert "QT_QPA_PLATFORM=offscreen" in no_display
    assert "WAYLAND_DISPLAY is not set" in start_problem({"QT_QPA_PLATFORM": "wayland"}, system="linux")
    missing = start_problem({"DISPLAY": ":0"}, system="linux", missing=["libxcb-cursor.so.0"])
    assert missing == ("Qt's xcb platform cannot load libxcb-cursor.so.0: run `sudo apt-get install "
                       "libxcb-cursor0` (or set QT_QPA_PLATFORM=offscreen to run without a screen)")
    assert start_problem({"DISPLAY": ":0"}, system="linux", missing=[]) is None
    assert all("\n" not in p for p in (no_display, missing))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Qt's platform on Linux")
@pytest.mark.parametrize("soname", XCB_LIBRARIES)
def test_the_xcb_plugin_libraries_found_missing_are_those_the_loader_cannot_load(soname):
    assert (soname in missing_libraries(xcb_plugin())) == (not loadable(soname))


def run_app(env_changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(env_changes, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "gradviz"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux")
def test_the_app_without_a_display_exits_2_with_one_line():
    result = run_app({})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "gradviz: no display to open the window on (DISPLAY is not set): start gradviz in a desktop "
        "session, or set QT_QPA_PLATFORM=offscreen to run without a screen")


@pytest.mark.skipif(not sys.platform.startswith("linux") or not missing_libraries(xcb_plugin()),
                    reason="needs a machine where Qt's xcb plugin lacks a library")
def test_the_app_missing_an_xcb_library_exits_2_naming_the_package():
    result = run_app({"DISPLAY": ":99", "QT_QPA_PLATFORM": "xcb"})
    packages = " ".join(dict.fromkeys(debian_package(s) for s in missing_libraries(xcb_plugin())))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"`sudo apt-get install {packages}`" in result.stderr
