"""`gradviz check`: exit codes, output, exports and bad input, driven as a user would."""

import json
import subprocess
import sys

import numpy as np
import pytest

from gradviz.cli import main
from gradviz.core.data.session import Session
from gradviz.core.report.check_report import CheckReport
from gradviz.resource_paths import presets_dir

SMALL = str(presets_dir() / "small-relu.gradviz.json")
DEMO = str(presets_dir() / "spiral-tanh.gradviz.json")


def test_demo_check_passes_and_prints_a_table(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    for block in ("W1", "b1", "W2", "b2", "W3", "b3"):
        assert f"\n{block} " in out
    assert "great" in out or "ok:" in out


def test_planted_bug_fails_in_its_block(capsys):
    assert main(["check", DEMO, "--bug", "dW_x2:2"]) == 1
    out = capsys.readouterr().out
    assert "failing blocks: W2" in out
    w2_row = next(line for line in out.splitlines() if line.startswith("W2 "))
    assert w2_row.endswith("FAIL")
    assert next(line for line in out.splitlines() if line.startswith("W1 ")).endswith("ok")


def test_float32_with_tiny_epsilon_is_inconclusive_with_the_warning(capsys):
    # a correct net: rounding explains every disagreement, so no bug, exit 3 (inconclusive)
    assert main(["check", DEMO, "--dtype", "float32", "--epsilon", "1e-7"]) == 3
    out = capsys.readouterr().out
    assert "below the float32 spacing" in out
    assert out.splitlines()[-1].startswith("inconclusive: ")
    assert "use float64" in out.splitlines()[-1]


def test_json_and_csv_exports_match_the_printed_check(tmp_path, capsys):
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    assert main(["check", SMALL, "--json", str(out_json), "--csv", str(out_csv)]) == 0
    report = CheckReport.from_dict(json.loads(out_json.read_text()))
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "block,index,analytic,numeric,abs_error,rel_error,kink,kind,numeric_second"
    assert len(rows) - 1 == report.n_checked == Session.load(SMALL).spec.n_params
    assert f"{report.difference:.2e}" in capsys.readouterr().out


def test_command_line_options_reach_the_check(tmp_path):
    out_json = tmp_path / "r.json"
    args = ["check", DEMO, "--method", "richardson", "--epsilon", "1e-3", "--terms", "data",
            "--sample", "3", "--blocks", "W1,b3", "--examples", "4", "--json", str(out_json)]
    assert main(args) == 0
    data = json.loads(out_json.read_text())
    assert data["settings"]["method"] == "richardson"
    assert data["settings"]["epsilon"] == 1e-3
    assert data["settings"]["terms"] == "data"
    assert list(data["blocks"]) == ["W1", "b3"]
    assert sum(v is not None for row in data["blocks"]["W1"]["numeric"] for v in row) == 3


def test_bare_spec_and_csv_data(tmp_path):
    spec = {"input_dim": 3, "layers": [{"units": 4, "activation": "tanh"},
                                       {"units": 2, "activation": "linear"}]}
    (tmp_path / "net.json").write_text(json.dumps(spec))
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.standard_normal((30, 3)), rng.integers(0, 2, 30)])
    np.savetxt(tmp_path / "data.csv", rows, delimiter=",", fmt="%.6f")
    assert main(["check", str(tmp_path / "net.json"), "--data", str(tmp_path / "data.csv")]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.json"], "cannot read"),
        (["check", DEMO, "--bug", "nonsense:1"], "unknown bug kind"),
        (["check", DEMO, "--bug", "dW_x2:9"], "bug layer"),
        (["check", DEMO, "--epsilon", "-1"], "epsilon"),
        (["check", DEMO, "--method", "secant"], "method"),
        (["check", DEMO, "--sample", "0"], "sample"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert err.startswith("gradviz: error:")


def test_malformed_session_file_is_named(tmp_path, capsys):
    bad = tmp_path / "bad.gradviz.json"
    bad.write_text('{"format": "gradviz-session", "version": 99, "spec": {}}')
    assert main(["check", str(bad)]) == 2
    assert "version 99" in capsys.readouterr().err


def test_installed_entry_point_runs_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gradviz", "check", str(tmp_path / "no.json")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_sanity_command_reports_each_check(capsys):
    assert main(["sanity", SMALL]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("]")[0] for line in out] == ["[ok"] * 3
    assert "ln 2" in out[0]


def test_sweep_command_fits_slopes(tmp_path, capsys):
    out_json = tmp_path / "sweep.json"
    assert main(["sweep", DEMO, "--block", "W2", "--index", "1,2", "--dtypes", "float64",
                 "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text())
    slopes = {c["method"]: c["slope"] for c in data["curves"]}
    assert slopes["centered"] == pytest.approx(2, abs=0.4)
    assert slopes["forward"] == pytest.approx(1, abs=0.3)
    assert "float64 centered: slope +" in capsys.readouterr().out


def test_train_command_checks_at_each_iteration(capsys):
    lesson = str(presets_dir().parent / "lessons" / "07-check-after-training.gradviz.json")
    assert main(["train", lesson, "--iterations", "100", "--check-at", "0"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("iteration 0:")
    assert "great" in lines[0]
    assert lines[1].startswith("iteration 100:")
    assert "failing: W2" in lines[1]


def test_train_command_rejects_bad_iterations(capsys):
    assert main(["train", DEMO, "--check-at", "a,b"]) == 2
    assert "whole numbers" in capsys.readouterr().err
