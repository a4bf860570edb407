"""Autosave and recovery. While a window has unsaved changes, its session is written to the
app-data folder (QStandardPaths.AppDataLocation/autosave) a few seconds after the last change:
``<id>.gradviz.json`` (the session, without parameters), ``<id>.params.npz`` (the parameters) and
``<id>.origin.json`` (the file it came from). ``<id>.lock`` (a QLockFile) is held while the window
lives; after a crash or a kill the lock is stale, and the next start offers to restore the work.
Saving, discarding the changes or closing the window normally removes the files.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal

from gradviz.core.data.session import Session

AUTOSAVE_MS = 3000
SESSION_SUFFIX = ".gradviz.json"


def autosave_dir() -> Path:
    """Where autosaves go: the app-data folder's autosave/."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "autosave"


def _files(folder: Path, key: str) -> dict[str, Path]:
    return {"session": folder / f"{key}{SESSION_SUFFIX}", "params": folder / f"{key}.params.npz",
            "origin": folder / f"{key}.origin.json", "lock": folder / f"{key}.lock"}


def _replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@dataclass
class Recovery:
    """Work left by a window that did not close: its session, the file it came from (or None),
    when it was autosaved. ``discard()`` deletes it."""

    key: str
    folder: Path
    origin: Path | None
    saved_at: float

    @property
    def name(self) -> str:
        return self.origin.name if self.origin else "an untitled session"

    def session(self) -> Session:
        """The autosaved session with its parameters (ValueError if the files are damaged)."""
        files = _files(self.folder, self.key)
        session = Session.load(files["session"])
        if files["params"].is_file():
            try:
                with np.load(files["params"], allow_pickle=False) as npz:
                    session.params = {name: np.array(npz[name], dtype=np.float64) for name in npz.files}
            except (OSError, ValueError) as exc:
                raise ValueError(f"the autosaved parameters cannot be read: {exc}") from None
        return session

    def discard(self) -> None:
        for path in _files(self.folder, self.key).values():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def orphans(folder: Path | None = None) -> list[Recovery]:
    """Autosaves whose window is gone (the process that held the lock died), newest first."""
    folder = autosave_dir() if folder is None else folder
    found = []
    for session_file in folder.glob(f"*{SESSION_SUFFIX}"):
        key = session_file.name[: -len(SESSION_SUFFIX)]
        files = _files(folder, key)
        lock = QLockFile(str(files["lock"]))
        lock.setStaleLockTime(0)  # stale only when its process is gone, however old
        if not lock.tryLock(0):
            continue  # a running window's
        lock.unlock()
        try:
            origin = json.loads(files["origin"].read_text(encoding="utf-8")).get("path")
        except (OSError, ValueError, AttributeError):
            origin = None
        found.append(Recovery(key, folder, Path(origin) if isinstance(origin, str) else None,
                              session_file.stat().st_mtime))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


class Autosaver(QObject):
    """Autosaves ``snapshot() -> (Session, origin path or None)`` AUTOSAVE_MS after the last
    ``schedule()``. Signal saved(Path): the session file was written."""

    saved = Signal(object)

    def __init__(self, snapshot: Callable[[], tuple[Session, Path | None]], folder: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self.folder = autosave_dir() if folder is None else folder
        self.key = uuid.uuid4().hex
        self.files = _files(self.folder, self.key)
        self._lock: QLockFile | None = None
        # a save deadline that save_now() and discard() clear (stop), not a repaint throttle
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)

    def schedule(self) -> None:
        """Autosave in AUTOSAVE_MS, unless another change comes first (then after that one)."""
        self._timer.start()

    def save_now(self) -> Path | None:
        """Write the autosave now; returns the session file (None if it could not be written)."""
        self._timer.stop()
        session, origin = self._snapshot()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self._lock is None:
                self._lock = QLockFile(str(self.files["lock"]))
                self._lock.setStaleLockTime(0)
                self._lock.tryLock(0)
            params = session.params or {}
            _replace_atomically(self.files["params"], lambda p: _save_npz(p, params))
            origin_text = json.dumps({"path": None if origin is None else str(origin),
                                      "saved": time.time()})
            _replace_atomically(self.files["origin"], lambda p: p.write_text(origin_text, "utf-8"))
            text = session.to_json(include_params=False)
            _replace_atomically(self.files["session"], lambda p: p.write_text(text, "utf-8"))
        except OSError:
            return None  # a full disk must not interrupt the work: the next change tries again
        self.saved.emit(self.files["session"])
        return self.files["session"]

    def discard(self) -> None:
        """The work is saved or thrown away: remove the autosave (the lock stays held)."""
        self._timer.stop()
        for name in ("session", "params", "origin"):
            with contextlib.suppress(FileNotFoundError):
                self.files[name].unlink()

    def close(self) -> None:
        """The window closes normally: remove the autosave and the lock."""
        self.discard()
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None


def _save_npz(path: Path, params: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, **{name: np.asarray(value) for name, value in params.items()})
