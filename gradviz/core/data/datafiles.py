"""Readers of users' example files (.csv, .npz) that check sizes before they allocate.

Both return (rows (m, n_x) float64, labels (m,) float64) or raise ValueError naming the file and
the fault. A .csv is parsed row by row into floats (no table of strings is kept). A .npz is read
member by member: each .npy header's dtype and shape are checked, and its declared size compared
with the archive's, before any array is allocated; then exactly that many bytes are read, so a zip
bomb, a lying header, a member that is not .npy or a corrupt deflate stream is a clean refusal.
"""

from __future__ import annotations

import csv
import io
import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from gradviz.core.data.files import open_regular
from gradviz.core.model.memory import format_bytes, require_memory

#: the largest .csv and the largest array of a .npz read (memory is checked as well)
MAX_CSV_BYTES = 512 * 2**20
MAX_ARRAY_BYTES = 2 * 2**30
#: the longest .npy header accepted (numpy's own default limit)
MAX_NPY_HEADER = 10_000


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Comma-separated numbers, the label last; an optional header row (no cell a number)."""
    name = path.name
    with open_regular(path) as raw:
        size = _check_size(path, raw, MAX_CSV_BYTES)
        require_memory(4 * size, f"reading {name}")  # a cell is ≥ 2 bytes and becomes 8
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        rows: list[np.ndarray] = []
        width = 0
        try:
            for n, row in enumerate(csv.reader(handle), start=1):
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                if not rows and not width and not any(_is_number(cell) for cell in cells):
                    width = -1  # a header row: no cell is a number
                    continue
                if width <= 0:
                    width = len(cells)
                    if width < 2:
                        raise ValueError(f"{name}: each row needs at least one feature and a label "
                                         f"(the last column), separated by commas; row {n} has 1 column")
                if len(cells) != width:
                    raise ValueError(f"{name}: row {n} has {len(cells)} columns; the rows above have {width}")
                rows.append(_numbers(name, n, cells))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ValueError(f"{name}: not a readable text CSV file ({str(exc)[:80]})") from None
    if not rows:
        raise ValueError(f"{name}: the file holds no examples")
    data = np.stack(rows)
    return data[:, :-1], data[:, -1]


def _numbers(name: str, n: int, cells: list[str]) -> np.ndarray:
    values = np.empty(len(cells))
    for j, cell in enumerate(cells):
        try:
            values[j] = float(cell)
        except ValueError:
            raise ValueError(f"{name}: row {n}, column {j + 1}: {cell[:40]!r} is not a number") from None
        if not math.isfinite(values[j]):
            raise ValueError(f"{name}: row {n}, column {j + 1} is {cell[:40]!r}; "
                             "every value must be a finite number")
    return values


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check_size(path: Path, handle, limit: int) -> int:
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        raise ValueError(f"{path.name}: the file is empty")
    if size > limit:
        raise ValueError(f"{path.name} is {format_bytes(size)}; files up to {format_bytes(limit)} are read")
    return size


# -- .npz -------------------------------------------------------------------------------------
def read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Arrays "X" (m, n_x) and "y" (m,) of an archive written by np.savez / np.savez_compressed."""
    name = path.name
    with open_regular(path) as handle:
        _check_size(path, handle, MAX_ARRAY_BYTES * 2)
        if not zipfile.is_zipfile(handle):
            raise ValueError(f"{name}: not a .npz archive (save one with np.savez(path, X=X, y=y))")
        try:
            with zipfile.ZipFile(handle) as archive:
                members = {info.filename: info for info in archive.infolist()}
                arrays = {key: members.get(f"{key}.npy") for key in ("X", "y")}
                if None in arrays.values():
                    held = ", ".join(m.removesuffix(".npy") for m in list(members)[:8]) or "nothing"
                    raise ValueError(f"{name}: the archive needs arrays 'X' (m, n_x) and 'y' (m,); "
                                     f"it holds {held}")
                X, y = (_read_member(name, archive, arrays[key], key) for key in ("X", "y"))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
                NotImplementedError, RuntimeError) as exc:
            raise ValueError(f"{name}: not a readable .npz archive ({str(exc)[:80] or type(exc).__name__})"
                             ) from None
    return _check_arrays(name, X, y)


def _read_member(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str) -> np.ndarray:
    """One .npy member, its header checked against the archive before the array is allocated."""
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(member, max_header_size=MAX_NPY_HEADER)
            elif version in ((2, 0), (3, 0)):
                header = np.lib.format.read_array_header_2_0(member, max_header_size=MAX_NPY_HEADER)
            else:
                raise ValueError(f"unknown .npy version {version}")
        except (ValueError, SyntaxError, TypeError) as exc:
            raise ValueError(f"{name}: {key} is not a .npy array ({str(exc)[:80]})") from None
        shape, fortran, dtype = header
        if dtype.hasobject:
            raise ValueError(f"{name}: X and y must be numeric arrays; {key} holds Python objects")
        if dtype.kind not in "biuf" or dtype.fields is not None:
            raise ValueError(f"{name}: {key} must hold numbers; it has dtype {str(dtype)[:40]}")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if nbytes > MAX_ARRAY_BYTES:
            raise ValueError(f"{name}: {key} declares {format_bytes(nbytes)}; arrays up to "
                             f"{format_bytes(MAX_ARRAY_BYTES)} are read")
        if member.tell() + nbytes != info.file_size:
            raise ValueError(f"{name}: {key}'s header declares shape {shape} ({format_bytes(nbytes)}) but "
                             f"the archive holds {format_bytes(max(info.file_size - member.tell(), 0))}")
        require_memory(3 * nbytes, f"{name}'s {key}")
        data = member.read(nbytes)
        if len(data) != nbytes:
            raise ValueError(f"{name}: {key} is cut short")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order=order)


def _check_arrays(name: str, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if X.ndim != 2:
        raise ValueError(f"{name}: X must have shape (m, n_x), one example per row; got {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name}: the file holds no examples (X has shape {X.shape})")
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"{name}: y must have shape (m,), one label per example; got {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{name}: X has {X.shape[0]} examples (rows) but y has {y.shape[0]} labels")
    X = X.astype(np.float64)
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        row, col = bad[0]
        raise ValueError(f"{name}: X[{row}, {col}] is {X[row, col]}; every value must be a finite number")
    return X, y.astype(np.float64)
