"""The check controls, driven like a user: run, plant a bug, dropout modes, precision, epsilon,
cancel; and the app gives the same numbers as `gradviz check`."""

import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QLineEdit, QProgressBar, QSlider, QSpinBox

from gradviz.cli import main as cli_main
from gradviz.core.data.session import CheckSettings, DataSettings, Session
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.report.check_report import CheckReport


def small_session(path, *, keep_prob=1.0, units=8, input_dim=2, dataset="spiral", **check):
    spec = NetworkSpec(input_dim, [LayerSpec(units, "tanh", keep_prob), LayerSpec(3, "linear")])
    session = Session(spec, DataSettings(dataset=dataset, m=60), CheckSettings(**check))
    session.save(path)
    return path


def big_session(folder):
    """51,459 parameters checked by the reference loop (dropout 'resample'): over a minute."""
    return small_session(folder / "big.gradviz.json", units=256, input_dim=200, dataset="blobs",
                         dropout="resample")


def test_run_check_on_the_default_net_passes(user, window):
    report = user.run_check()
    assert report.passed
    assert window.report is report
    assert "CORRECT" in user.verdict()
    assert all(np.isfinite(window.heatmap.image(name)).all() for name in report.blocks)
    progress = user.find(QProgressBar, "checkProgress")
    assert progress.value() == progress.maximum() == report.n_checked


def test_planted_bug_shows_its_block_in_verdict_and_heatmap(user, window):
    user.choose("bugCombo", "dW_x2")
    user.type_into("bugLayerSpin", "2")
    report = user.run_check()
    assert report.failing_blocks() == ["W2"]
    assert "BUG" in user.verdict()
    assert "failing blocks: W2" in user.verdict()
    # relative error 1/2 everywhere in W2 (log10 ≈ -0.3), tiny in W1
    assert np.nanmin(window.heatmap.image("W2")) > -0.5
    assert np.nanmax(window.heatmap.image("W1")) < -4
    user.choose("heatmapModeCombo", "ratio")
    assert np.allclose(window.heatmap.image("W2"), 2.0)


def test_dropout_resample_fails_and_frozen_passes(user, window, tmp_path):
    assert window.load_session(small_session(tmp_path / "dropout.gradviz.json", keep_prob=0.7))
    user.click("dropoutCheck")
    assert user.find(QCheckBox, "dropoutCheck").isChecked()
    assert window.session().check.dropout == "frozen"
    assert user.run_check().passed
    user.choose("dropoutModeCombo", "resample")
    report = user.run_check()
    assert not report.passed
    assert "drawn anew" in user.verdict()
    user.choose("dropoutModeCombo", "off")
    assert not user.find(QCheckBox, "dropoutCheck").isChecked()


def test_float32_warns_about_epsilon(user, window):
    user.choose("precisionCombo", "float32")
    assert window.problem.net.params["W1"].dtype == np.float32
    report = user.run_check()
    assert report.settings["dtype"] == "float32"
    assert "below the float32 spacing" in user.verdict()


def test_precision_change_keeps_and_casts_the_parameters(user, window):
    before = window.problem.net.params["W1"].copy()
    user.choose("precisionCombo", "float32")
    assert np.array_equal(window.problem.net.params["W1"], before.astype(np.float32))
    user.choose("regularizationCombo", "l2")
    assert window.session().spec.l2 > 0
    assert np.array_equal(window.problem.net.params["W1"], before.astype(np.float32))


def test_epsilon_typed_and_slid_stay_in_sync(user, window):
    user.type_into("epsilonInput", "1e-4")
    assert window.session().check.epsilon == 1e-4
    assert user.find(QSlider, "epsilonSlider").value() == -40
    user.type_into("epsilonInput", "5")  # outside 1e-10..1e-1: not accepted
    assert window.session().check.epsilon == 1e-4
    user.find(QSlider, "epsilonSlider").setValue(-60)
    assert window.session().check.epsilon == 1e-6
    assert user.find(QLineEdit, "epsilonInput").text() == "1e-06"


def test_lambda_rejects_negative_values(user, window):
    user.choose("regularizationCombo", "l1")
    user.type_into("lambdaInput", "-3")
    user.type_into("lambdaInput", "0.5")
    assert window.session().spec.l1 == 0.5
    assert window.session().spec.l2 == 0.0


def test_sampling_leaves_unchecked_components_blank(user, window):
    user.type_into("sampleInput", "3")
    assert user.find(QSpinBox, "sampleInput").value() == 3
    report = user.run_check()
    assert report.n_checked == 3 * len(report.blocks)
    for name in report.blocks:
        assert np.isfinite(window.heatmap.image(name)).sum() == 3
    assert "were checked (sampled)" in user.verdict()


def test_a_failed_check_shows_its_error(user, window):
    user.choose("precisionCombo", "float16")
    user.choose("methodCombo", "complex")
    with user.qtbot.waitSignal(window.runner.failed, timeout=10_000):
        user.click("runCheckButton")
    assert "float16" in user.verdict()
    assert "ERROR" in user.verdict()


def test_cancel_stops_a_long_check_and_restores_parameters(user, window, tmp_path):
    assert window.load_session(big_session(tmp_path))
    before = {k: v.copy() for k, v in window.problem.net.params.items()}
    progress = user.find(QProgressBar, "checkProgress")
    beats = []  # the event loop's heartbeat while the check runs
    heart = QTimer(interval=5, timeout=lambda: beats.append(time.perf_counter()))
    heart.start()
    user.click("runCheckButton")
    # the loop keeps beating while the check runs: the check is not on the GUI thread
    user.qtbot.waitUntil(lambda: progress.value() > 500 and len(beats) > 10, timeout=10_000)
    heart.stop()
    assert window.is_checking()
    with user.qtbot.waitSignal(window.check_cancelled, timeout=5_000):
        user.click("cancelCheckButton")
    print(f"longest event-loop stall during the check: {1000 * np.diff(beats).max():.0f} ms")
    assert not window.is_checking()
    assert window.report is None
    assert "cancelled" in user.verdict()
    for name, value in before.items():
        assert np.array_equal(window.problem.net.params[name], value)
        assert window.problem.net.params[name].dtype == value.dtype
    assert np.isfinite(window.heatmap.image("W1")).any()  # what finished is shown


def test_starting_a_check_cancels_the_running_one(user, window, tmp_path):
    assert window.load_session(big_session(tmp_path))
    progress = user.find(QProgressBar, "checkProgress")
    user.click("runCheckButton")
    user.qtbot.waitUntil(lambda: progress.value() > 0, timeout=10_000)
    user.type_into("sampleInput", "2")
    report = user.run_check()
    assert report.n_checked == 2 * len(report.blocks)


@pytest.mark.parametrize("bug", [None, "db_x4:1"])
def test_app_and_cli_give_the_same_numbers(user, window, tmp_path, bug):
    if bug:
        user.choose("bugCombo", bug.split(":")[0])
    user.type_into("sampleInput", "5")
    report = user.run_check()
    path = tmp_path / "same.gradviz.json"
    assert window.save_session(path, include_params=True)
    out = tmp_path / "report.json"
    cli_main(["check", str(path), "--json", str(out)])
    cli = CheckReport.from_dict(json.loads(out.read_text()))
    assert report.settings == cli.settings
    for name, block in report.blocks.items():
        for field in ("analytic", "numeric", "kink"):
            np.testing.assert_array_equal(getattr(block, field), getattr(cli.blocks[name], field))


def test_quick_check_passes_and_finds_a_planted_bug(user, window):
    with user.qtbot.waitSignal(window.quick_check_finished, timeout=10_000) as blocker:
        user.click("quickCheckButton")
    assert blocker.args[0].passed
    assert "QUICK: PASS" in user.verdict()
    user.choose("bugCombo", "dW_x2")
    user.type_into("bugLayerSpin", "2")
    with user.qtbot.waitSignal(window.quick_check_finished, timeout=10_000) as blocker:
        user.click("quickCheckButton")
    assert blocker.args[0].failing_blocks() == ["W2"]
    assert "QUICK: FAIL" in user.verdict()
    assert "W2" in user.verdict()
