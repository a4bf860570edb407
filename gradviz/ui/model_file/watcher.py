"""Watch a model file and the Python files beside it (and in the packages beside it, such as
``cs231n/``): one ``changed()`` per save, DEBOUNCE_MS after the last write.

Editors often save by writing a new file and renaming it over the old one, and QFileSystemWatcher
then drops the path: the folders are watched too, every path is added again after each event,
and a change counts only when the Python files' sizes or modification times differ from the
last look (a file written elsewhere in the folder is not a change of the model).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, Signal
from superqt.utils import qdebounced

DEBOUNCE_MS = 300  # a save is seen this long after its last write (well under a second)
MAX_FILES = 500  # the most Python files watched (a model beside a whole library watches its start)
SKIPPED = {"__pycache__", "site-packages", "node_modules"}

Snapshot = dict[str, tuple[int, int]]  # path -> (mtime_ns, size)


def watched_folders(model: Path) -> list[Path]:
    """The model's folder and, below it, every package (a folder with an ``__init__.py``)."""
    folders, stack = [], [model.parent]
    while stack and len(folders) < MAX_FILES:
        folder = stack.pop()
        folders.append(folder)
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir())
        except OSError:
            continue
        stack.extend(p for p in reversed(children) if not p.name.startswith(".")
                     and p.name not in SKIPPED and (p / "__init__.py").is_file())
    return folders


def snapshot(model: Path) -> Snapshot:
    """Size and modification time of the model and the Python files of its folders."""
    files: Snapshot = {}
    for folder in watched_folders(model):
        try:
            paths = sorted(folder.glob("*.py"))
        except OSError:
            continue
        for path in paths[: MAX_FILES - len(files)]:
            try:
                stat = path.stat()
            except OSError:  # gone between listing and looking: the next event says more
                continue
            files[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return files


class ModelFileWatcher(QObject):
    """``watch(path)`` a model file (None: stop watching); ``changed()`` after each save of it or
    of a Python file beside it, once the writes have been quiet for DEBOUNCE_MS."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._look)
        self._watcher.directoryChanged.connect(self._look)
        self._path: Path | None = None
        self._seen: Snapshot = {}

    @property
    def path(self) -> Path | None:
        return self._path

    def watch(self, path: Path | None) -> None:
        self._look.cancel()
        self._path = None if path is None else Path(path)
        self._seen = {} if path is None else snapshot(self._path)
        self._rewatch()

    @qdebounced(timeout=DEBOUNCE_MS)
    def _look(self) -> None:
        """Compare the files with the last look (DEBOUNCE_MS after the last of a burst of events)."""
        if self._path is None:
            return
        now = snapshot(self._path)
        changed, self._seen = now != self._seen, now
        self._rewatch()
        if changed:
            self.changed.emit()

    def _rewatch(self) -> None:
        """Watch exactly the current folders and Python files (a renamed-over file is new)."""
        old = self._watcher.files() + self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        if self._path is None:
            return
        self._watcher.addPaths([str(f) for f in watched_folders(self._path)] + list(self._seen))
