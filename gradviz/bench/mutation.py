"""Mutation score of the engine: mutmut's results against the list of equivalent mutants.

``python -m gradviz.bench.mutation`` reads the results of ``mutmut run`` (in ``mutants/``, from the
repository root; scope and tests in ``[tool.mutmut]`` of pyproject.toml) and prints, per module,
the mutants, how many the tests killed, the raw kill rate and the rate against non-equivalent
mutants: those not listed in ``tests/mutation/equivalent.toml``. A listed mutant is matched by its
function and its changed lines (not by mutmut's number, which shifts when a function changes), so
an entry whose code has changed stops matching and its mutant counts as a survivor again.
``--run`` runs mutmut first, module by module under ``nice``; ``--survivors`` prints every
unlisted survivor as a TOML entry to classify. Exit code 0 when the score reaches the target
(95 %), 1 below it, 2 when there are no results to read.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

TARGET = 0.95
EQUIVALENT_FILE = Path("tests/mutation/equivalent.toml")
#: mutmut statuses that count as a kill (a timeout is a mutant the tests noticed: it hangs)
KILLED = ("killed", "timeout", "caught by type check", "segfault")


@dataclass(frozen=True)
class Mutant:
    """One mutant: mutmut's name, its source file and function, status and changed lines."""

    name: str
    path: str
    status: str

    @property
    def module(self) -> str:
        return self.name.partition("__mutmut_")[0].rpartition(".")[0]

    @property
    def function(self) -> str:
        """module.function or module.Class.method, as written in the source."""
        mangled = self.name.partition("__mutmut_")[0].rpartition(".")[2]
        name = mangled[2:] if mangled.startswith("x_") else ".".join(mangled.split("ǁ")[1:])
        return f"{self.module}.{name}"

    @property
    def killed(self) -> bool:
        return self.status in KILLED


def changed_lines(mutant: Mutant) -> tuple[str, str]:
    """(old, new): the lines the mutation removes and adds, stripped and joined by newlines."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(mutant.name, path=mutant.path).splitlines()[2:]
    old = [line[1:].strip() for line in diff if line.startswith("-")]
    new = [line[1:].strip() for line in diff if line.startswith("+")]
    return "\n".join(old), "\n".join(new)


def scope_files() -> list[Path]:
    """The source files mutmut mutates (``source_paths`` and ``only_mutate`` of its config)."""
    from mutmut.utils.file_utils import walk_mutatable_files

    return sorted(walk_mutatable_files())


def read_results() -> list[Mutant]:
    """Every mutant of the mutmut scope with its status (read from mutants/*.meta)."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code

    mutants = []
    for path in scope_files():
        data = SourceFileMutationData(path=path)
        data.load()
        mutants += [
            Mutant(name, str(path), status_by_exit_code[code]) for name, code in data.exit_code_by_key.items()
        ]
    return mutants


def read_equivalents(path: Path = EQUIVALENT_FILE) -> Counter[tuple[str, str, str]]:
    """(function, old, new) of each listed equivalent mutant, counted (a line may repeat)."""
    if not path.exists():
        return Counter()
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    for entry in entries:
        missing = {"function", "old", "new", "why"} - entry.keys()
        if missing or not entry["why"].strip():
            raise ValueError(f"{path}: entry {entry.get('function')!r} needs function, old, new and a why")
    return Counter((e["function"], e["old"], e["new"]) for e in entries)


def classify(mutants: list[Mutant], equivalents: Counter) -> tuple[set[str], list[Mutant], Counter]:
    """(names of the equivalent survivors, unlisted survivors, entries that matched no survivor)."""
    unused = Counter(equivalents)
    equivalent, survivors = set(), []
    for mutant in mutants:
        if mutant.killed or mutant.status == "not checked":
            continue
        key = (mutant.function, *changed_lines(mutant))
        if unused[key] > 0:
            unused[key] -= 1
            equivalent.add(mutant.name)
        else:
            survivors.append(mutant)
    return equivalent, survivors, +unused


def score_table(mutants: list[Mutant], equivalent: set[str]) -> tuple[list[str], float]:
    """Rows (module, mutants, killed, equivalent, raw %, non-equivalent %) and the total score."""
    rows = [f"{'module':34} {'mutants':>8} {'killed':>7} {'equiv':>6} {'raw':>7} {'non-equiv':>10}"]
    modules = sorted({m.module for m in mutants})

    def row(label: str, group: list[Mutant]) -> float:
        killed = sum(m.killed for m in group)
        equiv = sum(m.name in equivalent for m in group)
        raw = killed / len(group)
        score = killed / (len(group) - equiv) if len(group) > equiv else 1.0
        rows.append(f"{label:34} {len(group):8d} {killed:7d} {equiv:6d} {raw:7.1%} {score:10.1%}")
        return score

    for module in modules:
        row(module, [m for m in mutants if m.module == module])
    return rows, row("total", mutants)


def run_mutmut(modules: list[str], max_children: int) -> None:
    """``nice mutmut run`` on each module in turn (each runs only the tests that reach a function)."""
    for module in modules:
        print(f"mutmut: {module}", flush=True)
        subprocess.run(
            ["nice", "mutmut", "run", "--max-children", str(max_children), f"{module}.*"],
            check=False, stdout=subprocess.DEVNULL,
        )


def survivor_entry(mutant: Mutant) -> str:
    """A TOML entry for tests/mutation/equivalent.toml, with an empty why to fill in."""
    old, new = changed_lines(mutant)
    return (f"# {mutant.name} ({mutant.status})\n[[equivalent]]\nfunction = {json.dumps(mutant.function)}\n"
            f"old = {json.dumps(old, ensure_ascii=False)}\nnew = {json.dumps(new, ensure_ascii=False)}\n"
            'why = ""\n')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradviz.bench.mutation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--run", nargs="*", metavar="MODULE",
                        help="run mutmut first on these modules (default: every module of the scope)")
    parser.add_argument("--max-children", type=int, default=2, help="mutmut's parallel workers (default 2)")
    parser.add_argument("--survivors", action="store_true", help="print unlisted survivors as TOML entries")
    args = parser.parse_args(argv)
    try:
        import mutmut  # noqa: F401
    except ImportError:
        print("mutmut is not installed: pip install mutmut", file=sys.stderr)
        return 2
    if args.run is not None:
        modules = [".".join(path.with_suffix("").parts) for path in scope_files()]
        run_mutmut(args.run or [m for m in modules if not m.endswith("__init__")], args.max_children)
    mutants = read_results()
    if not mutants:
        print("no mutmut results here: run `mutmut run` from the repository root first", file=sys.stderr)
        return 2
    equivalent, survivors, stale = classify(mutants, read_equivalents())
    rows, score = score_table(mutants, equivalent)
    print("\n".join(rows))
    not_run = sum(m.status == "not checked" for m in mutants)
    print(f"\nnon-equivalent mutants killed: {score:.1%} (target {TARGET:.0%}); "
          f"{len(survivors)} survivors not listed as equivalent, {not_run} mutants not run yet")
    for function, old, new in stale:
        print(f"listed as equivalent but no surviving mutant matches: {function}: {old!r} -> {new!r}")
    if args.survivors:
        print("\n" + "\n".join(survivor_entry(m) for m in survivors))
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
