"""`gradviz sweep|train|sanity|check FILE.py`: the user's own model through every subcommand, run
as the real command, with the numbers recomputed here by an independent numpy two-layer net."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.modelfiles import MODEL, write_project

ROOT = Path(__file__).resolve().parents[2]
MODEL_ALONE = MODEL.replace("    return TwoLayerNet(), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)",
                            "    return TwoLayerNet()")
CUBE = '''import numpy as np


class Cube:
    """J = sum(w**3), a loss that ignores X and y."""

    def __init__(self):
        self.params = {"w": np.array([0.5, -1.5])}

    def loss(self, X, y):
        w = self.params["w"]
        return float(np.sum(w ** 3)), {"w": 3 * w ** 2}


def gradviz_model():
    return Cube()
'''
BUILT_IN = "needs the built-in gradviz network; a model file runs as its code is written"


def gradviz(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m gradviz ARGS` in ``folder`` with this worktree's gradviz."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "gradviz", *args], capture_output=True, text=True,
                          env=env, cwd=folder, check=False, timeout=120)


def error_line(result: subprocess.CompletedProcess) -> str:
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- the same two-layer net as tests/modelfiles.MODEL, written again from the maths ---------------

def start():
    """The model file's θ and examples (X (5, 4), y (5,))."""
    rng = np.random.default_rng(0)
    theta = {"W1": rng.standard_normal((4, 6)) / 2, "b1": 0.1 * rng.standard_normal(6),
             "W2": rng.standard_normal((6, 3)) / 2, "b2": 0.1 * rng.standard_normal(3)}
    data = np.random.default_rng(1)
    return theta, data.standard_normal((5, 4)), data.integers(0, 3, 5)


def loss_and_grads(theta, X, y):
    """Softmax cross-entropy of relu(X W1 + b1) W2 + b2, averaged over the 5 examples."""
    hidden = np.maximum(0, X @ theta["W1"] + theta["b1"])
    scores = hidden @ theta["W2"] + theta["b2"]
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    onehot = np.eye(3)[y]
    J = -np.mean(np.sum(onehot * log_probs, axis=1))
    dscores = (np.exp(log_probs) - onehot) / len(y)
    dhidden = (dscores @ theta["W2"].T) * (hidden > 0)
    return J, {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0), "W2": hidden.T @ dscores,
               "b2": dscores.sum(axis=0)}


def loss_at(theta, X, y, block, flat, delta):
    moved = {k: v.copy() for k, v in theta.items()}
    moved[block].flat[flat] += delta
    return loss_and_grads(moved, X, y)[0]


def curve(data: dict, method: str) -> dict:
    return next(c for c in data["curves"] if c["method"] == method)


# -- sweep ----------------------------------------------------------------------------------------

def test_sweep_of_one_component_matches_the_differences_computed_here(tmp_path):
    write_project(tmp_path)
    result = gradviz(tmp_path, "sweep", "model.py", "--block", "W2", "--index", "1,2", "--json", "-")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["block"], data["index"]) == ("W2", [1, 2])
    theta, X, y = start()
    J0, grads = loss_and_grads(theta, X, y)
    flat = 1 * 3 + 2
    for method in ("centered", "forward"):
        c = curve(data, method)
        e = c["epsilons"][-1]
        assert e == pytest.approx(0.1)
        plus, minus = loss_at(theta, X, y, "W2", flat, e), loss_at(theta, X, y, "W2", flat, -e)
        numeric = (plus - minus) / (2 * e) if method == "centered" else (plus - J0) / e
        assert c["errors"][-1] == pytest.approx(abs(numeric - grads["W2"].flat[flat]), rel=1e-6)
        assert c["dtype"] == "float64"
    # the text goes to stderr when the JSON takes stdout; a model file is swept in its own dtype
    assert result.stderr.startswith("W2[1, 2], float64 centered: slope +2.00 where truncation")
    assert "float32" not in result.stderr


def test_sweep_of_a_block_is_the_norm_ratio_computed_here(tmp_path):
    write_project(tmp_path)
    out = tmp_path / "sweep.json"
    result = gradviz(tmp_path, "sweep", "model.py", "--block", "b2", "--methods", "centered",
                     "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("b2, float64 centered: slope")
    c = curve(json.loads(out.read_text()), "centered")
    theta, X, y = start()
    e = c["epsilons"][-1]
    numeric = np.array([(loss_at(theta, X, y, "b2", i, e) - loss_at(theta, X, y, "b2", i, -e)) / (2 * e)
                        for i in range(3)])
    analytic = loss_and_grads(theta, X, y)[1]["b2"]
    ratio = np.linalg.norm(numeric - analytic) / (np.linalg.norm(numeric) + np.linalg.norm(analytic))
    assert c["errors"][-1] == pytest.approx(ratio, rel=1e-6)


def test_sweep_defaults_to_the_first_block_of_a_model_without_examples(tmp_path):
    (tmp_path / "cube.py").write_text(CUBE, encoding="utf-8")
    result = gradviz(tmp_path, "sweep", "cube.py", "--index", "0", "--methods", "centered",
                     "--json", "-")
    assert result.returncode == 0, result.stderr
    c = curve(json.loads(result.stdout), "centered")
    # ((w+ε)³ − (w−ε)³) / 2ε = 3w² + ε²: the centered error is ε² exactly
    assert c["errors"][-1] == pytest.approx(c["epsilons"][-1] ** 2, rel=1e-9)
    assert result.stderr.startswith("w[0], float64 centered:")


@pytest.mark.parametrize(("option", "message"), [
    (["--block", "W9"], "block must name a parameter among W1, b1, W2, b2; got 'W9'"),
    (["--dtypes", "float32"], "a custom model is swept in its own dtype (float64): include it in dtypes"),
])
def test_a_sweep_the_model_cannot_give_is_refused_in_one_line(tmp_path, option, message):
    write_project(tmp_path)
    result = gradviz(tmp_path, "sweep", "model.py", *option)
    assert result.returncode == 2
    assert error_line(result) == f"gradviz: error: {message}"


# -- train ----------------------------------------------------------------------------------------

def test_train_runs_sgd_at_the_given_rate_and_checks_at_each_iteration(tmp_path):
    write_project(tmp_path)
    result = gradviz(tmp_path, "train", "model.py", "--iterations", "3", "--check-at", "0,2",
                     "--lr", "0.05")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["iteration 0", "iteration 2", "iteration 3"]
    assert all("backprop agrees with the numeric gradient" in line for line in lines)
    theta, X, y = start()
    losses = {}
    for step in (1, 2, 3):  # a step record holds J before its update
        J, grads = loss_and_grads(theta, X, y)
        losses[step] = J
        theta = {k: v - 0.05 * grads[k] for k, v in theta.items()}
    for line, step in zip(lines[1:], (2, 3), strict=True):
        assert float(line.split("loss ")[1].split()[0]) == pytest.approx(losses[step], rel=5e-4)
    assert abs(losses[2] - losses[3]) > 1e-2  # the numbers tell the iterations apart


def test_train_with_adam_takes_a_step_of_lr_times_the_sign(tmp_path):
    write_project(tmp_path)
    result = gradviz(tmp_path, "train", "model.py", "--optimizer", "adam", "--lr", "0.01",
                     "--iterations", "2", "--check-at", "0")
    assert result.returncode == 0, result.stderr
    theta, X, y = start()
    grads = loss_and_grads(theta, X, y)[1]
    # Adam's first step: m̂ = g, v̂ = g², so the update is lr·g / (|g| + 1e-8)
    moved = {k: v - 0.01 * grads[k] / (np.abs(grads[k]) + 1e-8) for k, v in theta.items()}
    printed = result.stdout.splitlines()[-1]
    assert printed.startswith("iteration 2: loss ")
    assert float(printed.split("loss ")[1].split()[0]) == pytest.approx(
        loss_and_grads(moved, X, y)[0], rel=5e-4)


def test_train_with_a_bug_fails_at_every_checkpoint(tmp_path):
    write_project(tmp_path, db_factor="2.0")
    result = gradviz(tmp_path, "train", "model.py", "--iterations", "5", "--check-at", "0")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(line.endswith("failing: b1, b2") for line in lines)


# -- sanity ---------------------------------------------------------------------------------------

def test_sanity_overfits_the_examples_as_adam_does_here(tmp_path):
    write_project(tmp_path)
    result = gradviz(tmp_path, "sanity", "model.py")
    assert result.returncode == 0, result.stderr
    theta, X, y = start()
    m = {k: np.zeros_like(v) for k, v in theta.items()}
    v = {k: np.zeros_like(p) for k, p in theta.items()}
    for t in range(1, 1001):  # Adam, lr 0.01, full batch, until the loss falls below 0.05
        J, grads = loss_and_grads(theta, X, y)
        if J < 0.05:
            break
        for k, g in grads.items():
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            theta[k] = theta[k] - 0.01 * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    assert result.stdout.splitlines() == [
        f"[ok] overfit a tiny subset: The loss on the given examples fell to {J:.4g} (below 0.05) in "
        f"{t} iterations: the model can overfit a tiny subset.",
        "initial loss and regularization: not run, they need a built-in gradviz network (a known loss "
        "and its λ)",
    ]


def test_sanity_fails_when_the_loss_cannot_fall(tmp_path):
    write_project(tmp_path, model=MODEL.replace("        loss = -np.log(probs[np.arange(N), y]).mean()",
                                                "        loss = -np.log(probs[np.arange(N), y]).mean() + 1"))
    result = gradviz(tmp_path, "sanity", "model.py")
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("[FAIL] overfit a tiny subset: The loss on the given examples is still 1.0")
    assert "after 1000 iterations" in first
    assert "if your loss adds regularization, set it to 0 for this check" in first


# -- what a model file cannot do ------------------------------------------------------------------

@pytest.mark.parametrize(("command", "what"), [("train", "gradviz train"),
                                               ("sanity", "gradviz sanity (overfitting the examples)")])
def test_training_without_examples_asks_for_them(tmp_path, command, what):
    write_project(tmp_path, model=MODEL_ALONE)
    result = gradviz(tmp_path, command, "model.py")
    assert result.returncode == 2
    assert error_line(result) == (f"gradviz: error: {what} needs X and y: return (model, X, y) from "
                                  "gradviz_model()")


@pytest.mark.parametrize("command", ["sweep", "train", "sanity"])
@pytest.mark.parametrize("option", [["--bug", "dW_x2:1"], ["--dtype", "float32"], ["--data", "x.csv"]])
def test_options_for_the_built_in_network_are_refused(tmp_path, command, option):
    write_project(tmp_path)
    result = gradviz(tmp_path, command, "model.py", *option)
    assert result.returncode == 2
    assert error_line(result) == f"gradviz: error: {option[0]} {BUILT_IN}"


@pytest.mark.parametrize("command", ["sweep", "train", "sanity"])
def test_an_exception_in_the_users_loss_shows_their_frames(tmp_path, command):
    write_project(tmp_path, model=MODEL.replace(
        "        N = X.shape[0]\n", "        N = X.shape[0]\n        raise KeyError('no such layer')\n"))
    result = gradviz(tmp_path, command, "model.py")
    assert result.returncode == 2
    line = MODEL.splitlines().index("        N = X.shape[0]") + 2
    assert f'model.py", line {line}, in loss' in result.stderr
    assert result.stderr.rstrip().endswith("KeyError: 'no such layer'")
    assert "gradviz/" not in result.stderr


def test_a_loss_that_needs_examples_gets_the_hint_in_the_sweep(tmp_path):
    write_project(tmp_path, model=MODEL_ALONE)
    result = gradviz(tmp_path, "sweep", "model.py")
    assert result.returncode == 2
    assert "called with X = y = None; return (model, X, y)" in result.stderr


# -- every check option on a model file -----------------------------------------------------------

def test_check_json_to_stdout_holds_the_numeric_gradient_computed_here(tmp_path):
    write_project(tmp_path)
    result = gradviz(tmp_path, "check", "model.py", "--epsilon", "1e-4", "--method", "centered",
                     "--dropout", "off", "--terms", "all", "--engine", "auto", "--json", "-")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["settings"]["epsilon"] == 1e-4
    theta, X, y = start()
    e, flat = 1e-4, 1 * 3 + 2
    expected = (loss_at(theta, X, y, "W2", flat, e) - loss_at(theta, X, y, "W2", flat, -e)) / (2 * e)
    assert data["blocks"]["W2"]["numeric"][1][2] == pytest.approx(expected, rel=1e-9)
    assert "correct: every component agrees" in result.stderr  # the table went to stderr


def test_check_csv_to_stdout_with_forward_differences(tmp_path):
    write_project(tmp_path)
    result = gradviz(tmp_path, "check", "model.py", "--method", "forward", "--epsilon", "1e-6",
                     "--blocks", "b2", "--csv", "-")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["block"] for row in rows] == ["b2"] * 3
    theta, X, y = start()
    J0 = loss_and_grads(theta, X, y)[0]
    numeric = [(loss_at(theta, X, y, "b2", i, 1e-6) - J0) / 1e-6 for i in range(3)]
    # within the rounding of J over ε (1e-16 / 1e-6), far below forward's truncation (~1e-7)
    assert [float(row["numeric"]) for row in rows] == pytest.approx(numeric, abs=1e-9)


def test_check_with_richardson_and_a_sample_on_the_reference_engine(tmp_path):
    write_project(tmp_path)
    out = tmp_path / "r.json"
    result = gradviz(tmp_path, "check", "model.py", "--method", "richardson", "--sample", "2",
                     "--engine", "reference", "--json", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert (data["settings"]["method"], data["settings"]["sample"], data["engine"]) == (
        "richardson", 2, "reference")
    assert "8 of 51 components were checked" in result.stdout


def test_check_with_two_worker_processes_gives_the_same_numbers_bit_for_bit(tmp_path):
    write_project(tmp_path)
    reports = []
    for workers in ("1", "2"):
        result = gradviz(tmp_path, "check", "model.py", "--workers", workers, "--json", "-")
        assert result.returncode == 0, result.stderr
        reports.append(json.loads(result.stdout)["blocks"])
    assert reports[0] == reports[1]
    theta, X, y = start()
    analytic = loss_and_grads(theta, X, y)[1]["W1"]
    assert np.array(reports[1]["W1"]["numeric"]) == pytest.approx(analytic, abs=1e-8)


@pytest.mark.parametrize(("option", "message"), [
    (["--workers", "0"], "argument --workers: expected a whole number >= 1 or auto; got '0'"),
    (["--method", "complex"], "method 'complex' needs the built-in gradviz Network: a custom model's "
                              "loss may not be analytic; use 'centered'"),
    (["--engine", "fast"], "engine 'fast' cannot serve this check: the fast engine needs the built-in "
                           "gradviz Network; use engine 'auto' or 'reference'"),
    (["--json", "-", "--csv", "-"], "only one of --json and --csv can write to stdout (-)"),
    (["--examples", "2"], f"--examples {BUILT_IN}"),
    (["--dropout", "resample"], "--dropout resample needs the built-in gradviz network; turn your "
                                "model's dropout off for the check (--dropout off)"),
    (["--terms", "reg"], "--terms reg needs the built-in gradviz network; a model file's loss is "
                         "checked whole (--terms all)"),
])
def test_check_options_a_model_file_cannot_take_are_refused_in_one_line(tmp_path, option, message):
    write_project(tmp_path)
    result = gradviz(tmp_path, "check", "model.py", *option)
    assert result.returncode == 2
    assert error_line(result) == f"gradviz: error: {message}"
