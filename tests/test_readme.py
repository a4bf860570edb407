"""The README's examples run as written.

Python blocks run in order in one namespace (which starts with the Coursera assignment's functions,
as a reader of that section has them); ``pycon`` blocks are doctests in that namespace. A comment
``<!-- readme-test: TAG -->`` before a block says what else to do with it: ``file NAME`` writes it
to NAME in the working folder, ``run`` runs each command line of a bash block and expects the exit
code its comment gives (``# exit N``, else 0), ``torch`` runs only where torch is installed,
``pytest-qt`` runs its test functions with qtbot, and ``skip (why)`` only compiles it.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import tests.coursera

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<tag>[^>]*?) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)
EXIT = re.compile(r"#\s*exit (\d+)")


def blocks() -> list[tuple[str, str, str, int]]:
    """(tag, language, code, line) of every fenced block of the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m["tag"] or "", m["lang"], m["code"], text.count("\n", 0, m.start("code")) + 1)
            for m in BLOCK.finditer(text)]


def run_commands(code: str, line: int, folder: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for offset, command in enumerate(code.splitlines()):
        words = shlex.split(command, comments=True)
        if not words:
            continue
        assert words[0] == "gradviz", f"README line {line + offset}: only gradviz commands run"
        wanted = EXIT.search(command)
        done = subprocess.run([sys.executable, "-m", "gradviz", *words[1:]], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == (int(wanted[1]) if wanted else 0), (
            f"README line {line + offset}: {command}\n{done.stdout}\n{done.stderr}")


def run_doctest(code: str, line: int, namespace: dict) -> None:
    test = doctest.DocTestParser().get_doctest(code, namespace, "README", str(ROOT / "README.md"), line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, clear_globs=False)
    assert runner.failures == 0, f"the pycon block at README line {line} printed something else"


def write_files(folder: Path) -> None:
    for tag, _, code, _ in blocks():
        if tag.startswith("file "):
            (folder / tag.removeprefix("file ")).write_text(code, encoding="utf-8")


def test_every_block_tag_is_known():
    known = ("", "run", "torch", "pytest-qt")
    for tag, lang, _, line in blocks():
        assert tag in known or tag.startswith(("file ", "skip (")), f"README line {line}: tag {tag!r}"
        assert tag != "run" or lang == "bash", f"README line {line}: only bash blocks run"


def test_the_examples_run_in_order_and_print_what_the_readme_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {name: getattr(tests.coursera, name) for name in dir(tests.coursera)
                 if not name.startswith("_")}
    ran = 0
    for tag, lang, code, line in blocks():
        if tag.startswith("file "):
            (tmp_path / tag.removeprefix("file ")).write_text(code, encoding="utf-8")
        elif tag == "run":
            run_commands(code, line, tmp_path)
        elif lang == "pycon":
            run_doctest(code, line, namespace)
        elif lang != "python" or tag == "pytest-qt":
            continue
        elif tag.startswith("skip ("):
            compile(code, f"README line {line}", "exec")
        elif tag == "torch" and not _has_torch():
            continue
        else:
            exec(compile(code, f"README line {line}", "exec"), namespace)
        ran += 1
    assert ran >= 10


def test_the_pytest_qt_examples_pass(qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path)
    tests_run = 0
    for tag, _, code, line in blocks():
        if tag != "pytest-qt":
            continue
        namespace: dict = {}
        exec(compile(code, f"README line {line}", "exec"), namespace)
        for name, function in namespace.items():
            if name.startswith("test_") and callable(function):
                folder = tmp_path / name
                folder.mkdir()
                function(qtbot, folder)
                tests_run += 1
    assert tests_run >= 2


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
