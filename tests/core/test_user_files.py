"""Users' files: bounded reads of regular files only, hostile .npz archives refused before they
are loaded, atomic saves that never clobber, data paths relative to the session's folder."""

import errno
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gradviz.core import LayerSpec, NetworkSpec, load_dataset
from gradviz.core.data import datafiles, files
from gradviz.core.data.files import SaveError, atomic_write, read_text_bounded
from gradviz.core.data.problem import build_problem
from gradviz.core.data.session import DataSettings, Session


def session(**data) -> Session:
    spec = NetworkSpec(2, [LayerSpec(3, "tanh"), LayerSpec(2, "linear")])
    return Session(spec, DataSettings(**data))


# -- bounded reads -----------------------------------------------------------------------------
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.gradviz.json"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        Session.load(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a regular file"):
        Session.load("/dev/zero")
    (tmp_path / "data.csv").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="not a regular file"):
        load_dataset(tmp_path / "data.csv")


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="folder"):
        Session.load(tmp_path)


def test_a_session_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.gradviz.json"
    path.write_text(" " * 2000)
    with pytest.raises(ValueError, match=r"big\.gradviz\.json is 2\.0 KB; files up to 1\.0 KB"):
        read_text_bounded(path, limit=1000)


def test_binary_junk_is_not_a_text_file(tmp_path):
    path = tmp_path / "junk.gradviz.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        Session.load(path)


# -- hostile .npz ---------------------------------------------------------------------------
def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def _archive(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_npz_member_that_is_not_npy(tmp_path):
    path = _archive(tmp_path / "d.npz", {"X.npy": b"hello, not an array", "y.npy": _npy(np.zeros(2))})
    with pytest.raises(ValueError, match=r"d\.npz: X is not a \.npy array"):
        load_dataset(path)


def test_npz_header_lying_about_its_shape(tmp_path):
    """A header declaring 10^6 × 10^3 float64 (8 GB) over a few bytes of data."""
    real = _npy(np.zeros((2, 2)))
    lying = real.replace(b"(2, 2)", b"(1000000, 1000)")
    path = _archive(tmp_path / "d.npz", {"X.npy": lying, "y.npy": _npy(np.zeros(2))})
    with pytest.raises(ValueError, match=r"X declares 8\.0 GB"):
        load_dataset(path)
    small_lie = real.replace(b"(2, 2)", b"(9, 9)")
    path = _archive(tmp_path / "e.npz", {"X.npy": small_lie, "y.npy": _npy(np.zeros(2))})
    with pytest.raises(ValueError, match=r"header declares shape \(9, 9\)"):
        load_dataset(path)


def test_zip_bomb_is_refused_by_its_declared_size(tmp_path, monkeypatch):
    monkeypatch.setattr(datafiles, "MAX_ARRAY_BYTES", 2**20)
    bomb = _npy(np.zeros((4096, 512)))  # 16 MiB of zeros, a few KB deflated
    path = _archive(tmp_path / "bomb.npz", {"X.npy": bomb, "y.npy": _npy(np.zeros(4096))},
                    zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100_000
    with pytest.raises(ValueError, match=r"bomb\.npz: X declares 16\.8 MB; arrays up to 1\.0 MB"):
        load_dataset(path)


def test_corrupt_deflate_stream(tmp_path):
    path = _archive(tmp_path / "c.npz", {"X.npy": _npy(np.ones((50, 4))), "y.npy": _npy(np.zeros(50))},
                    zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    start = data.index(b"X.npy") + len(b"X.npy")
    for i in range(start + 5, start + 40):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"c\.npz: (not a readable \.npz archive|X )"):
        load_dataset(path)


def test_npz_with_other_members_still_reads_x_and_y(tmp_path):
    path = _archive(tmp_path / "ok.npz", {"README.txt": b"notes", "X.npy": _npy(np.ones((3, 2))),
                                          "y.npy": _npy(np.array([0, 1, 0]))})
    d = load_dataset(path)
    assert d.X.shape == (2, 3)
    np.testing.assert_array_equal(d.labels, [0, 1, 0])


def test_fortran_order_and_big_endian_arrays_read_as_numpy_would(tmp_path):
    X = np.asfortranarray(np.arange(6.0).reshape(3, 2)).astype(">f8")
    path = tmp_path / "f.npz"
    np.savez_compressed(path, X=X, y=np.array([0, 1, 1], dtype=">i4"))
    d = load_dataset(path)
    np.testing.assert_array_equal(d.X, np.arange(6.0).reshape(3, 2).T)
    np.testing.assert_array_equal(d.labels, [0, 1, 1])


# -- atomic save -------------------------------------------------------------------------------
def test_save_does_not_follow_a_symlink_planted_at_the_old_temp_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "s.gradviz.json"
    (tmp_path / "s.gradviz.json.tmp").symlink_to(victim)
    session().save(target)
    assert victim.read_text() == "precious"
    assert Session.load(target).spec.sizes == [2, 3, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.gradviz.json", "s.gradviz.json.tmp",
                                                          "victim.txt"]


def test_save_over_a_symlink_replaces_the_link_not_its_target(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "s.gradviz.json"
    link.symlink_to(victim)
    session().save(link)
    assert victim.read_text() == "precious"
    assert not link.is_symlink()


def test_full_disk_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "s.gradviz.json"
    session(seed=1).save(target)
    before = target.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(SaveError, match="No space left on device; the file on disk was left as it was"):
        session(seed=2).save(target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.gradviz.json"]
    monkeypatch.undo()
    session(seed=2).save(target)  # nothing left behind blocks the next save
    assert Session.load(target).data.seed == 2


def test_a_failed_save_is_both_a_value_error_and_an_os_error(tmp_path):
    with pytest.raises(ValueError, match="cannot save"):
        atomic_write(tmp_path / "no-such-folder" / "s.json", b"{}")
    with pytest.raises(OSError, match="cannot save"):
        atomic_write(tmp_path / "no-such-folder" / "s.json", b"{}")


def test_save_keeps_the_permission_bits(tmp_path):
    target = tmp_path / "s.gradviz.json"
    target.write_text("{}")
    target.chmod(0o640)
    session().save(target)
    assert target.stat().st_mode & 0o777 == 0o640


# -- relative data paths -------------------------------------------------------------------------
def _write_csv(path: Path, m: int = 12) -> Path:
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.standard_normal((m, 2)), np.arange(m) % 2])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, rows, delimiter=",", fmt="%.6f")
    return path


def test_a_session_copied_with_its_data_opens_anywhere(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    data = _write_csv(folder / "data" / "points.csv")
    s = session(path=str(data))
    s.save(folder / "lab.gradviz.json")
    saved = json.loads((folder / "lab.gradviz.json").read_text())
    assert saved["data"]["path"] == "data/points.csv"
    moved = tmp_path / "elsewhere"
    (folder).rename(moved)
    monkeypatch.chdir(tmp_path)
    loaded = Session.load(moved / "lab.gradviz.json")
    assert loaded.data.path == str(moved / "data" / "points.csv")
    assert build_problem(loaded).X.shape[0] == 2


def test_data_outside_the_session_folder_stays_absolute(tmp_path):
    data = _write_csv(tmp_path / "shared" / "points.csv")
    (tmp_path / "mine").mkdir()
    session(path=str(data)).save(tmp_path / "mine" / "lab.gradviz.json")
    saved = json.loads((tmp_path / "mine" / "lab.gradviz.json").read_text())
    assert saved["data"]["path"] == str(data)
