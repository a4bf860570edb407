"""What the app remembers between runs (QSettings, INI format): window layout, theme, recent
files, whether saved sessions include the parameters."""

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
        value = self._s.value("files/recent", [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [str(v) for v in value or []][:MAX_RECENT]

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
