"""What the app remembers between runs (QSettings, INI format): window layout, theme, recent
files, whether saved sessions include the parameters, the Python model files the user agreed to
run and the worker processes for checking them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8
THEMES = ("system", "light", "dark")


def app_settings() -> QSettings:
    """The user's gradviz settings (tests redirect them with QSettings.setPath)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gradviz", "gradviz")


class AppSettings:
    """Typed access to the few values gradviz keeps in QSettings."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._s = settings if settings is not None else app_settings()

    # -- window layout -------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)
        self._s.sync()

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- theme ---------------------------------------------------------------------------------
    def theme(self) -> str:
        value = self._s.value("view/theme", "system")
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}; got {theme!r}")
        self._s.setValue("view/theme", theme)

    # -- files ---------------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        return self._list("files/recent")[:MAX_RECENT]

    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put ``path`` first in the recent files (no duplicates); return the new list."""
        path = str(Path(path).resolve())
        files = [path, *(f for f in self.recent_files() if f != path)][:MAX_RECENT]
        self._s.setValue("files/recent", files)
        self._s.sync()
        return files

    def remove_recent_file(self, path: str) -> list[str]:
        files = [f for f in self.recent_files() if f != path]
        self._s.setValue("files/recent", files)
        return files

    def save_params(self) -> bool:
        return self._s.value("files/save_params", True, type=bool)

    def set_save_params(self, value: bool) -> None:
        self._s.setValue("files/save_params", bool(value))

    # -- model files ---------------------------------------------------------------------------
    def is_trusted(self, path: str | Path) -> bool:
        """Whether the user agreed to run the Python file at ``path`` (its resolved path)."""
        return str(Path(path).resolve()) in self._list("models/trusted")

    def trust(self, path: str | Path) -> None:
        """Remember that the Python file at ``path`` may run without asking."""
        path = str(Path(path).resolve())
        self._s.setValue("models/trusted", [path, *(f for f in self._list("models/trusted") if f != path)])
        self._s.sync()

    def check_workers(self) -> str:
        """Processes for checking model files: "auto" (every core) or a whole number as text."""
        value = str(self._s.value("check/workers", "auto"))
        return value if value == "auto" or (value.isdigit() and int(value) >= 1) else "auto"

    def set_check_workers(self, value: str) -> None:
        self._s.setValue("check/workers", str(value))

    def _list(self, key: str) -> list[str]:
        value = self._s.value(key, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [str(v) for v in value or []]
