"""Memory estimates from sizes alone, and what the machine has free (/proc/meminfo, the cgroup
limit, sysconf), read from planted files."""

import os

import pytest
from helpers import exactly

from gradviz.core.model import memory
from gradviz.core.model.spec import LayerSpec, NetworkSpec

SPEC = NetworkSpec(3, [LayerSpec(4, "tanh"), LayerSpec(2, "linear")], dtype="float32")
N_PARAMS = 3 * 4 + 4 + 4 * 2 + 2  # 26
UNITS = 3 + 4 + 2


def test_a_spec_alone_needs_its_parameters_and_a_check():
    parts = memory.network_estimate(SPEC).parts
    assert parts == {"parameters": N_PARAMS * 4, "data": 0, "activations": 0, "check": N_PARAMS * 50,
                     "training": 0}


@pytest.mark.parametrize(("m", "check_examples", "batch", "rows"),
                         [(100, 0, None, 100), (100, 8, 10, 10), (100, 30, 10, 30), (5, 0, 10, 5)])
def test_an_estimate_counts_each_part_in_bytes(m, check_examples, batch, rows):
    """data: (n0 + 1) float64 per example, 4 copies; activations: 5 arrays of every unit for the
    larger of the batch (at most m) and the checked examples; the fast engine's 64 MiB with a check;
    training: 6 float64 per parameter."""
    estimate = memory.network_estimate(SPEC, m, check_examples=check_examples, batch=batch)
    fast_engine = 64 * 2**20 if check_examples else 0
    assert estimate.parts == {
        "parameters": N_PARAMS * 4,
        "data": m * (3 + 1) * 8 * 4,
        "activations": rows * UNITS * 8 * 5,
        "check": N_PARAMS * 50 + fast_engine,
        "training": N_PARAMS * 48,
    }
    assert estimate.total == sum(estimate.parts.values())


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """Planted /proc/meminfo and cgroup folder (absent until a test writes them)."""
    meminfo, cgroup = tmp_path / "meminfo", tmp_path / "cgroup"
    cgroup.mkdir()
    monkeypatch.setattr(memory, "MEMINFO", meminfo)
    monkeypatch.setattr(memory, "CGROUP", cgroup)
    return meminfo, cgroup


def test_available_memory_is_memavailable_in_bytes(machine):
    meminfo, _ = machine
    meminfo.write_text("MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    7000000 kB\n"
                       "MemAvailable:   1 kB\n")
    assert memory.available_memory() == 7_000_000 * 1024


@pytest.mark.parametrize(("limit", "current", "room"),
                         [("4096000\n", "1024000\n", 3_072_000), ("1000", "5000", 0), ("max\n", "5", None)])
def test_a_cgroup_limit_caps_what_is_available(machine, limit, current, room):
    meminfo, cgroup = machine
    meminfo.write_text("MemAvailable: 8000 kB\n")
    (cgroup / "memory.max").write_text(limit)
    (cgroup / "memory.current").write_text(current)
    assert memory._cgroup_room() == room
    assert memory.available_memory() == (8000 * 1024 if room is None else min(room, 8000 * 1024))


def test_without_meminfo_sysconf_tells_and_without_either_nothing_is_known(machine, monkeypatch):
    expected = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert memory.available_memory() == expected
    machine[0].write_text("MemTotal: 5 kB\n")  # no MemAvailable line
    assert memory.available_memory() == expected
    monkeypatch.delattr(os, "sysconf")
    assert memory.available_memory() is None
    assert memory.memory_problem(10**15) is None


def test_memory_problem_refuses_past_four_fifths_of_what_is_free(monkeypatch):
    assert memory.memory_problem(800, available=1000) is None
    assert memory.memory_problem(801, "a net", available=1000) == "a net needs 801 bytes; 1.0 KB is available"
    monkeypatch.setattr(memory, "available_memory", lambda: 1000)
    assert memory.memory_problem(900) == "this network needs 900 bytes; 1.0 KB is available"
    memory.require_memory(800)
    with pytest.raises(ValueError, match=exactly("this network needs 900 bytes; 1.0 KB is available")):
        memory.require_memory(900)
    with pytest.raises(ValueError, match=exactly("a set needs 2.0 KB; 1.0 KB is available")):
        memory.require_memory(2000, "a set")


@pytest.mark.parametrize(("n", "text"), [(0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 KB"),
                                         (999_949, "999.9 KB"), (1_000_000, "1.0 MB"), (2.5e9, "2.5 GB"),
                                         (3e15, "3000000.0 GB")])
def test_format_bytes_in_powers_of_a_thousand(n, text):
    assert memory.format_bytes(n) == text


@pytest.mark.parametrize("error", [OSError, ValueError])
def test_a_platform_without_the_sysconf_names_knows_nothing(machine, monkeypatch, error):
    def refuse(name):
        raise error(name)

    monkeypatch.setattr(os, "sysconf", refuse)
    assert memory.available_memory() is None
