"""The mutation score command: mutant names read back to functions, the equivalent list parsed
(every entry needs a why), and the per-module table's two rates."""

import pytest

from gradviz.bench import mutation
from gradviz.bench.mutation import Mutant, read_equivalents, score_table


def test_mutant_names_give_module_and_function():
    plain = Mutant("gradviz.core.model.losses.x_softmax_ce__mutmut_7", "losses.py", "killed")
    method = Mutant("gradviz.core.model.training.xǁTrainerǁ_step__mutmut_12", "p", "survived")
    assert (plain.module, plain.function, plain.killed) == (
        "gradviz.core.model.losses", "gradviz.core.model.losses.softmax_ce", True)
    assert (method.function, method.killed) == ("gradviz.core.model.training.Trainer._step", False)
    assert Mutant("a.b.x_f__mutmut_1", "p", "timeout").killed


def test_the_equivalent_list_counts_repeated_lines_and_needs_a_why(tmp_path):
    path = tmp_path / "equivalent.toml"
    entry = '[[equivalent]]\nfunction = "m.f"\nold = "a"\nnew = "b"\nwhy = "{}"\n'
    path.write_text(entry.format("same") + entry.format("same"), encoding="utf-8")
    assert read_equivalents(path) == {("m.f", "a", "b"): 2}
    path.write_text(entry.format(" "), encoding="utf-8")
    with pytest.raises(ValueError, match=r"entry 'm\.f' needs function, old, new and a why"):
        read_equivalents(path)
    assert read_equivalents(tmp_path / "missing.toml") == {}


def test_the_committed_list_reads_and_every_entry_has_a_why():
    entries = read_equivalents(mutation.EQUIVALENT_FILE)
    assert sum(entries.values()) > 100
    assert all(function.startswith("gradviz.core.") for function, _, _ in entries)


def test_the_table_gives_raw_and_non_equivalent_rates():
    mutants = [Mutant(f"a.m.x_f__mutmut_{i}", "p", status) for i, status in
               enumerate(["killed"] * 6 + ["survived"] * 3 + ["no tests"])]
    mutants.append(Mutant("a.n.x_g__mutmut_1", "p", "killed"))
    rows, score = score_table(mutants, {"a.m.x_f__mutmut_6", "a.m.x_f__mutmut_7"})
    assert rows[1].split() == ["a.m", "10", "6", "2", "60.0%", "75.0%"]
    assert rows[2].split() == ["a.n", "1", "1", "0", "100.0%", "100.0%"]
    assert rows[3].split() == ["total", "11", "7", "2", "63.6%", "77.8%"]
    assert score == pytest.approx(7 / 9)
