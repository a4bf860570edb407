"""Before the QApplication exists: can Qt open a window here? On Linux, Qt aborts (exit 134) with a
long message when there is no display or when its xcb platform plugin misses a system library
(libxcb-cursor0 on a fresh Debian or Ubuntu); this says in one line what to install or set."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

OFFSCREEN_HINT = "or set QT_QPA_PLATFORM=offscreen to run without a screen"


def platform_name(environ: Mapping[str, str], argv: Sequence[str] = ()) -> str:
    """The platform plugin Qt will load: ``-platform NAME``, else QT_QPA_PLATFORM (its first
    choice), else wayland in a Wayland session and xcb otherwise."""
    args = list(argv)
    if "-platform" in args[:-1]:
        return args[args.index("-platform") + 1].split(":")[0]
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0]
    if chosen:
        return chosen
    wayland = environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY")
    return "wayland" if wayland else "xcb"


def xcb_plugin() -> Path:
    """Qt's xcb platform plugin (inside PySide6, or inside a bundle)."""
    from PySide6.QtCore import QLibraryInfo

    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"


def missing_libraries(library: Path) -> list[str]:
    """The shared libraries ``library`` needs that the dynamic loader cannot find (from ``ldd``;
    empty when ldd or the file is not there)."""
    try:
        listing = subprocess.run(["ldd", str(library)], capture_output=True, text=True, timeout=20,
                                 check=False).stdout
    except OSError:
        return []
    return list(dict.fromkeys(re.findall(r"^\s*(\S+) => not found", listing, flags=re.MULTILINE)))


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library: libxcb-cursor.so.0 → libxcb-cursor0,
    libxkbcommon-x11.so.0 → libxkbcommon-x11-0 (Debian's naming of library packages)."""
    match = re.fullmatch(r"(.+)\.so\.(\d+).*", soname)
    if not match:
        return soname
    stem, major = match.group(1).lower(), match.group(2)
    return f"{stem}{'-' if stem[-1].isdigit() else ''}{major}"


def start_problem(environ: Mapping[str, str] | None = None, argv: Sequence[str] = (), *,
                  system: str = sys.platform, missing: Sequence[str] | None = None) -> str | None:
    """Why Qt could not open a window here, in one line, or None when nothing is known to stop it.

    missing: the libraries the xcb plugin lacks (default: asked of ``ldd``)."""
    environ = os.environ if environ is None else environ
    if not system.startswith("linux"):
        return None
    platform = platform_name(environ, argv)
    if platform == "wayland" and not environ.get("WAYLAND_DISPLAY"):
        return f"no Wayland display to open the window on (WAYLAND_DISPLAY is not set); {OFFSCREEN_HINT}"
    if platform != "xcb":
        return None
    if not environ.get("DISPLAY"):
        return ("no display to open the window on (DISPLAY is not set): start gradviz in a desktop "
                f"session, {OFFSCREEN_HINT}")
    missing = missing_libraries(xcb_plugin()) if missing is None else missing
    if missing:
        packages = " ".join(dict.fromkeys(map(debian_package, missing)))
        return (f"Qt's xcb platform cannot load {', '.join(missing)}: run "
                f"`sudo apt-get install {packages}` ({OFFSCREEN_HINT})")
    return None


def cannot_start(argv: Sequence[str] = ()) -> bool:
    """Print the start problem (one line on stderr) and return True, or return False."""
    problem = start_problem(argv=argv)
    if problem:
        print(f"gradviz: {problem}", file=sys.stderr)
    return bool(problem)
