"""The engine stays Qt-free: importing gradviz.core (or gradviz) loads no Qt or UI library."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "gradviz" / "core"
BANNED = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "qtpy", "psygnal")


@pytest.mark.parametrize("module", ["gradviz.core", "gradviz"])
def test_import_loads_no_qt(module):
    code = (
        "import json, sys\n"
        f"import {module}\n"
        f"print(json.dumps([m for m in sys.modules if m.split('.')[0] in {BANNED!r}]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            cwd=ROOT, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_core_file_imports_qt():
    files = sorted(CORE.rglob("*.py"))
    assert files
    offenders = {str(f.relative_to(ROOT)): sorted(imported_roots(f) & set(BANNED)) for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_the_scan_sees_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import numpy\nfrom PySide6.QtCore import QObject\nimport pyqtgraph as pg\n",
                      encoding="utf-8")
    assert imported_roots(sample) == {"numpy", "PySide6", "pyqtgraph"}


def test_public_modules_and_names_are_reachable_from_the_package():
    import gradviz
    import gradviz.sanity

    assert gradviz.sanity.run_sanity_checks is gradviz.run_sanity_checks
    for name in ("Trainer", "diagnose", "epsilon_sweep", "check_during_training", "quick_check",
                 "gradient_check", "numeric_derivative", "params_to_vector", "BUG_KINDS"):
        assert hasattr(gradviz, name), name


# each engine sub-package may import only those listed before it (and itself)
LAYERS = ["model", "report", "diagnosis", "check", "teach", "data"]


def test_engine_sub_packages_import_only_lower_layers():
    wrong = []
    for rank, package in enumerate(LAYERS):
        allowed = {f"gradviz.core.{p}" for p in LAYERS[: rank + 1]}
        for path in sorted((CORE / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    parts = node.module.split(".")
                    if parts[:2] == ["gradviz", "core"] and len(parts) > 2:
                        if ".".join(parts[:3]) not in allowed:
                            wrong.append(f"{path.relative_to(ROOT)} imports {node.module}")
                    elif parts[0] == "gradviz" and parts[:2] != ["gradviz", "core"]:
                        wrong.append(f"{path.relative_to(ROOT)} imports {node.module}")
    assert wrong == []


def test_every_engine_module_sits_in_a_layer():
    loose = [p.name for p in CORE.glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    assert sorted(p.name for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)
