"""gradviz.testing.assert_gradients and the pytest plugin's ``gradviz`` fixture, run as a user's
test suite would run them (pytester), on a model whose backprop is written out in the test."""

import csv
import importlib.metadata
import re
from pathlib import Path

import numpy as np
import pytest
import two_layer
from two_layer import TwoLayer, data

import gradviz
from gradviz.testing import ARTIFACTS_ENV, assert_gradients

pytest_plugins = ["pytester"]


USER_TESTS = '''
from gradviz.testing import assert_gradients
from two_layer import TwoLayer, data


def test_right_backprop_passes(gradviz):
    report = gradviz(TwoLayer(), *data())
    assert report.conclusion == "correct"


def test_doubled_db1_fails(gradviz):
    gradviz(TwoLayer(buggy=True), *data())


def test_plain_assertion_fails():
    assert_gradients(TwoLayer(buggy=True), *data())
'''


def plugin_args() -> list[str]:
    """Load the plugin by name unless pip installed its entry point (then pytest loads it)."""
    installed = importlib.metadata.entry_points(group="pytest11", name="gradviz")
    return [] if installed else ["-p", "gradviz.pytest_plugin"]


@pytest.fixture
def user_suite(pytester):
    pytester.makepyfile(two_layer=Path(two_layer.__file__).read_text(encoding="utf-8"),
                         test_user=USER_TESTS)
    pytester.syspathinsert()
    return pytester


def named_files(output: str) -> dict[str, Path]:
    return {kind: Path(path) for kind, path in
            re.findall(r"^E?\s*(heatmap|components|report): (\S+)$", output, flags=re.MULTILINE)}


def test_a_user_suite_fails_only_the_wrong_backprop_and_says_why(user_suite):
    result = user_suite.runpytest(*plugin_args())
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*gradient check of TwoLayer: bug: backprop's gradient is wrong*",
        "*failing blocks: b1*",
        "*db1 is 2.00× the numeric gradient everywhere: a scaling bug*",
        "*worst components:*",
        "*b1[[]*",
    ])
    text = result.stdout.str()
    folders = {Path(p).parent.name for p in re.findall(r"heatmap: (\S+)", text)}
    assert folders == {"test_doubled_db1_fails0", "test_plain_assertion_fails0"}  # each test's tmp_path


def test_the_files_it_names_hold_the_heatmap_the_components_and_the_report(user_suite):
    result = user_suite.runpytest(*plugin_args(), "-k", "doubled")
    files = named_files(result.stdout.str())
    assert sorted(files) == ["components", "heatmap", "report"]
    assert files["heatmap"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with files["components"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 * 3 + 4 + 2 * 4 + 2
    db1 = [r for r in rows if r["block"] == "b1"]
    assert all(np.isclose(float(r["analytic"]), 2 * float(r["numeric"]), rtol=1e-6) for r in db1)
    assert "data:image/png;base64," in files["report"].read_text(encoding="utf-8")


def test_gradviz_artifacts_overrides_the_folder(user_suite, tmp_path, monkeypatch):
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path / "ci-artifacts"))
    result = user_suite.runpytest(*plugin_args())
    result.assert_outcomes(passed=1, failed=2)
    names = sorted(p.name for p in (tmp_path / "ci-artifacts").iterdir())
    assert names == ["TwoLayer-2-components.csv", "TwoLayer-2-heatmap.png", "TwoLayer-2-report.html",
                     "TwoLayer-components.csv", "TwoLayer-heatmap.png", "TwoLayer-report.html"]


def test_a_right_model_passes_silently_and_returns_the_report():
    report = assert_gradients(TwoLayer(), *data(), sample=3)
    assert report.conclusion == "correct"
    assert report.n_checked == 3 + 3 + 3 + 2


def test_outside_pytest_a_failure_leaves_its_files_in_the_folder_given(tmp_path):
    with pytest.raises(AssertionError) as failure:
        assert_gradients(TwoLayer(buggy=True), *data(), artifacts=tmp_path)
    message = str(failure.value)
    assert message.splitlines()[0] == "gradient check of TwoLayer: bug: backprop's gradient is wrong"
    assert gradviz.gradient_check(TwoLayer(buggy=True), *data()).summary()[2] in message
    assert named_files(message) == {"heatmap": tmp_path / "TwoLayer-heatmap.png",
                                    "components": tmp_path / "TwoLayer-components.csv",
                                    "report": tmp_path / "TwoLayer-report.html"}


def test_layer_options_on_a_model_are_refused():
    with pytest.raises(ValueError, match="dout and wrt apply to a layer"):
        assert_gradients(TwoLayer(), *data(), wrt="W1")


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def affine_backward_doubled_db(dout, cache):
    dx, dw, db = affine_backward(dout, cache)
    return dx, dw, 2 * db


def test_a_cs231n_layer_is_checked_with_a_random_upstream_gradient(tmp_path):
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    report = assert_gradients(affine_forward, affine_backward, x, w, b)
    assert list(report.blocks) == ["x", "w", "b"]
    assert report.blocks["x"].analytic.shape == (4, 2, 3)
    with pytest.raises(AssertionError) as failure:
        assert_gradients(affine_forward, affine_backward_doubled_db, x, w, b, artifacts=tmp_path)
    message = str(failure.value)
    assert message.startswith("gradient check of affine_forward: bug")
    assert "the gradient of b is 2.00× the numeric gradient everywhere: a scaling bug" in message
    assert (tmp_path / "affine_forward-heatmap.png").is_file()
    assert assert_gradients(affine_forward, affine_backward_doubled_db, x, w, b, wrt=["x", "w"]).passed
