"""Reading and writing users' files safely: bounded reads of regular files only, atomic saves.

A read never blocks on a FIFO, never streams a device such as /dev/zero and never takes more than
its size limit. A save writes a uniquely named temporary file beside the target (created with
O_EXCL, so a planted symlink is never followed), fsyncs it and renames it over the target: the old
file stays whole until the new one is complete, and the temporary file is removed on any failure.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from gradviz.core.model.memory import format_bytes

#: the largest session file read (a session with the parameters of a 784-256-128-10 net: ~5 MB)
MAX_SESSION_BYTES = 64 * 2**20
#: permission bits of a newly created file (an existing file keeps its own)
NEW_FILE_MODE = 0o644


class SaveError(OSError, ValueError):
    """A save that failed (the file on disk is unchanged); like io.UnsupportedOperation it is both
    an OSError and a ValueError, so either handler reports it."""


def describe_os_error(exc: OSError) -> str:
    """The reason of an OSError in words ("No space left on device")."""
    return exc.strerror or str(exc) or type(exc).__name__


def as_path(name: str, value: object) -> Path:
    """A str or PathLike as a Path, or ValueError naming the field."""
    if isinstance(value, Path):
        return value
    if isinstance(value, str) and value and "\0" not in value:
        return Path(value)
    if isinstance(value, os.PathLike):
        return Path(os.fspath(value))
    raise ValueError(f"{name} must be a file path; got {value!r:.40}")


def open_regular(path: Path):
    """A binary file object for reading ``path``, refused unless it is a regular file.

    Opened non-blocking, so a FIFO cannot stall the open; the file type is checked on the open
    descriptor itself, so the file cannot be swapped between the check and the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {describe_os_error(exc)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, FIFO or socket)"
            raise ValueError(f"cannot read {path}: it is {kind}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ValueError otherwise."""
    path = as_path("path", path)
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise ValueError(f"{path.name} is {format_bytes(size)}; files up to "
                             f"{format_bytes(limit)} are read")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {describe_os_error(exc)}") from None
    if len(data) > limit:  # grew while being read
        raise ValueError(f"{path.name} is larger than {format_bytes(limit)}")
    return data


def read_text_bounded(path: str | Path, limit: int = MAX_SESSION_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes."""
    path = as_path("path", path)
    data = read_bounded(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not a UTF-8 text file") from None


def atomic_write(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once, or raise SaveError and leave it as it was."""
    path = as_path("path", path)
    folder = path.parent
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = NEW_FILE_MODE
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise SaveError(f"cannot save {path}: {describe_os_error(exc)}; "
                        "the file on disk was left as it was") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); best effort where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
