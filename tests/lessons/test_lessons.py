"""Every lesson, followed step by step through the app as its text tells the class, and what the
text says happens, asserted. (The numbers in the texts are rounded from these.)"""

import math
import re

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from gradviz.core.data.session import Session
from gradviz.core.teach.cost import REFERENCE_SAMPLE
from gradviz.core.teach.quiz import home_blocks
from gradviz.resource_paths import lessons_dir

LESSONS = sorted(lessons_dir().glob("*.gradviz.json"))


def text_of(number: int) -> str:
    return next(lessons_dir().glob(f"{number:02d}-*.md")).read_text(encoding="utf-8")


def test_every_lesson_has_a_session_and_a_text():
    assert len(LESSONS) == 16
    for path in LESSONS:
        text = path.with_name(path.name.replace(".gradviz.json", ".md"))
        assert text.is_file(), text
        assert text.read_text().startswith("# ")
        assert Session.load(path).title


def test_every_control_a_lesson_names_exists(student, window):
    """Objects the texts tell the class to use are in the window (by their label or name)."""
    for name in ("trainItersInput", "trainItersButton", "normalizeCheck", "checkExamplesInput",
                 "initGainInput", "examplesInput", "devSplitInput", "bayesErrorInput",
                 "runSanityButton", "measureCostButton", "answerKindCombo", "answerButton"):
        assert window.findChild(object, name) is not None, name


def test_01_one_sided_is_inconclusive_centered_closes_in(qtbot, student, window):
    student.open_lesson(1)
    one_sided = student.run_check()
    assert one_sided.settings["method"] == "forward"
    assert 1e-3 < one_sided.difference < 3e-3
    assert one_sided.conclusion == "inconclusive"
    assert window.verdict.status == "inconclusive"
    student.choose("methodCombo", "centered")
    centered = student.run_check()
    assert one_sided.difference / centered.difference > 100
    assert 5e-6 < centered.difference < 2e-5
    assert centered.conclusion == "inconclusive"
    student.type_into("epsilonInput", "1e-5")
    small = student.run_check()
    assert small.difference < 1e-10
    assert small.conclusion == "correct"
    student.open("sweep")
    with qtbot.waitSignal(window.classroom.sweep.finished, timeout=60_000) as blocker:
        window.classroom.sweep.run()
    slopes = blocker.args[0].slopes
    assert slopes[("float64", "centered")] == pytest.approx(2, abs=0.3)
    assert slopes[("float64", "forward")] == pytest.approx(1, abs=0.3)


def test_02_the_planted_bug_and_the_quiz(qtbot, student, window):
    student.open_lesson(2)
    report = student.run_check()
    assert report.failing_blocks() == ["W2"]
    assert "2.00×" in window.verdict.text()
    student.choose("bugCombo", "db_x4")
    student.type_into("bugLayerSpin", "1")
    report = student.run_check()
    assert report.failing_blocks() == ["b1"]
    assert "4.00×" in window.verdict.text()
    student.choose("bugCombo", "")
    quiz = window.classroom.classroom
    quiz._popups = False
    with qtbot.waitSignal(quiz.sealed, timeout=30_000):
        window.classroom.actions["surprise"].trigger()
    student.run_check()
    home = sorted(home_blocks(window.sealed_bug, 3))
    window.heatmap.clicked.emit(window.heatmap.component(home[0], (0, 0)))
    with qtbot.waitSignal(quiz.revealed) as blocker:
        quiz.answer(window.sealed_bug.kind)
    assert blocker.args[0] is True


def test_03_missing_regularization_only_with_the_regularization_term(student, window):
    student.open_lesson(3)
    report = student.run_check()
    assert report.failing_blocks() == ["W1"]
    assert "regularization" in report.blocks["W1"].diagnosis.message
    student.choose("termsCombo", "data")
    assert student.run_check().conclusion == "correct"
    student.choose("termsCombo", "all")
    student.choose("bugCombo", "")
    assert student.run_check().conclusion == "correct"


def test_04_dropout_resample_is_inconclusive_frozen_checks_the_dropout_code(student, window):
    student.open_lesson(4)
    resampled = student.run_check(timeout=60_000)
    assert resampled.difference > 0.5
    assert resampled.conclusion == "inconclusive"
    student.choose("dropoutModeCombo", "off")
    assert student.run_check().conclusion == "correct"
    student.choose("dropoutModeCombo", "frozen")
    assert student.run_check().conclusion == "correct"
    student.choose("bugCombo", "dropout_mask_missing")
    student.type_into("bugLayerSpin", "1")
    assert student.run_check().failing_blocks() == ["W1", "b1"]


def test_05_float32_is_inconclusive_float64_correct(student, window):
    student.open_lesson(5)
    tiny = student.run_check()
    assert tiny.difference > 0.5
    assert tiny.conclusion == "inconclusive"
    assert any("below the float32 spacing" in w for w in tiny.warnings)
    student.type_into("epsilonInput", "1e-3")
    larger = student.run_check()
    assert 5e-5 < larger.difference < 5e-4
    assert larger.conclusion == "inconclusive"
    student.choose("precisionCombo", "float64")
    student.type_into("epsilonInput", "1e-7")
    double = student.run_check()
    assert double.difference < 1e-7
    assert double.conclusion == "correct"


def test_06_fewer_check_examples_fewer_kinks(student, window):
    student.open_lesson(6)
    many = student.run_check()
    assert many.settings["examples"] == 64
    assert many.n_kinks == 29
    assert 2e-3 < many.difference < 4e-3
    assert many.conclusion == "inconclusive"
    assert many.failing_blocks() == []
    student.type_into("checkExamplesInput", "3")
    few = student.run_check()
    assert few.settings["examples"] == 3
    assert few.n_kinks == 0
    assert few.difference < 1e-13
    assert few.conclusion == "correct"
    student.type_into("checkExamplesInput", "64")
    student.type_into("epsilonInput", "1e-6")
    small_step = student.run_check()
    assert small_step.n_kinks == 0
    assert small_step.conclusion == "correct"


def test_07_the_bug_hides_at_a_small_init_and_shows_after_100_iterations(qtbot, student, window):
    student.open_lesson(7)
    w2 = window.problem.net.params["W2"]
    assert 0.005 < np.std(w2) < 0.02  # small random weights, not zeros
    at_init = student.run_check()
    assert at_init.conclusion == "correct"
    assert at_init.blocks["W2"].difference < 3e-7
    student.train(100)
    assert window.training_panel.trainer.iteration == 100
    trained_theta = {k: v.copy() for k, v in window.problem.net.params.items()}
    with qtbot.waitSignal(window.check_finished, timeout=30_000) as blocker:
        student.click("checkNowButton")
    after = blocker.args[0]
    assert after.failing_blocks() == ["W2"]
    assert 1e-4 < after.blocks["W2"].difference < 1e-3
    student.open("timeline")
    timeline = window.classroom.timeline
    timeline.iterations_edit.setText("0, 100")
    with qtbot.waitSignal(timeline.finished, timeout=60_000) as blocker:
        student.click("runCheckpointsButton")
    first, last = blocker.args[0]
    assert first.report.conclusion == "correct"
    assert last.report.failing_blocks() == ["W2"]
    assert all(np.allclose(last.params[k], trained_theta[k]) for k in trained_theta)


def test_08_regularization_hides_the_bug_from_the_overall_number_not_from_the_biases(student, window):
    student.open_lesson(8)
    overall = student.run_check()
    assert overall.settings["terms"] == "all"
    assert overall.difference < 1e-5  # "probably fine" by Ng's number alone
    assert any("outweighs the data loss" in w for w in overall.warnings)
    assert overall.conclusion == "bug"
    assert {"b1", "b2"} <= set(overall.failing_blocks())
    assert 0.7 < overall.blocks["b1"].difference < 0.8
    assert overall.blocks["W1"].difference < 1e-5
    student.choose("termsCombo", "data")
    data = student.run_check()
    assert 0.2 < data.difference < 0.4
    assert data.failing_blocks() == ["W1", "b1", "W2", "b2"]
    student.choose("termsCombo", "reg")
    assert student.run_check().conclusion == "correct"


def test_09_sanity_checks_in_the_app(qtbot, student, window):
    student.open_lesson(9)
    student.open("sanity")
    panel = window.classroom.sanity
    with qtbot.waitSignal(panel.finished, timeout=60_000) as blocker:
        student.click("runSanityButton")
    initial, reg, overfit = blocker.args[0]
    assert initial.ok
    assert f"{initial.observed:.4g}" == "2.303" == f"{math.log(10):.4g}"
    assert [f"{r.data:.4g}" for r in reg.rows] == ["2.303"] * 4
    assert reg.ok
    assert 5e-4 < reg.rows[-1].reg < 1e-3
    assert overfit.ok
    assert overfit.curve.size <= 1000
    student.choose("initCombo", "he")
    with qtbot.waitSignal(panel.finished, timeout=60_000) as blocker:
        student.click("runSanityButton")
    he, reg, _ = blocker.args[0]
    assert not he.ok
    assert 2.7 < he.observed < 2.9
    assert 1.0 < reg.rows[-1].reg < 2.0


def test_10_normalization_and_init(student, window):
    student.open_lesson(10)
    student.open("dataView")
    assert "raw inputs" in window.classroom.data_view.note.text()
    student.train(300)
    losses = [r.loss for r in window.training_panel.trainer.history.steps]
    assert losses[-1] == pytest.approx(math.log(3), abs=1e-3)  # zero init: flat at ln 3
    student.choose("initCombo", "xavier")
    student.train(300)
    xavier = np.mean([r.loss for r in window.training_panel.trainer.history.steps[-20:]])
    assert 0.9 < xavier < 1.05
    student.click("normalizeCheck")
    assert "normalized" in window.classroom.data_view.note.text()
    student.train(300)
    normalized = np.mean([r.loss for r in window.training_panel.trainer.history.steps[-20:]])
    assert normalized < 0.06
    student.open("layerGradients")
    student.type_into("initGainInput", "0.1")
    panel = window.classroom.layer_gradients
    rms = panel.activations[:-1]
    assert np.all(rms[1:] / rms[:-1] < 0.2)  # about ten-fold smaller at every layer
    student.train(100)
    losses = [r.loss for r in window.training_panel.trainer.history.steps]
    assert np.mean(losses[-20:]) == pytest.approx(math.log(3), abs=0.01)


def read_bias_variance(window) -> tuple[float, float, str]:
    reading = window.classroom.bias_variance.reading
    return 100 * reading.train_error, 100 * reading.dev_error, reading.diagnosis.value


def test_11_the_four_cases_of_bias_and_variance(student, window):
    student.open_lesson(11)
    student.open("dataView")
    label = student.find(QLabel, "biasVarianceLabel")
    cases = [("Bias/variance 1", 800, "high variance"), ("Bias/variance 2", 300, "high bias"),
             ("Bias/variance 3", 300, "both"), ("Bias/variance 4", 300, "neither")]
    seen = {}
    for preset, iterations, expected in cases:
        student.load_preset(preset)
        student.train(iterations)
        seen[expected] = read_bias_variance(window)
        assert seen[expected][2] == expected, (preset, seen[expected])
        assert f"<b>{expected}</b>" in label.text()
    train, dev, _ = seen["high variance"]
    assert train < 3
    assert dev > 12
    train, dev, _ = seen["high bias"]
    assert 10 < train < 16
    assert dev < train + 5
    train, dev, _ = seen["both"]
    assert 10 < train < 20
    assert dev > 25
    train, dev, _ = seen["neither"]
    assert train < 1
    assert dev < 2
    student.load_preset("Bias/variance 2")
    student.train(300)
    student.type_into("bayesErrorInput", "12")
    assert read_bias_variance(window)[2] == "neither"


def test_12_regularization_against_overfitting(student, window):
    student.open_lesson(12)
    student.open("dataView")
    student.train(800)
    train, dev, reading = read_bias_variance(window)
    assert reading == "high variance"
    assert train < 1
    assert 7 < dev < 11
    for lam, expected in (("0.3", "neither"), ("1", "high bias")):
        student.click("resetTrainingButton")
        student.choose("regularizationCombo", "l2")
        student.type_into("lambdaInput", lam)
        assert window.problem.net.spec.l2 == float(lam)
        student.train(800)
        assert read_bias_variance(window)[2] == expected, lam
    student.click("resetTrainingButton")
    student.choose("regularizationCombo", "none")
    table = window.builder.layerTable
    for row in (0, 1):
        table.rows[row].keep.setValue(0.5)
    assert [layer.keep_prob for layer in window.problem.net.spec.layers] == [0.5, 0.5, 1.0]
    student.train(800)
    train, dev, _ = read_bias_variance(window)
    assert dev - train < 7  # the gap closes
    for row in (0, 1):
        table.rows[row].keep.setValue(1.0)
    student.train(800)
    panel = window.classroom.bias_variance
    epochs = window.training_panel.trainer.history.epochs
    assert panel.best_epoch < 20
    best = min(1 - e.dev_acc for e in epochs)
    assert 100 * best < read_bias_variance(window)[1]
    assert "early stopping would stop there" in panel.label.text()


def test_13_vanishing_and_exploding_with_depth(student, window):
    student.open_lesson(13)
    student.open("layerGradients")
    panel = window.classroom.layer_gradients
    rms = panel.activations[:-1]
    assert rms.min() > 0.1
    assert rms.max() < 0.6
    assert 0.03 < np.median(panel.norms) < 0.3
    student.type_into("initGainInput", "0.5")
    rms = panel.activations[:-1]
    assert rms[-1] < 3e-3
    assert np.median(panel.norms) < 3e-3
    student.load_preset("Deep relu")
    student.type_into("initGainInput", "2")
    rms = panel.activations[:-1]
    assert rms[-1] > 10
    assert np.median(panel.norms) > 30
    trainer = window.training_panel.trainer
    student.type_into("trainItersInput", "100")
    student.click("trainItersButton")
    student.qtbot.waitUntil(lambda: not window.training_panel.is_running(), timeout=30_000)
    assert trainer.history.steps[0].loss > 50
    assert trainer.iteration <= 2
    assert "diverged" in trainer.stop_reason


def test_14_dev_set_size_sets_the_margin(student, window):
    student.open_lesson(14)
    student.open("dataView")
    assert student.find(QLabel, "splitLabel").text() == "400 train · 100 dev"
    student.train(100)
    small = window.classroom.bias_variance.reading
    assert small.n_dev == 100
    assert small.dev_margin > 0.02
    student.type_into("examplesInput", "1000000")
    student.type_into("devSplitInput", "1")
    assert student.find(QLabel, "splitLabel").text() == "990,000 train · 10,000 dev"
    student.train(2500, timeout=120_000)
    big = window.classroom.bias_variance.reading
    assert big.n_dev == 10_000
    assert big.dev_margin < 0.01
    assert "(10,000 dev examples)" in student.find(QLabel, "biasVarianceLabel").text()


def test_15_a_check_costs_many_training_steps(qtbot, student, window):
    student.open_lesson(15)
    student.open("sanity")
    with qtbot.waitSignal(window.classroom.cost.measured, timeout=120_000) as blocker:
        student.click("measureCostButton")
    cost = blocker.args[0]  # the figures depend on the machine: what was measured is asserted
    assert cost.n_params == 235_146
    assert cost.reference_components == 5 * REFERENCE_SAMPLE + 10  # b3 has 10 components
    assert cost.fast is not None
    text = student.find(QLabel, "checkCostLabel").text()
    assert text.count("(measured)") == 2
    assert f"timed on {cost.reference_components} components" in text
    assert "scaled to all" in text
    assert "235,146 components" in text


def test_16_deeper_nets_accumulate_larger_relative_errors(student, window):
    student.open_lesson(16)
    student.open("layerGradients")
    report = student.run_check()
    assert report.conclusion == "correct"
    diff = window.classroom.layer_gradients.differences
    assert len(diff) == 10
    assert diff[0] > 5 * diff[-1]
    assert 1e-9 < diff[-1] < 1e-8
    assert 1e-8 < diff[0] < 1e-7
    student.choose("precisionCombo", "float32")
    student.type_into("epsilonInput", "1e-3")
    student.run_check()
    diff = window.classroom.layer_gradients.differences
    assert diff[0] > 5 * diff[-1]
    assert 1e-4 < diff[-1] < 5e-4
    assert 1e-3 < diff[0] < 1e-2


def test_the_numbers_in_the_texts_are_the_ones_asserted():
    """A few figures the texts quote, pinned so that an edited text and its test stay together."""
    assert "29 components" in text_of(6)
    assert re.search(r"about 2e-4", text_of(7))
    assert "λ = 100,000" in text_of(8)
    assert "990,000 train · 10,000 dev" in text_of(14)
