"""Checks asked from the window: check_failed whenever a check cannot start or fails,
check_finished carrying the report of the check asked for, the quick check's per-component
localization, stale results greyed until the next run, pinned cells that no longer exist
dropped, and every check-panel edit undoable."""

import numpy as np
import pytest
from PySide6.QtWidgets import QCheckBox, QProgressBar

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.data.session import CheckSettings, DataSettings, Session
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.resource_paths import presets_dir
from gradviz.ui import MainWindow
from gradviz.ui.check import check_worker
from gradviz.ui.check.check_panel import STALE_TEXT
from gradviz.ui.common.stale import stale_note
from gradviz.ui.stale_results import NOTES

DEMO_BLOCKS = 4  # W1, b1, W2, b2


# -- check_failed ----------------------------------------------------------------------------------
def test_a_bug_that_cannot_be_planted_fails_with_its_reason(qtbot, user, window):
    user.choose("bugCombo", "dW_transposed")  # needs a square W1; the demo's is 16×2
    with qtbot.waitSignal(window.check_failed, timeout=5_000) as failed:
        user.click("runCheckButton")
    assert "dW_transposed" in failed.args[0]
    assert "square" in failed.args[0]
    assert "ERROR" in user.verdict()
    assert not window.is_checking()
    assert window.run_check() is False


def test_a_check_failing_in_the_worker_reaches_check_failed(qtbot, user, window):
    user.choose("precisionCombo", "float16")
    user.choose("methodCombo", "complex")
    with qtbot.waitSignal(window.check_failed, timeout=10_000) as failed:
        user.click("runCheckButton")
    assert "float16" in failed.args[0]


def test_no_network_to_check_fails_at_once(qtbot):
    spec = NetworkSpec(5, [LayerSpec(3, "linear")])  # spiral data is 2-D: it cannot be built
    window = MainWindow(Session(spec, DataSettings("spiral", m=30)))
    qtbot.addWidget(window)
    assert window.problem is None
    with qtbot.waitSignal(window.check_failed, timeout=1_000) as failed:
        assert window.run_check() is False
    assert "no network" in failed.args[0]
    with qtbot.waitSignal(window.check_failed, timeout=1_000):
        window.run_quick_check()


# -- check_finished carries the right report -------------------------------------------------------
def test_a_check_started_while_the_last_report_is_pending_gets_its_own(qtbot, user, window):
    seen = []
    window.check_finished.connect(seen.append)
    chained = []

    def start_another(*_):
        if not chained:  # the first report arrived; its signal is still pending
            chained.append(True)
            window.check_panel.sample_input.setValue(2)
            window.run_check()

    window.runner.finished_check.connect(start_another)
    window.run_check()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=20_000)
    assert seen[0].n_checked == 99  # the first check's report, delivered before the second began
    assert seen[1].n_checked == 2 * DEMO_BLOCKS
    assert window.report is seen[1]


def test_two_checks_back_to_back_give_the_second_report_only(qtbot, user, window):
    seen = []
    window.check_finished.connect(seen.append)
    window.run_check()
    window.check_panel.sample_input.setValue(3)
    with qtbot.waitSignal(window.check_finished, timeout=20_000) as finished:
        window.run_check()
    assert finished.args[0].n_checked == 3 * DEMO_BLOCKS
    qtbot.wait(50)  # let a (wrong) late emission of the first check show up, if any
    assert [r.n_checked for r in seen] == [3 * DEMO_BLOCKS]


# -- the quick check -------------------------------------------------------------------------------
def test_quick_check_shows_the_failing_block_per_component(qtbot, user, window):
    user.choose("bugCombo", "dW_x2")
    user.type_into("bugLayerSpin", "2")
    with qtbot.waitSignal(window.quick_check_finished, timeout=10_000) as quick:
        user.click("quickCheckButton")
    assert quick.args[0].failing_blocks() == ["W2"]
    report = window.report
    assert report.blocks["W2"].n_checked == report.blocks["W2"].analytic.size
    assert report.blocks["W1"].n_checked == 0  # not checked: blank
    assert np.allclose(report.blocks["W2"].analytic / report.blocks["W2"].numeric, 2.0)
    assert np.isfinite(window.heatmap.image("W2")).all()
    assert not np.isfinite(window.heatmap.image("W1")).any()


def test_quick_check_on_a_correct_net_leaves_the_heatmap_alone(qtbot, user, window):
    with qtbot.waitSignal(window.quick_check_finished, timeout=10_000) as quick:
        window.run_quick_check()
    assert quick.args[0].passed
    assert window.report is None


# -- stale results ---------------------------------------------------------------------------------
def test_a_change_greys_the_result_until_the_next_run(qtbot, user, window):
    user.run_check()
    assert window.stale_note() is None
    user.type_into("epsilonInput", "1e-5")
    assert window.stale_note() == NOTES["check"]
    assert user.find(QProgressBar, "checkProgress").format() == STALE_TEXT
    assert stale_note(window.verdict_area) == NOTES["check"]
    image = window.heatmap.image("W1")
    user.choose("regularizationCombo", "l2")  # same shapes: the last result stays, greyed
    assert window.stale_note() == NOTES["network"]
    np.testing.assert_array_equal(window.heatmap.image("W1"), image)
    user.run_check()
    assert window.stale_note() is None
    assert stale_note(window.verdict_area) is None
    window.training_dock.raise_()
    with qtbot.waitSignal(window.training_step, timeout=5_000):
        user.click("stepButton")
    assert window.stale_note() == NOTES["training"]


def test_progress_reaches_the_heatmap_while_the_check_runs(qtbot, window, tmp_path):
    spec = NetworkSpec(200, [LayerSpec(256, "tanh"), LayerSpec(3, "linear")])  # over a minute
    Session(spec, DataSettings("blobs", m=60), CheckSettings(dropout="resample")).save(tmp_path / "s.json")
    assert window.load_session(tmp_path / "s.json")
    with qtbot.waitSignal(window.runner.progressed, timeout=10_000) as progress:
        window.run_check()
    assert window.is_checking()  # delivered in batches as the check goes, not only at its end
    done = progress.args[0][-1].done
    qtbot.waitUntil(lambda: np.isfinite(window.heatmap.image("W1")).sum() >= done)
    with qtbot.waitSignal(window.check_cancelled, timeout=5_000):
        window.cancel_check()


def test_a_change_during_a_check_leaves_its_report_stale(qtbot, user, window, tmp_path):
    spec = NetworkSpec(60, [LayerSpec(120, "tanh"), LayerSpec(3, "linear")])
    settings = CheckSettings(dropout="resample", sample=300)  # the reference loop: progress chunks
    Session(spec, DataSettings("blobs", m=60), settings).save(tmp_path / "s.json")
    assert window.load_session(tmp_path / "s.json")
    changed = []

    def change_once(*_):
        if not changed:
            changed.append(True)
            user.choose("termsCombo", "data")

    window.runner.progressed.connect(change_once)
    with qtbot.waitSignal(window.check_finished, timeout=30_000) as finished:
        window.run_check()
    assert changed
    assert finished.args[0].settings["terms"] == "all"  # the report of the settings it ran with
    assert window.stale_note() == NOTES["check"]  # ... which are not the panel's any more
    user.run_check()
    assert window.stale_note() is None


def test_the_sweep_and_timeline_grey_when_the_network_changes(qtbot, user, window):
    sweep = window.classroom.sweep
    user.run_check()
    with qtbot.waitSignal(sweep.finished, timeout=30_000):
        sweep.run()
    assert stale_note(sweep) is None
    user.choose("lossCombo", "svm")
    assert stale_note(sweep) == NOTES["network"]
    with qtbot.waitSignal(sweep.finished, timeout=30_000):
        sweep.run_button.click()
    assert stale_note(sweep) is None


# -- pinned components -----------------------------------------------------------------------------
def test_a_pinned_cell_of_a_bigger_network_is_dropped(qtbot, user, window):
    assert window.load_session(presets_dir() / "softmax-10class.gradviz.json")
    user.run_check()
    big = window.heatmap.component("W1", (30, 60))
    window.heatmap.clicked.emit(big)  # pins it in the inspector and the explanation
    assert window.inspector.component.index == (30, 60)
    assert window.classroom.explanation.check_values()["analytic"] == big.analytic
    assert window.load_session(presets_dir() / "small-relu.gradviz.json")
    user.run_check()  # an IndexError here would fail the test (pytest-qt)
    assert window.inspector.component is None
    assert "analytic" not in window.classroom.explanation.check_values()


def test_a_pinned_cell_that_still_exists_follows_the_new_check(qtbot, user, window):
    first = user.run_check()
    window.heatmap.clicked.emit(window.heatmap.component("W1", (3, 1)))
    user.choose("bugCombo", "dW_x2")
    second = user.run_check()
    pinned = window.inspector.component
    assert pinned.index == (3, 1)
    assert pinned.analytic == pytest.approx(2 * first.blocks["W1"].analytic[3, 1])
    assert pinned.analytic == second.blocks["W1"].analytic[3, 1]


# -- undo ------------------------------------------------------------------------------------------
EDITS = [
    ("methodCombo", "richardson", lambda w: w.session().check.method),
    ("precisionCombo", "float32", lambda w: str(w.problem.net.params["W1"].dtype)),
    ("regularizationCombo", "l1", lambda w: w.session().spec.l1),
    ("termsCombo", "data", lambda w: w.session().check.terms),
    ("dropoutModeCombo", "resample", lambda w: w.session().check.dropout),
    ("bugCombo", "db_x4", lambda w: w.session().check.bug),
]


@pytest.mark.parametrize(("name", "value", "read"), EDITS, ids=[e[0] for e in EDITS])
def test_every_check_panel_edit_is_undoable(user, window, name, value, read):
    before = read(window)
    user.choose(name, value)
    after = read(window)
    assert after != before
    window.undo_stack.undo()
    assert read(window) == before
    window.undo_stack.redo()
    assert read(window) == after


def test_the_checkbox_slider_and_sampling_are_undoable_too(qtbot, user, window):
    user.click("dropoutCheck")
    assert window.session().check.dropout == "frozen"
    for position in (-60, -50, -40):  # one drag: one undo step
        window.check_panel.epsilon_slider.setValue(position)
    user.type_into("sampleInput", "5")
    stack = window.undo_stack
    assert stack.count() == 3
    stack.undo()
    assert window.session().check.sample is None
    stack.undo()
    assert window.session().check.epsilon == 1e-7
    stack.undo()
    assert window.session().check.dropout == "off"
    assert not user.find(QCheckBox, "dropoutCheck").isChecked()


# -- several planted bugs, reports from elsewhere --------------------------------------------------
def test_a_session_with_several_bugs_shows_and_plants_them_all(qtbot, user, window, tmp_path):
    session = window.session()
    session.check.bug = ["dW_x2:2", "db_x4:1"]
    session.save(tmp_path / "two.gradviz.json")
    assert window.load_session(tmp_path / "two.gradviz.json")
    combo = window.check_panel.bug_combo
    assert combo.currentText() == "dW_x2:2, db_x4:1"  # the panel shows every bug it plants
    report = user.run_check()
    assert sorted(report.failing_blocks()) == ["W2", "b1"]
    user.choose("bugCombo", "")
    assert window.session().check.bug is None
    window.undo_stack.undo()
    assert window.session().check.bugs == session.check.bugs


def test_show_report_puts_a_report_from_elsewhere_on_screen(qtbot, user, window):
    other = window.problem.net
    other.inject_bug("dW_x2", 1)
    report = gradient_check(other, window.problem.X_check, window.problem.y_check)
    other.clear_bug()
    user.type_into("epsilonInput", "1e-5")  # something stale to clear
    window.show_report(report)
    assert window.report is report
    assert window.stale_note() is None
    assert "W1" in user.verdict()
    assert np.nanmin(window.heatmap.image("W1")) > -0.5


def test_quick_check_samples_a_big_failing_block(qtbot, user, window, monkeypatch):
    monkeypatch.setattr(check_worker, "LOCATE_SAMPLE", 10)  # W2 has 48 components
    user.choose("bugCombo", "dW_x2")
    user.type_into("bugLayerSpin", "2")
    with qtbot.waitSignal(window.quick_check_finished, timeout=10_000):
        window.run_quick_check()
    assert window.report.blocks["W2"].n_checked == 10
