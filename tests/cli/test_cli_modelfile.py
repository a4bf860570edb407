"""`gradviz check FILE.py`: the user's own model through the command line, as a user runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradviz.cli import main
from gradviz.core.report.check_report import CheckReport
from tests.modelfiles import MODEL, write_project

ROOT = Path(__file__).resolve().parents[2]


def test_a_correct_model_file_passes_with_the_table(tmp_path, capsys):
    path = write_project(tmp_path)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    header, *rows = out.splitlines()[:5]
    assert "cs231n" in header
    assert [r.split()[0] for r in rows] == ["W1", "b1", "W2", "b2"]
    assert all(r.endswith("ok") for r in rows)
    assert next(r for r in rows if r.startswith("b1 ")).split()[1] == "6"  # a 1-D CS231n bias


def test_a_planted_bug_in_a_neighbour_module_fails_its_blocks(tmp_path, capsys):
    path = write_project(tmp_path, db_factor="2.0")
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    assert main(["check", str(path), "--json", str(out_json), "--csv", str(out_csv)]) == 1
    out = capsys.readouterr().out
    assert "failing blocks: b1, b2" in out
    rows = {line.split()[0]: line for line in out.splitlines()[1:5]}
    assert rows["b1"].endswith("FAIL")
    assert rows["W1"].endswith("ok")
    report = CheckReport.from_dict(json.loads(out_json.read_text()))
    assert report.failing_blocks() == ["b1", "b2"]
    assert 'b1,"(5,)",' in out_csv.read_text()


def test_options_reach_the_check(tmp_path):
    path = write_project(tmp_path)
    out_json = tmp_path / "r.json"
    assert main(["check", str(path), "--epsilon", "1e-5", "--method", "richardson", "--blocks", "W2,b1",
                 "--sample", "3", "--engine", "reference", "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text())
    assert data["settings"]["epsilon"] == 1e-5
    assert data["settings"]["method"] == "richardson"
    assert list(data["blocks"]) == ["b1", "W2"]
    assert sum(v is not None for v in data["blocks"]["W2"]["numeric"][0]) <= 3


def user_error_project(tmp_path: Path) -> Path:
    return write_project(tmp_path, model=MODEL.replace(
        "        N = X.shape[0]\n", "        N = X.shape[0]\n        raise KeyError('no such layer')\n"))


def test_a_user_exception_shows_their_frames_and_exits_2(tmp_path, capsys):
    path = user_error_project(tmp_path)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    line = MODEL.splitlines().index("        N = X.shape[0]") + 2
    assert f'model.py", line {line}, in loss' in err
    assert "KeyError: 'no such layer'" in err
    assert "gradviz/" not in err


def test_a_user_exception_through_the_real_command(tmp_path):
    path = user_error_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "gradviz", "check", str(path)], capture_output=True,
                            text=True, env=env, cwd=tmp_path, check=False, timeout=60)
    assert result.returncode == 2
    assert 'model.py", line' in result.stderr
    assert "gradviz/" not in result.stderr
    assert "KeyError" in result.stderr


def test_a_file_without_gradviz_model_gets_the_hint(tmp_path, capsys):
    path = tmp_path / "mine.py"
    path.write_text("import numpy as np\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "mine.py defines no gradviz_model()" in err
    assert "def gradviz_model():" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("option", [["--bug", "dW_x2:1"], ["--dtype", "float32"], ["--dropout", "frozen"],
                                    ["--terms", "data"], ["--data", "x.csv"], ["--examples", "3"]])
def test_options_for_the_built_in_network_are_refused_in_one_line(tmp_path, capsys, option):
    path = write_project(tmp_path)
    assert main(["check", str(path), *option]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert option[0] in err
    assert "built-in gradviz network" in err


def test_the_model_alone_gets_a_hint_when_its_loss_needs_examples(tmp_path, capsys):
    path = write_project(tmp_path, model=MODEL.replace(
        "    return TwoLayerNet(), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)",
        "    return TwoLayerNet()"))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "called with X = y = None" in err
    assert 'model.py", line' in err
