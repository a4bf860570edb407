"""The command line's contract: exit codes 0-4, FILE opens the app, --version, repeated --bug,
exact --examples, exports to stdout, bench --json, and empty values refused."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradviz
from gradviz import cli
from gradviz.cli import main
from gradviz.core.report.check_report import CheckReport
from gradviz.resource_paths import presets_dir

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(presets_dir() / "spiral-tanh.gradviz.json")
SMALL = str(presets_dir() / "small-relu.gradviz.json")


def one_error_line(capsys, code_prefix="gradviz: error:"):
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(code_prefix), err
    return err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"gradviz {gradviz.__version__}\n"


@pytest.mark.parametrize("name", ["net.gradviz.json", "model.py"])
def test_a_file_opens_the_app_on_it(tmp_path, monkeypatch, name):
    import gradviz.ui.app

    opened = []
    monkeypatch.setattr(gradviz.ui.app, "main", lambda argv: opened.append(argv) or 0)
    path = tmp_path / name
    path.write_text("{}")
    assert main([str(path)]) == 0
    assert opened == [[str(path)]]


def test_a_missing_file_or_a_typo_is_bad_input(capsys):
    assert main(["chek"]) == 2
    assert "neither a command" in one_error_line(capsys)


def test_repeated_bug_plants_every_bug(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["check", DEMO, "--bug", "dW_x2:1", "--bug", "db_x4:2", "--json", str(out)]) == 1
    report = CheckReport.from_dict(json.loads(out.read_text()))
    assert set(report.failing_blocks()) == {"W1", "b2"}
    assert "failing blocks: W1, b2" in capsys.readouterr().out


def _tiny_data(tmp_path, m):
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.standard_normal((m, 2)), np.arange(m) % 2])
    path = tmp_path / "tiny.csv"
    np.savetxt(path, rows, delimiter=",", fmt="%.6f")
    spec = {"input_dim": 2, "layers": [{"units": 3, "activation": "tanh"},
                                       {"units": 2, "activation": "linear"}]}
    (tmp_path / "net.json").write_text(json.dumps(spec))
    return str(tmp_path / "net.json"), str(path)


def test_examples_uses_exactly_n_even_on_a_tiny_data_set(tmp_path, monkeypatch):
    from gradviz.core.data import problem as problem_module

    seen = []
    build = problem_module.build_problem

    def spy(*args, **kwargs):
        built = build(*args, **kwargs)
        seen.append(built.X_check.shape[1])
        return built

    monkeypatch.setattr(problem_module, "build_problem", spy)
    net, data = _tiny_data(tmp_path, 3)
    assert main(["check", net, "--data", data, "--examples", "3"]) == 0
    assert seen == [3]


def test_examples_beyond_the_data_set_says_why(tmp_path, capsys):
    net, data = _tiny_data(tmp_path, 3)
    assert main(["check", net, "--data", data, "--examples", "4"]) == 2
    assert "at most 3" in one_error_line(capsys)


@pytest.mark.parametrize("option", ["--json", "--csv"])
def test_export_to_stdout_keeps_the_table_on_stderr(option, capsys):
    assert main(["check", SMALL, option, "-"]) == 0
    captured = capsys.readouterr()
    if option == "--json":
        assert CheckReport.from_dict(json.loads(captured.out)).conclusion == "correct"
    else:
        assert captured.out.startswith("block,index,analytic,numeric")
    assert "great" in captured.err
    assert not Path("-").exists()


def test_only_one_export_may_use_stdout(capsys):
    assert main(["check", SMALL, "--json", "-", "--csv", "-"]) == 2
    assert "only one of --json and --csv" in one_error_line(capsys)


def test_sweep_json_to_stdout(capsys):
    assert main(["sweep", SMALL, "--block", "b1", "--index", "0,0", "--dtypes", "float64",
                 "--json", "-"]) == 0
    curves = json.loads(capsys.readouterr().out)["curves"]
    assert [c["method"] for c in curves] == ["centered", "forward"]


def test_bench_json(capsys):
    assert main(["bench", "--json", "--nets", "small"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [row["net"] for row in result["nets"]] == ["small"]
    assert result["nets"][0]["within_bound"]


@pytest.mark.parametrize(
    "args",
    [
        ["check", DEMO, "--json", ""],
        ["check", DEMO, "--csv", " "],
        ["check", DEMO, "--blocks", ""],
        ["check", DEMO, "--blocks", "W1,,b1"],
        ["check", DEMO, "--data", ""],
        ["check", ""],
        ["sweep", DEMO, "--dtypes", ""],
        ["sweep", DEMO, "--block", ""],
        ["sweep", DEMO, "--index", "-1,0"],
        ["train", DEMO, "--iterations", "-5"],
        ["train", DEMO, "--check-at", "-1"],
        ["check", DEMO, "--epsilon", "1e155"],
        ["check", DEMO, "--epsilon", "nan"],
        ["check", DEMO, "--examples", "0"],
        ["train", DEMO, "--lr", "inf"],
    ],
)
def test_empty_or_out_of_range_values_are_bad_input(args, capsys):
    assert main(args) == 2
    one_error_line(capsys)


def test_internal_error_exits_4_in_one_line(monkeypatch, capsys):
    def broken(args):
        raise KeyError("boom")

    monkeypatch.setitem(cli.COMMANDS, "check", broken)
    assert main(["check", DEMO]) == 4
    err = one_error_line(capsys, "gradviz: internal error: KeyError")
    assert "--debug" in err
    assert main(["check", DEMO, "--debug"]) == 4
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.splitlines()[-1].startswith("gradviz: internal error: KeyError")


def test_memory_error_is_bad_input(monkeypatch, capsys):
    def hungry(args):
        raise MemoryError

    monkeypatch.setitem(cli.COMMANDS, "check", hungry)
    assert main(["check", DEMO]) == 2
    assert "not enough memory" in one_error_line(capsys)


def test_a_huge_network_is_refused_with_the_estimate(tmp_path, capsys):
    spec = {"input_dim": 1_000_000, "layers": [{"units": 10_000, "activation": "tanh"},
                                               {"units": 2, "activation": "linear"}]}
    (tmp_path / "huge.json").write_text(json.dumps(spec))
    assert main(["check", str(tmp_path / "huge.json")]) == 2
    err = one_error_line(capsys)
    assert "needs" in err
    assert "GB is available" in err


def test_exit_codes_from_a_real_process(tmp_path):
    """The status a shell script sees: 0 correct, 1 bug, 2 bad input."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "gradviz", *args], capture_output=True,
                              text=True, timeout=120, env=env, cwd=tmp_path).returncode

    assert run("check", SMALL) == 0
    assert run("check", SMALL, "--bug", "dW_x2:1") == 1
    assert run("check", SMALL, "--json", "") == 2
